"""Writes of the single sign-on configuration: the organisation's provider (coordinators),
the email domains it claims (coordinators) and their confirmation (operators). Every
change is recorded in the organisation's audit log; a secret never is."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from peercoach.audit.models import Action
from peercoach.audit.services import audit_record

from .models import EmailDomain, IdentityProvider

SECRET = "client_secret"  # noqa: S105 (the field's name)


def identity_provider_update(*, organization, changes, request=None, actor=None):
    """Store `changes` ({field: value}) on `organization`'s identity provider, creating it
    on first save; returns the names of the fields that changed.

    All or nothing: the row is validated (ValidationError, nothing written) and one
    SSO_SETTINGS_CHANGED audit event names the changed fields in the same transaction;
    the secret's value is never in it ("client_secret replaced" / "removed"). Idempotent:
    values equal to the stored ones change nothing and record nothing.
    """
    with transaction.atomic():
        idp = (
            IdentityProvider.objects.select_for_update().filter(organization=organization).first()
        ) or IdentityProvider(organization=organization)
        changed = [name for name, value in changes.items() if getattr(idp, name) != value]
        if not changed:
            return []
        was_secret = bool(idp.client_secret)
        for name in changed:
            setattr(idp, name, changes[name])
        if actor is None and request is not None and request.user.is_authenticated:
            actor = request.user
        idp.updated_by = actor
        idp.full_clean(exclude=["organization"])
        idp.save()
        described = [name for name in changed if name != SECRET]
        if SECRET in changed:
            if not idp.client_secret:
                described.append(f"{SECRET} removed")
            else:
                described.append(f"{SECRET} {'replaced' if was_secret else 'set'}")
        audit_record(
            organization=organization,
            action=Action.SSO_SETTINGS_CHANGED,
            request=request,
            actor=actor,
            target=idp,
            summary="Changed: " + ", ".join(described),
        )
    return changed


def email_domain_claim(*, organization, domain, request=None, actor=None):
    """Claim `domain` (already normalised: peercoach.sso.forms.domain_normalise) for
    `organization`, waiting for an operator's confirmation; returns the EmailDomain.
    Raises ValidationError when the organisation claimed it already. Audited
    (SSO_DOMAIN_CLAIMED)."""
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    try:
        with transaction.atomic():
            claim = EmailDomain.objects.create(
                organization=organization, domain=domain, claimed_by=actor
            )
    except IntegrityError:
        raise ValidationError(
            {"domain": _("%(domain)s is already on the list.") % {"domain": domain}}
        ) from None
    audit_record(
        organization=organization,
        action=Action.SSO_DOMAIN_CLAIMED,
        request=request,
        actor=actor,
        target=claim,
        summary=f"Claimed {domain}",
    )
    return claim


def email_domain_remove(*, organization, domain_id, request=None, actor=None):
    """Remove `organization`'s claim `domain_id` (confirmed or not): addresses of that
    domain are no longer sent to its provider. Returns the domain name, or None when the
    organisation has no such claim (nothing happens). Audited (SSO_SETTINGS_CHANGED)."""
    with transaction.atomic():
        claim = EmailDomain.objects.filter(organization=organization, pk=domain_id).first()
        if claim is None:
            return None
        claim.delete()
        audit_record(
            organization=organization,
            action=Action.SSO_SETTINGS_CHANGED,
            request=request,
            actor=actor,
            summary=f"Removed the email domain {claim.domain}",
        )
    return claim.domain


def email_domains_confirm(*, claims, actor):
    """Operators: confirm each claim of `claims` (EmailDomain rows of any organisations).
    Returns (confirmed, refused): lists of the claims; a claim is refused when its domain is
    confirmed for another organisation already (the partial unique constraint), and then
    nothing is written for it. Claims confirmed already count as confirmed and are left
    as they were. Each confirmation is audited in its organisation (SSO_DOMAIN_CONFIRMED).
    """
    confirmed, refused = [], []
    with scopes_disabled():
        rows = list(claims.select_related("organization").order_by("domain", "pk"))
    for claim in rows:
        if claim.confirmed_at is not None:
            confirmed.append(claim)
            continue
        try:
            with transaction.atomic(), scope(organization=claim.organization):
                updated = EmailDomain.objects.filter(pk=claim.pk, confirmed_at__isnull=True).update(
                    confirmed_at=timezone.now(), confirmed_by=actor
                )
                if updated:
                    audit_record(
                        organization=claim.organization,
                        action=Action.SSO_DOMAIN_CONFIRMED,
                        actor=actor,
                        target=claim,
                        summary=f"Confirmed {claim.domain}",
                    )
        except IntegrityError:
            refused.append(claim)
        else:
            confirmed.append(claim)
    return confirmed, refused
