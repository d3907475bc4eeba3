"""What every write on an agreement shares: the error and the actor, the history event,
the row lock, the writable check, voiding signatures and emailing the parties.

Every write locks the agreement row first (`agreement_lock`, `select_for_update`), so two
parties saving or signing at the same instant are serialised: each sees the other's
result, and the constraints (one valid signature per signer, one open and one signed
agreement per pair) back that up. A change after any signature voids every signature
(`signatures_void`: recorded, audited and emailed).
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from peercoach.audit.models import Action
from peercoach.audit.services import audit_record
from peercoach.notifications.services import message_queue
from programs.models import Match, MatchMember

from ..models import Agreement, AgreementEvent, Signature
from ..selectors.agreement import parties


class AgreementError(Exception):
    """A write that cannot happen, with a message for the person who tried."""


@dataclass(frozen=True)
class Actor:
    """Who acts, and from where (recorded in the audit trail)."""

    user: object
    ip: str | None = None
    user_agent: str = ""


def event_record(agreement, kind, actor=None, *, item=None, at=None, **detail):
    """One line in the agreement's history (who, when, from where, and `detail`)."""
    return AgreementEvent.objects.create(
        organization=agreement.organization,
        agreement=agreement,
        kind=kind,
        actor=actor.user if actor else None,
        actor_name=actor.user.display_name if actor else "",
        at=at or timezone.now(),
        ip_address=actor.ip if actor else None,
        user_agent=(actor.user_agent or "")[:500] if actor else "",
        item=item,
        detail=detail,
    )


def agreement_lock(agreement):
    """The agreement row, freshly read and locked until the end of the transaction."""
    return (
        Agreement.objects.select_for_update(of=("self",))
        .select_related("organization", "program", "match", "template")
        .get(organization=agreement.organization, pk=agreement.pk)
    )


def writable_check(agreement, user):
    """Raise AgreementError unless `user` is a party and the agreement is open on an
    active pair."""
    if agreement.status == Agreement.Status.SIGNED:
        raise AgreementError(
            _(
                "Everyone has signed this agreement, so it is locked. "
                "Start an amendment to change it."
            )
        )
    if agreement.status == Agreement.Status.WITHDRAWN:
        raise AgreementError(_("This amendment was withdrawn; the signed agreement is in force."))
    if agreement.status != Agreement.Status.OPEN:
        raise AgreementError(
            _("This agreement was replaced by an amendment; open the current one.")
        )
    if agreement.match.status != Match.Status.ACTIVE:
        raise AgreementError(
            _("This pair or circle has ended, so its agreement can no longer change.")
        )
    if not MatchMember.objects.filter(
        organization=agreement.organization, match_id=agreement.match_id, user=user
    ).exists():
        raise AgreementError(_("Only the parties can change this agreement."))


def signatures_void(agreement, actor, *, at, reason, except_sha256=None):
    """Void every valid signature (or those not covering `except_sha256`); record, email."""
    valid = list(
        Signature.objects.filter(
            organization=agreement.organization, agreement=agreement, voided_at__isnull=True
        ).exclude(content_sha256=except_sha256 or "")
    )
    if not valid:
        return False
    Signature.objects.filter(
        organization=agreement.organization, pk__in=[s.pk for s in valid]
    ).update(voided_at=at, void_reason=reason[:500])
    event_record(
        agreement,
        AgreementEvent.Kind.VOIDED,
        actor,
        at=at,
        reason=reason,
        signers=[s.typed_name for s in valid],
    )
    audit_record(
        organization=agreement.organization,
        action=Action.AGREEMENT_VOIDED,
        actor=actor.user if actor else None,
        target=agreement,
        program=agreement.program,
        summary=f"Pair {agreement.match_id}: {len(valid)} signature(s) voided",
        ip=actor.ip if actor else None,
    )
    parties_email(
        agreement,
        parties(agreement),
        "agreement_voided",
        reason=reason,
        signers=[s.typed_name for s in valid],
    )
    return True


def parties_email(agreement, members, template, key=None, **context):
    """Email every party `templates/emails/<template>/` through the outbox (recorded in
    the caller's transaction, sent after commit; each greeted by their first name)."""
    url = settings.SITE_URL + agreement.get_absolute_url()
    message_queue(
        template=template,
        to=[member.user for member in members],
        organization=agreement.organization,
        key=key,
        context={"program_name": agreement.program.name, "agreement_url": url, **context},
    )
