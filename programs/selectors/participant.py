"""Reads for what a participant sees of their own programs: applications and partners."""

from django.db.models import Prefetch

from ..models import Application, Match, MatchMember, Program


def programs_visible(*, organization, membership):
    """Every program for coordinators; programs past the draft stage for participants."""
    qs = Program.objects.filter(organization=organization)
    if not membership.is_coordinator:
        qs = qs.exclude(status=Program.Status.DRAFT)
    return qs.order_by("-term_start", "name")


def my_application(*, program, user):
    return Application.objects.filter(
        organization=program.organization, program=program, user=user
    ).first()


def my_applications(*, organization, user):
    """{program_id: application} for the person, in one query."""
    return {
        a.program_id: a for a in Application.objects.filter(organization=organization, user=user)
    }


def _with_members(qs):
    # Current members only: someone who left a circle that goes on is no longer one of it.
    members = (
        MatchMember.objects.filter(is_current=True)
        .select_related("user")
        .order_by("position", "id")
    )
    return qs.prefetch_related(Prefetch("members", queryset=members))


def my_active_matches(*, organization, user, program=None):
    """The person's published (active) pairs and circles, members and program loaded
    (a page that shows their agreements adds them: `agreements.selectors.pairs`).

    Only those they are still in: leaving a circle that goes on ends their membership
    (`is_current`), not the circle. One filter() call, so both conditions hold for the
    same member row.
    """
    qs = Match.objects.filter(
        organization=organization,
        status=Match.Status.ACTIVE,
        members__user=user,
        members__is_current=True,
    ).select_related("program")
    if program is not None:
        qs = qs.filter(program=program)
    return list(_with_members(qs).order_by("program__term_start", "id"))


def partners_of(*, match, user):
    """The other members of `match` (prefetched), in their order."""
    return [m for m in match.members.all() if m.user_id != user.pk]
