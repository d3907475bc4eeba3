"""Reads for the pairing pages: the proposal, the people waiting, the runs."""

from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext as _

from ..models import Match, MatchingRun, MatchMember
from ..services.pairing import pool_for


def _members():
    return MatchMember.objects.select_related("user", "application").order_by("position", "id")


def matches_for_program(*, program, statuses):
    """Matches with their members; each carries `max_score`, the most its parts can give."""
    matches = list(
        Match.objects.filter(
            organization=program.organization, program=program, status__in=statuses
        )
        .select_related("ended_by")
        .prefetch_related(Prefetch("members", queryset=_members()))
        .order_by("-score", "id")
    )
    for match in matches:
        match.max_score = sum(part.get("max_points", 0) for part in match.explanation)
    return matches


def run_method_text(run):
    """What the coordinator needs to know about how a finished run found its proposal."""
    method = run.method or ""
    if "exact" in method:
        return _("Best possible pairs for everyone: checked, no better pairing exists.")
    if "candidate graph" in method:
        return _(
            "Best possible pairs for everyone, found by a fast search for large programs "
            "(on every test it found the proven best)."
        )
    if "local search" in method or "greedy seed" in method:
        text = _(
            "Circles built, then improved by moving and swapping members until no change helps."
        )
        if "opened" in method:
            text += " " + _("Extra circles were opened so that fewer people wait.")
        return text
    if "too few" in method:
        return _("Too few people for a circle.")
    return ""


def held_apart_names(*, program):
    """[(name, name)] of the pairs split by hand that a new run keeps apart."""
    pairs = [p for p in program.held_apart if len(p) == 2]
    if not pairs:
        return []
    full = {
        a.pk: a.user.display_name
        for a in program.applications.filter(
            organization=program.organization, pk__in={i for p in pairs for i in p}
        ).select_related("user")
    }
    return [(full[a], full[b]) for a, b in pairs if a in full and b in full]


def latest_run(*, program):
    return (
        MatchingRun.objects.filter(organization=program.organization, program=program)
        .select_related("started_by")
        .order_by("-created_at", "-id")
        .first()
    )


def waiting_people(*, program, run):
    """The pool (accepted, not in a current match), each with why the last run left them."""
    reasons = {}
    if run is not None and run.status == MatchingRun.Status.DONE:
        reasons = {row["application"]: row["reason"] for row in run.unmatched}
    # Paired before: their pair ended, or they left a circle that goes on (opt-out).
    ended = set(
        MatchMember.objects.filter(organization=program.organization, program=program)
        .filter(Q(match__status=Match.Status.ENDED) | Q(is_current=False))
        .exclude(match__status=Match.Status.PROPOSED)
        .values_list("user_id", flat=True)
    )
    people = pool_for(program)
    for application in people:
        application.unmatched_reason = reasons.get(application.pk, "")
        application.was_paired = application.user_id in ended
    return people


def match_counts(*, program):
    return Match.objects.filter(organization=program.organization, program=program).aggregate(
        proposed=Count("pk", filter=Q(status=Match.Status.PROPOSED)),
        active=Count("pk", filter=Q(status=Match.Status.ACTIVE)),
        ended=Count("pk", filter=Q(status=Match.Status.ENDED)),
    )
