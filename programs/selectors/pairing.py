"""Reads for the pairing pages: the proposal, the people waiting, the runs."""

from django.db.models import Count, Prefetch, Q

from ..models import Match, MatchingRun, MatchMember
from ..services.pairing import pool_for


def _members():
    return MatchMember.objects.select_related("user", "application").order_by("position", "id")


def matches_for_program(*, program, statuses):
    return list(
        Match.objects.filter(
            organization=program.organization, program=program, status__in=statuses
        )
        .select_related("ended_by")
        .prefetch_related(Prefetch("members", queryset=_members()))
        .order_by("-score", "id")
    )


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
