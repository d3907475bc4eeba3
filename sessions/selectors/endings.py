"""Reads about pauses and opt-outs: the pair's page, other areas, the coordinator's queue.

What the program team may read of a pause is that the pair is paused and until when;
the reason is for the pair only, so the coordinator-facing reads below never need it
(`active_pauses` returns whole rows for the pair's own pages: callers that render for
coordinators show `starts_on` / `last_day` only).
"""

from django.db.models import F, Prefetch, Q
from django.utils import timezone

from peercoach.tenancy.models import Membership
from programs.models import Match, MatchMember

from ..models import OptOut, Pause


def _not_over(today):
    """Pauses whose last day (`ended_early_on` or `ends_on`) is today or later."""
    return Q(ended_early_on__isnull=True, ends_on__gte=today) | Q(ended_early_on__gte=today)


def active_pauses(*, organization, match_ids, today=None):
    """{match_id: Pause} for the matches paused on `today` (default: today in the active
    time zone). One query whatever the number of matches; at most one pause per match
    is active (the services refuse overlaps), the latest-starting one wins otherwise."""
    today = today or timezone.localdate()
    match_ids = list(match_ids)
    if not match_ids:
        return {}
    found = {}
    for pause in (
        Pause.objects.filter(
            organization=organization, match_id__in=match_ids, starts_on__lte=today
        )
        .filter(_not_over(today))
        .order_by("match_id", "-starts_on", "-id")
    ):
        found.setdefault(pause.match_id, pause)
    return found


def pauses_for_match(*, match, today=None):
    """(current_or_upcoming, past) pauses of a pair, for its pause page.

    A pause cancelled before it began (`ended_early_on` before `starts_on`) counts as past.
    """
    today = today or timezone.localdate()
    rows = list(
        Pause.objects.filter(organization=match.organization, match=match)
        .select_related("requested_by")
        .order_by("starts_on", "id")
    )
    ahead = [p for p in rows if p.last_day >= today and p.last_day >= p.starts_on]
    past = [p for p in reversed(rows) if p not in ahead]
    return ahead, past


def pause_overlapping(*, match, starts_on, ends_on):
    """A pause of `match` that shares a day with [starts_on, ends_on], or None."""
    return (
        Pause.objects.filter(organization=match.organization, match=match, starts_on__lte=ends_on)
        .filter(_not_over(starts_on))
        # A pause cancelled before it began covers no day at all.
        .exclude(ended_early_on__lt=F("starts_on"))
        .order_by("starts_on")
        .first()
    )


def paused_in_program(*, program, today=None):
    """The program's active pairs paused today, each with its members, for the program
    team: they read the dates, never the reason. Constant queries."""
    today = today or timezone.localdate()
    return list(
        Pause.objects.filter(
            organization=program.organization,
            match__program=program,
            match__status=Match.Status.ACTIVE,
            starts_on__lte=today,
        )
        .filter(_not_over(today))
        .select_related("match")
        .prefetch_related(
            Prefetch(
                "match__members",
                queryset=MatchMember.objects.select_related("user").order_by("position", "id"),
            )
        )
        .order_by("ends_on", "id")
        # The reason is the pair's: not even loaded for the program team's page.
        .defer("reason")
    )


def current_members(*, match):
    """The current members of a match with their users, in order."""
    return list(
        MatchMember.objects.filter(organization=match.organization, match=match, is_current=True)
        .select_related("user")
        .order_by("position", "id")
    )


def program_team(*, organization):
    """The organisation's coordinators (who get opt-out notices), accounts not deleted."""
    return list(
        Membership.objects.filter(
            organization=organization,
            role=Membership.Role.COORDINATOR,
            user__deleted_at__isnull=True,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__email")
    )


def opt_outs_for_program(*, program):
    """The program's opt-outs, newest first, with the people and pairs they concern.

    A queryset (the page paginates it); constant queries per page: the user, who
    handled it and the match come joined.
    """
    return (
        OptOut.objects.filter(organization=program.organization, program=program)
        .select_related("user", "handled_by", "match")
        .order_by("-created_at", "-id")
    )


def opt_out_count_open(*, program):
    return OptOut.objects.filter(
        organization=program.organization, program=program, handled_at__isnull=True
    ).count()
