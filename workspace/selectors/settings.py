"""Reads for the organisation's settings page."""

from allauth.mfa.models import Authenticator
from django.db.models import Exists, OuterRef

from peercoach.tenancy.models import Membership
from programs.models import MatchMember


def program_team(*, organization):
    """The organisation's coordinators by name, each with `in_pair` (a current member of a
    pair or circle: they cannot handle concerns) and `has_second_factor`. One query."""
    in_pair = MatchMember.objects.filter(
        organization=organization, user_id=OuterRef("user_id"), is_current=True
    )
    totp = Authenticator.objects.filter(user_id=OuterRef("user_id"), type=Authenticator.Type.TOTP)
    return list(
        Membership.objects.filter(organization=organization, role=Membership.Role.COORDINATOR)
        .select_related("user")
        .annotate(in_pair=Exists(in_pair), has_second_factor=Exists(totp))
        .order_by("user__last_name", "user__first_name", "user__email")
    )
