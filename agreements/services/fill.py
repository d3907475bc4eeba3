"""Filling an agreement in, one field at a time.

Saving a field is optimistic: the form carries the revision it was shown. If someone
saved in between, nothing is overwritten: the caller gets the other person's value and
keeps its own text to decide. A change after any signature voids every signature.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import fields
from ..models import Agreement, AgreementEvent, AgreementValue
from .common import AgreementError, agreement_lock, event_record, signatures_void, writable_check


@dataclass
class SaveResult:
    row: AgreementValue | None
    changed: bool = False
    conflict: bool = False
    voided: bool = False


def value_save(*, agreement, item, actor, value, seen_revision):
    """Save one field: shared, or the actor's own per-party field.

    `seen_revision` is the revision the actor's form showed (0 for a field never saved).
    When someone else saved since, nothing is written and the result has `conflict` and
    the current row. Saving after any signature voids all signatures.
    """
    with transaction.atomic():
        agreement = agreement_lock(agreement)
        writable_check(agreement, actor.user)
        if item.template_id != agreement.template_id or not item.is_field:
            raise AgreementError(_("This field is not part of this agreement."))
        party = actor.user if item.per_party else None
        row = (
            AgreementValue.objects.select_for_update(of=("self",))
            .select_related("updated_by")
            .filter(organization=agreement.organization, agreement=agreement, item=item)
            .filter(party=party)
            .first()
        )
        current = row.revision if row else 0
        if (row.value if row else None) == value:
            return SaveResult(row=row)
        if seen_revision != current:
            return SaveResult(row=row, conflict=True)
        before = fields.display(item, row.value) if row else ""
        if row is None:
            row = AgreementValue(
                organization=agreement.organization,
                agreement=agreement,
                item=item,
                party=party,
            )
        row.value = value
        row.revision = current + 1
        row.updated_by = actor.user
        row.save()
        now = timezone.now()
        event_record(
            agreement,
            AgreementEvent.Kind.CHANGED,
            actor,
            item=item,
            at=now,
            field=item.title,
            party=actor.user.display_name if item.per_party else "",
            before=before,
            after=fields.display(item, value),
        )
        voided = signatures_void(
            agreement,
            actor,
            at=now,
            reason=_("%(name)s changed “%(field)s”.")
            % {"name": actor.user.display_name, "field": item.title},
        )
        Agreement.objects.filter(organization=agreement.organization, pk=agreement.pk).update(
            updated_at=now
        )
    return SaveResult(row=row, changed=True, voided=voided)
