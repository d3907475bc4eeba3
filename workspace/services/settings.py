"""The organisation's settings page's write: branding, help address, time zone, policy
and the two-factor rule, recorded in the audit log."""

import contextlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction

from peercoach.audit.models import Action
from peercoach.audit.services import audit_record
from peercoach.tenancy.models import Organization


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
