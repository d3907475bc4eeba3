"""Reads about organisations and memberships.

Membership is tenant-owned, so the few reads that must cross tenants (the
person's own list of organisations, the middleware's lookup) disable scopes
explicitly and filter by the person.
"""

from django.db.models import Count, Q
from django_scopes import scopes_disabled

from .models import Membership


def membership_in(request, *, slug):
    """The signed-in person's membership in the organisation `slug`, or None, found in
    `memberships_for_request`: the one query also serves the organisation switcher."""
    for membership in memberships_for_request(request):
        if membership.organization.slug == slug:
            membership.user = request.user  # not loaded again
            return membership
    return None


def memberships_for_user(*, user):
    """All organisations the person belongs to, for the switcher and the landing page."""
    with scopes_disabled():
        return list(
            Membership.objects.select_related("organization")
            .filter(user=user)
            .order_by("organization__name")
        )


def memberships_for_request(request):
    """`memberships_for_user` for the signed-in person, read once per request.

    The landing page and the organisation switcher both need it.
    """
    if not hasattr(request, "_my_memberships"):
        request._my_memberships = memberships_for_user(user=request.user)
    return request._my_memberships


def members_for_organization(*, organization):
    qs = Membership.objects.filter(organization=organization).select_related("user")
    return qs.order_by("role", "user__last_name", "user__first_name", "user__email")


def member_counts(*, organization):
    """Coordinators and participants of the organisation, in one query."""
    return Membership.objects.filter(organization=organization).aggregate(
        coordinator_count=Count("pk", filter=Q(role=Membership.Role.COORDINATOR)),
        participant_count=Count("pk", filter=Q(role=Membership.Role.PARTICIPANT)),
    )


def has_second_factor(*, user):
    """True when `user` has an authenticator app: the factor CoordinatorMfaMiddleware asks
    coordinators for, so the same test decides whether switching the rule on would lock
    them out."""
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
