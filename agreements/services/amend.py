"""Amending a signed agreement, withdrawing an amendment, and what ending a pair or
circle does to an amendment still being prepared.

The signed agreement stays in force until an amendment is signed by everyone.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from programs.models import Match, MatchMember

from ..models import Agreement, AgreementEvent
from .common import AgreementError, agreement_lock, event_record, signatures_void, writable_check
from .create import agreement_create
from .versions import template_current


def agreement_amend(*, agreement, actor):
    """Start an amendment of a signed agreement: a new open agreement, to be signed again.

    The signed one stays in force until the amendment is signed by everyone. Idempotent:
    when an amendment is already open, that one is returned.
    """
    with transaction.atomic():
        agreement = agreement_lock(agreement)
        if agreement.status != Agreement.Status.SIGNED:
            raise AgreementError(_("Only a signed agreement can be amended."))
        if agreement.match.status != Match.Status.ACTIVE:
            raise AgreementError(
                _("This pair or circle has ended, so its agreement can no longer change.")
            )
        if not MatchMember.objects.filter(
            organization=agreement.organization, match_id=agreement.match_id, user=actor.user
        ).exists():
            raise AgreementError(_("Only the parties can amend this agreement."))
        open_one = Agreement.objects.filter(
            organization=agreement.organization,
            match_id=agreement.match_id,
            status=Agreement.Status.OPEN,
        ).first()
        if open_one is not None:
            return open_one
        template = template_current(agreement.program)
        latest = (
            Agreement.objects.filter(
                organization=agreement.organization, match_id=agreement.match_id
            )
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )
        return agreement_create(
            match=agreement.match,
            template=template,
            number=latest + 1,
            previous=agreement,
            actor=actor,
        )


def amendment_withdraw(*, agreement, actor):
    """Withdraw an amendment being prepared: the signed agreement simply stays in force.

    Nothing is deleted: the amendment keeps its values and history, marked withdrawn,
    and any signature on it is voided. Idempotent for a withdrawn amendment.
    """
    with transaction.atomic():
        agreement = agreement_lock(agreement)
        if agreement.status == Agreement.Status.WITHDRAWN:
            return agreement
        writable_check(agreement, actor.user)
        if agreement.number == 1:
            raise AgreementError(_("Only an amendment can be withdrawn."))
        now = timezone.now()
        signatures_void(agreement, actor, at=now, reason=_("The amendment was withdrawn."))
        agreement.status = Agreement.Status.WITHDRAWN
        agreement.save(update_fields=["status", "updated_at"])
        event_record(agreement, AgreementEvent.Kind.WITHDRAWN, actor, at=now)
    return agreement


def agreements_on_match_end(*, match):
    """When a pair or circle ends, an amendment still being prepared is withdrawn: the
    signed agreement it would have replaced stays the record. Call inside the ending's
    transaction."""
    now = timezone.now()
    for agreement in Agreement.objects.select_for_update(of=("self",)).filter(
        organization=match.organization,
        match=match,
        status=Agreement.Status.OPEN,
        number__gt=1,
    ):
        agreement.status = Agreement.Status.WITHDRAWN
        agreement.save(update_fields=["status", "updated_at"])
        event_record(agreement, AgreementEvent.Kind.WITHDRAWN, at=now, reason="pair ended")
