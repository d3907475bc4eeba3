"""Writes for SCIM provisioning: the organisation's token and its provisioned people.

Every service takes keyword arguments, runs in one transaction inside the organisation's
scope, records an audit row, and raises `ScimInvalid` or `ScimConflict` (ValidationErrors
whose message the SCIM error response carries) when the request cannot be honoured. The
protocol itself (JSON, PATCH paths, filters, errors) is django-scim2's, in adapters.py.
"""

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from peercoach.accounts.models import User
from peercoach.accounts.services import account_create_vouched, membership_end
from peercoach.audit.models import Action
from peercoach.audit.services import audit_record
from peercoach.tenancy.models import Membership

from .models import ScimToken, ScimUser

TOKEN_PREFIX = "pcscim_"  # noqa: S105 - marks what the token is for, not a secret
# A token in use is stamped at most this often: not one write per request.
LAST_USED_PRECISION = timedelta(minutes=5)


class ScimInvalid(ValidationError):
    """The request's values are not acceptable (SCIM 400 invalidValue)."""


class ScimConflict(ValidationError):
    """Another resource of the organisation already has this userName or person (409)."""


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def scim_token_create(*, organization, actor):
    """Make the organisation's bearer token, replacing any earlier one (which stops working
    at once). Returns the token: the only time it is seen; only its digest is kept."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic(), scope(organization=organization):
        ScimToken.objects.filter(organization=organization).delete()
        ScimToken.objects.create(
            organization=organization,
            digest=_digest(token),
            hint=token[: len(TOKEN_PREFIX) + 4],
            created_by=actor,
        )
        audit_record(
            organization=organization,
            action=Action.SCIM_TOKEN_CHANGED,
            actor=actor,
            summary="provisioning token created",
        )
    return token


def scim_token_revoke(*, organization, actor):
    """Delete the organisation's token: provisioning stops until a new one is made.
    Returns whether there was one (idempotent)."""
    with transaction.atomic(), scope(organization=organization):
        deleted, _rows = ScimToken.objects.filter(organization=organization).delete()
        if deleted:
            audit_record(
                organization=organization,
                action=Action.SCIM_TOKEN_CHANGED,
                actor=actor,
                summary="provisioning token revoked",
            )
    return bool(deleted)


def scim_token_organization(*, slug, token):
    """The organisation `slug` names when `token` is its bearer token, else None: an
    unknown organisation, a missing or another organisation's token look the same. Two
    queries (three when the token's last use is stamped)."""
    if not token or not slug:
        return None
    with scopes_disabled():
        stored = (
            ScimToken.objects.select_related("organization").filter(organization__slug=slug).first()
        )
    if stored is None or not secrets.compare_digest(stored.digest, _digest(token)):
        return None
    now = timezone.now()
    if stored.last_used_at is None or now - stored.last_used_at > LAST_USED_PRECISION:
        with scopes_disabled():
            ScimToken.objects.filter(pk=stored.pk).update(last_used_at=now)
    return stored.organization


def _address(*, user_name, emails):
    """The sign-in address of a new resource: userName when it is an email address (as
    most IdPs send), else the primary (or first) of `emails`."""
    candidates = [user_name]
    ordered = sorted(emails or [], key=lambda e: not e.get("primary"))
    candidates += [e.get("value") for e in ordered if isinstance(e, dict)]
    for candidate in candidates:
        candidate = (candidate or "").strip().lower()
        try:
            validate_email(candidate)
        except ValidationError:
            continue
        return candidate
    raise ScimInvalid(_("userName or one of the emails must be an email address."))


def _check_user_name(*, organization, user_name, exclude=None):
    user_name = (user_name or "").strip()
    if not user_name:
        raise ScimInvalid(_("userName is required."))
    taken = ScimUser.objects.filter(organization=organization, user_name__iexact=user_name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise ScimConflict(_("userName %(name)s is already in use.") % {"name": user_name})
    return user_name


def _join(*, organization, user):
    """Make `user` a participant of `organization` unless already a member (an existing
    member keeps their role). Returns whether a membership was made."""
    _membership, created = Membership.objects.get_or_create(
        organization=organization, user=user, defaults={"role": Membership.Role.PARTICIPANT}
    )
    return created


def scim_user_create(
    *,
    organization,
    user_name,
    external_id="",
    given_name="",
    family_name="",
    emails=(),
    active=True,
):
    """Provision a person: the account with the resource's address (made when there is
    none, with an unusable password and the address verified, since the organisation's
    IdP vouches for it), the resource, and when `active` a participant membership (an
    existing member keeps their role). An account that exists, in this organisation or
    others, is linked as it is: its password, names and other memberships untouched.

    Raises ScimInvalid when there is no email address to use, ScimConflict when the
    userName or the person is provisioned already."""
    emails = list(emails or [])
    with transaction.atomic(), scope(organization=organization):
        user_name = _check_user_name(organization=organization, user_name=user_name)
        address = _address(user_name=user_name, emails=emails)
        user = User.objects.filter(email__iexact=address).first()
        created_account = user is None
        if created_account:
            user = account_create_vouched(
                email=address, first_name=given_name, last_name=family_name
            )
        elif ScimUser.objects.filter(organization=organization, user=user).exists():
            raise ScimConflict(_("%(email)s is provisioned already.") % {"email": address})
        try:
            with transaction.atomic():
                resource = ScimUser.objects.create(
                    organization=organization,
                    user=user,
                    user_name=user_name,
                    external_id=external_id or "",
                    given_name=given_name or "",
                    family_name=family_name or "",
                    emails=emails,
                    active=active,
                    created_account=created_account,
                )
        except IntegrityError:
            raise ScimConflict(
                _("%(email)s is provisioned already.") % {"email": address}
            ) from None
        active = active is not False
        joined = active and _join(organization=organization, user=user)
        audit_record(
            organization=organization,
            action=Action.SCIM_USER_CREATED,
            target=resource,
            summary=f"{address}: "
            + ("joined as participant" if joined else "linked" if active else "inactive"),
        )
    return resource


FIELDS = ("user_name", "external_id", "given_name", "family_name", "emails", "active")


def scim_user_update(*, resource, **values):
    """Set the resource's attributes (`values` among FIELDS; a missing one is unchanged).
    active false ends the membership (`membership_end`: pairs end through the opt-out
    path), active true makes the person a participant again. Names reach the account only
    when this provisioning made it; the account's address never changes (a new address
    is a new resource: deprovision and provision again). Idempotent.

    Raises ScimInvalid for an empty userName, ScimConflict for one in use, and
    MembershipEndError when deactivating the organisation's last coordinator."""
    organization = resource.organization
    with transaction.atomic(), scope(organization=organization):
        resource = ScimUser.objects.select_for_update().select_related("user").get(pk=resource.pk)
        if "user_name" in values:
            values["user_name"] = _check_user_name(
                organization=organization, user_name=values["user_name"], exclude=resource
            )
        changed = [
            field
            for field in FIELDS
            if field in values
            and (values[field] is not None or field == "active")
            and getattr(resource, field) != values[field]
        ]
        was_active = resource.active is not False
        for field in changed:
            setattr(resource, field, values[field])
        if not changed:
            return resource
        resource.save()
        user = resource.user
        if resource.created_account and {"given_name", "family_name"} & set(changed):
            user.first_name, user.last_name = resource.given_name, resource.family_name
            user.save(update_fields=["first_name", "last_name"])
        audit_record(
            organization=organization,
            action=Action.SCIM_USER_UPDATED,
            target=resource,
            summary=f"{user.email}: " + ", ".join(changed),
        )
        if was_active and resource.active is False:
            membership_end(
                organization=organization,
                user=user,
                reason="deactivated by the identity provider (SCIM)",
            )
        elif resource.active is not False and not was_active:
            _join(organization=organization, user=user)
    return resource


def scim_user_delete(*, resource):
    """Deprovision: the membership ends as on deactivation, then the resource goes (the
    account stays, with its other memberships). Raises MembershipEndError for the
    organisation's last coordinator."""
    organization = resource.organization
    with transaction.atomic(), scope(organization=organization):
        membership_end(
            organization=organization,
            user=resource.user,
            reason="deleted by the identity provider (SCIM)",
        )
        ScimUser.objects.filter(organization=organization, pk=resource.pk).delete()


def leave(*, organization, user):
    """settings.MEMBERSHIP_LEAVE: a person removed from the organisation (by a coordinator,
    or by the IdP) shows as inactive to the IdP."""
    ScimUser.objects.filter(organization=organization, user=user).exclude(active=False).update(
        active=False
    )
