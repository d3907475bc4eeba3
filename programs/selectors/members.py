"""The current members of active pairs and circles, as the reminder rules and the pair
pages of the apps above read them."""

from django.db.models import Exists, OuterRef

from peercoach.notifications.rules import reachable
from peercoach.tenancy.models import Membership

from ..models import Match, MatchMember


def current_members(*, organization, **filters):
    """Current members of active pairs and circles (filtered further by `filters`), with
    their users and `in_organization` (still a member of the organisation). One query."""
    return (
        MatchMember.objects.filter(
            organization=organization,
            is_current=True,
            match__status=Match.Status.ACTIVE,
            **filters,
        )
        .select_related("user")
        .annotate(
            in_organization=Exists(
                Membership.objects.filter(organization=organization, user_id=OuterRef("user_id"))
            )
        )
        .order_by("match_id", "position", "id")
    )


def members_by_match(members):
    """{match_id: [MatchMember]} of the rows of `current_members`, in order."""
    found = {}
    for member in members:
        found.setdefault(member.match_id, []).append(member)
    return found


def recipients(members):
    """The members reminders may be sent to (still in the organisation, reachable)."""
    return [m for m in members if m.in_organization and reachable(m.user)]
