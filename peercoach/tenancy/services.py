"""Writes for organisations: creating one, its settings, its program team."""

import contextlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from peercoach.audit.models import Action
from peercoach.audit.services import audit_record

from .models import Membership, Organization


def organization_create(
    *, slug, name, time_zone="UTC", help_email="", require_coordinator_mfa=True
):
    """Create an organisation after full validation; raises ValidationError on bad input."""
    organization = Organization(
        slug=slug,
        name=name,
        time_zone=time_zone,
        help_email=help_email,
        require_coordinator_mfa=require_coordinator_mfa,
    )
    organization.full_clean()
    with transaction.atomic():
        organization.save()
    return organization


def _delete_file(storage, name):
    with contextlib.suppress(OSError):  # a file already gone is what we wanted
        storage.delete(name)


def organization_settings_update(
    *, organization, changes, logo=None, remove_logo=False, request=None, actor=None
):
    """Apply `changes` ({field: value}) and the logo to `organization`; returns the names
    of the fields that changed, in form order ("logo" for a new or removed logo).

    All or nothing: validates the whole organisation (ValidationError, nothing written)
    and records one SETTINGS_CHANGED audit event naming the changed fields in the same
    transaction. Idempotent: values equal to the stored ones change nothing and record
    nothing. A replaced or removed logo file is deleted once the change is committed;
    the new file gets a name of our making, never the uploaded one.
    """
    with transaction.atomic():
        locked = Organization.objects.select_for_update().get(pk=organization.pk)
        changed = [name for name, value in changes.items() if getattr(locked, name) != value]
        for name in changed:
            setattr(locked, name, changes[name])
        old_logo = locked.logo.name
        if logo is not None:
            extension = getattr(logo, "logo_extension", "png")
            locked.logo.save(f"{locked.slug}-{secrets.token_hex(6)}.{extension}", logo, save=False)
            changed.append("logo")
        elif remove_logo and old_logo:
            locked.logo = ""
            changed.append("logo")
        if not changed:
            return []
        try:
            locked.full_clean()
        except ValidationError:
            if logo is not None:
                _delete_file(locked.logo.storage, locked.logo.name)
            raise
        locked.save(update_fields=changed)
        audit_record(
            organization=locked,
            action=Action.SETTINGS_CHANGED,
            request=request,
            actor=actor,
            target=locked,
            summary="Changed: " + ", ".join(changed),
        )
        if "logo" in changed and old_logo:
            storage = locked.logo.storage
            transaction.on_commit(lambda: _delete_file(storage, old_logo))
    return changed


def program_team_update(*, organization, handler_ids, request=None, actor=None):
    """Make exactly the coordinators whose membership ids are in `handler_ids` the ones
    who handle confidential concerns; returns the memberships that changed.

    All or nothing, through `sessions.services.concerns.handler_toggle` (its rules hold:
    only coordinators, none who takes part in a current pair or circle): raises
    ValidationError (nothing written) for an id that is not a coordinator of the
    organisation or a coordinator who may not handle concerns. Records one MEMBER_CHANGED
    audit event per coordinator whose responsibility changed. Idempotent.
    """
    from sessions.services.concerns import handler_toggle

    handler_ids = set(handler_ids)
    with transaction.atomic():
        coordinators = list(
            Membership.objects.select_for_update(of=("self",))
            .filter(organization=organization, role=Membership.Role.COORDINATOR)
            .select_related("user")
            .order_by("pk")
        )
        if handler_ids - {m.pk for m in coordinators}:
            raise ValidationError(_("Choose coordinators of this organisation only."))
        changed = []
        for membership in coordinators:
            wanted = membership.pk in handler_ids
            if membership.handles_concerns == wanted:
                continue
            handler_toggle(membership=membership, handles=wanted)
            membership.handles_concerns = wanted
            audit_record(
                organization=organization,
                action=Action.MEMBER_CHANGED,
                request=request,
                actor=actor,
                target=membership,
                summary=(
                    f"{membership.user.display_name}: "
                    + ("now handles concerns" if wanted else "no longer handles concerns")
                ),
            )
            changed.append(membership)
    return changed
