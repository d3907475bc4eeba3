"""Signing an agreement.

Signing checks that every required field is filled and that the canonical form the
signer reviewed (its SHA-256) is still the current one. The last signature locks the
agreement, stores the canonical text and its SHA-256 and, after commit, queues the PDF
on the `pdf` queue.
"""

from functools import partial

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext as _

from peercoach.audit.models import Action
from peercoach.audit.services import audit_record

from ..models import Agreement, AgreementEvent, Signature
from ..selectors.agreement import canonical_text, items_of, missing_fields, parties, values_of
from .common import (
    AgreementError,
    agreement_lock,
    event_record,
    parties_email,
    signatures_void,
    writable_check,
)

# Shown beside the two boxes and recorded with each signature, in the language the
# agreement is issued in (`signing_texts`), whatever the signer's own language.
CONSENT_TEXT = gettext_noop(
    "I agree to sign this agreement electronically, and I accept that my typed name "
    "below is my signature."
)


INTENT_TEXT = gettext_noop("I have read this agreement and I intend to be bound by it.")


def signing_texts(agreement):
    """(consent text, intent text) in the language `agreement` is issued in."""
    with translation.override(agreement.issued_language):
        return gettext(CONSENT_TEXT), gettext(INTENT_TEXT)


def agreement_sign(*, agreement, actor, typed_name, consent, intent, seen_sha256, quiet=False):
    """Sign for `actor`. Returns the Signature; the last one completes the agreement.

    `quiet` (demo data only): nobody is emailed and no task is queued; the caller issues
    the PDF itself.
    """
    typed_name = " ".join((typed_name or "").replace("\x00", "").split())
    if not consent:
        raise AgreementError(_("Tick the box to agree to sign electronically."))
    if not intent:
        raise AgreementError(_("Tick the box to confirm you intend to be bound by the agreement."))
    if len(typed_name) < 2:
        raise AgreementError(_("Type your full name to sign."))
    if len(typed_name) > 200:
        raise AgreementError(_("Keep your name under 200 characters."))
    with transaction.atomic():
        agreement = agreement_lock(agreement)
        writable_check(agreement, actor.user)
        members = parties(agreement)
        items = items_of(agreement.template)
        values = values_of(agreement)
        text, sha = canonical_text(agreement, members=members, items=items, values=values)
        # A signature covers exactly what it hashed. If that changed by another road than
        # a field save (a name or email, the program's name, a template edit racing this
        # signature), the signature no longer covers the agreement: void it like any change.
        signatures_void(
            agreement,
            None,
            at=timezone.now(),
            reason=_(
                "What was signed has changed since (a name, an email address, the program "
                "or the wording)."
            ),
            except_sha256=sha,
        )
        if Signature.objects.filter(
            organization=agreement.organization,
            agreement=agreement,
            signer=actor.user,
            voided_at__isnull=True,
        ).exists():
            raise AgreementError(_("You have already signed this agreement."))
        missing = missing_fields(items, members, values)
        if missing:
            names = [
                item.title if member is None else f"{item.title} ({member.user.display_name})"
                for item, member in missing
            ]
            raise AgreementError(
                _("Fill in every required field before signing. Still empty: %(fields)s.")
                % {"fields": "; ".join(names)}
            )
        if seen_sha256 != sha:
            raise AgreementError(
                _(
                    "The agreement changed while you were reading it. Read it again as it is "
                    "now, then sign."
                )
            )
        now = timezone.now()
        consent_text, intent_text = signing_texts(agreement)
        signature = Signature.objects.create(
            organization=agreement.organization,
            agreement=agreement,
            signer=actor.user,
            typed_name=typed_name,
            consent_text=consent_text,
            intent_text=intent_text,
            content_sha256=sha,
            signed_at=now,
            ip_address=actor.ip,
            user_agent=(actor.user_agent or "")[:500],
        )
        event_record(
            agreement, AgreementEvent.Kind.SIGNED, actor, at=now, sha256=sha, name=typed_name
        )
        audit_record(
            organization=agreement.organization,
            action=Action.AGREEMENT_SIGNED,
            actor=actor.user,
            target=agreement,
            program=agreement.program,
            summary=f"Pair {agreement.match_id}, agreement no. {agreement.number}",
            ip=actor.ip,
        )
        signed = Signature.objects.filter(
            organization=agreement.organization,
            agreement=agreement,
            voided_at__isnull=True,
            content_sha256=sha,
        ).count()
        if signed == len(members):
            _complete(agreement, members, text, sha, now, quiet=quiet)
    return signature


def _complete(agreement, members, text, sha, now, *, quiet=False):
    from ..tasks import agreement_pdf_render

    previous = (
        Agreement.objects.select_for_update(of=("self",))
        .filter(
            organization=agreement.organization,
            match_id=agreement.match_id,
            status=Agreement.Status.SIGNED,
        )
        .first()
    )
    if previous is not None:
        previous.status = Agreement.Status.SUPERSEDED
        previous.save(update_fields=["status", "updated_at"])
        event_record(previous, AgreementEvent.Kind.SUPERSEDED, at=now, by=agreement.number)
    agreement.status = Agreement.Status.SIGNED
    agreement.signed_at = now
    agreement.signed_content = text
    agreement.content_sha256 = sha
    agreement.save(
        update_fields=["status", "signed_at", "signed_content", "content_sha256", "updated_at"]
    )
    event_record(agreement, AgreementEvent.Kind.COMPLETED, at=now, sha256=sha)
    if quiet:
        return
    # robust: the signatures are committed whatever happens to the PDF; a failed render
    # is recorded on the agreement (pdf_error) and does not turn the signing into an error.
    transaction.on_commit(
        partial(
            agreement_pdf_render.delay,
            organization_id=agreement.organization_id,
            agreement_id=agreement.pk,
        ),
        robust=True,
    )
    parties_email(agreement, members, "agreement_signed", key=f"signed:{agreement.pk}", sha256=sha)
