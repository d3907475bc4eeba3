"""Reads of single sign-on: which organisation an address belongs to, which provider it
goes to, and who must sign in through it. Cross-tenant by nature (sign-in comes before any
organisation's scope): each read disables scopes explicitly and says how many queries it runs.
"""

from django.core.cache import cache
from django.db import transaction
from django_scopes import scopes_disabled

from peercoach.tenancy.models import Membership

from .models import EmailDomain, IdentityProvider
from .session import STATE_KEY, sso_mfa_done


def email_domain(email):
    """The lower-cased domain of `email`, "" when there is none."""
    _local, at, domain = (email or "").strip().rpartition("@")
    return domain.lower().rstrip(".") if at else ""


def confirmed_domain_owner(*, domain):
    """The organisation `domain` is confirmed for (an operator confirmed it), or None. One
    query."""
    if not domain:
        return None
    with scopes_disabled():
        row = (
            EmailDomain.objects.filter(domain__iexact=domain, confirmed_at__isnull=False)
            .select_related("organization")
            .first()
        )
    return row.organization if row else None


def sso_provider_for_email(*, email):
    """The enabled IdentityProvider of the organisation `email`'s domain is confirmed for, or
    None (no confirmed domain, or its organisation has no enabled provider). One query."""
    domain = email_domain(email)
    if not domain:
        return None
    with scopes_disabled():
        return (
            IdentityProvider.objects.filter(
                enabled=True,
                organization__email_domains__domain__iexact=domain,
                organization__email_domains__confirmed_at__isnull=False,
            )
            .select_related("organization")
            .first()
        )


_REQUIRED_ROLES = {
    IdentityProvider.Required.PARTICIPANTS: {Membership.Role.PARTICIPANT},
    IdentityProvider.Required.COORDINATORS: {Membership.Role.COORDINATOR},
    IdentityProvider.Required.EVERYONE: {Membership.Role.PARTICIPANT, Membership.Role.COORDINATOR},
}
# Seconds. A provider's save or deletion clears it at once (`requirement_forget`); the
# TTL only bounds a write that sends no signal (a queryset update).
REQUIREMENT_TTL = 300


def is_operator(user):
    """Operators are never bound to single sign-on (break-glass password + their TOTP)."""
    return bool(user.is_staff or user.is_superuser)


def _requirement_of(idp):
    if idp is None or not idp.enabled:
        return {"roles": [], "trust_mfa": False}
    return {
        "roles": sorted(_REQUIRED_ROLES.get(idp.required_for, set())),
        "trust_mfa": idp.trust_idp_mfa,
    }


def _requirement_key(organization_id):
    return f"sso:req:{organization_id}"


def requirement_forget(sender, instance, **kwargs):
    """post_save / post_delete of an IdentityProvider: its organisation's cached
    requirement goes now and again once the write is committed (in between, another request
    could cache the old row again)."""
    key = _requirement_key(instance.organization_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def sso_requirement(*, organization):
    """{"roles": roles that must sign in through the organisation's provider, "trust_mfa":
    whether its asserted second factor counts}. Cached per organisation until its provider
    is saved or deleted (not on its version stamp, which every write in the organisation
    changes: the first request after each would pay the query): no query when warm, one
    when cold."""
    return _requirement(organization.pk)


def _requirement(organization_id):
    key = _requirement_key(organization_id)
    value = cache.get(key)
    if value is None:
        with scopes_disabled():
            idp = IdentityProvider.objects.filter(organization_id=organization_id).first()
        value = _requirement_of(idp)
        cache.set(key, value, REQUIREMENT_TTL)
    return value


def sso_required_for(*, membership):
    """True when `membership`'s organisation requires single sign-on for its role."""
    return membership.role in sso_requirement(organization=membership.organization)["roles"]


def sso_password_refused_organizations(*, user):
    """The organisations whose provider `user` must sign in through, when EVERY membership
    of `user` requires single sign-on (then the password is refused); [] otherwise, and
    always [] for an operator or someone with no membership. Two queries."""
    if is_operator(user):
        return []
    with scopes_disabled():
        memberships = list(Membership.objects.filter(user=user).select_related("organization"))
        if not memberships:
            return []
        providers = {
            idp.organization_id: idp
            for idp in IdentityProvider.objects.filter(
                organization__in=[m.organization for m in memberships], enabled=True
            )
        }
    for membership in memberships:
        requirement = _requirement_of(providers.get(membership.organization_id))
        if membership.role not in requirement["roles"]:
            return []
    return sorted({m.organization for m in memberships}, key=lambda org: org.name)


def sso_mfa_satisfies(*, request, membership):
    """Hook `coordinator_mfa_satisfied`: True when the organisation trusts its provider's
    second factor and that provider asserted one for this session. No query when warm."""
    organization = membership.organization
    return bool(
        sso_mfa_done(request, organization=organization)
        and sso_requirement(organization=organization)["trust_mfa"]
    )


def sso_sign_in_mfa_trusted(*, request, login):
    """Hook `second_factor_done_at_sign_in`: True when `login` is a sign-in through an
    organisation's provider that asserted a second factor (the adapter's decision in the
    SocialLogin's state) and that organisation trusts it (`trust_idp_mfa`). Then allauth
    does not ask a coordinator who has an authenticator app for its code as well. No query
    when the requirement is cached, one when not."""
    sociallogin = (getattr(login, "signal_kwargs", None) or {}).get("sociallogin")
    marks = (getattr(sociallogin, "state", None) or {}).get(STATE_KEY) if sociallogin else None
    if not marks or not marks.get("mfa"):
        return False
    return _requirement(marks["org"])["trust_mfa"]
