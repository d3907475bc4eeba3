"""Writes on an agreement: creating it, filling it, signing it, amending it.

Every write locks the agreement row first (`select_for_update`), so two parties saving
or signing at the same instant are serialised: each sees the other's result, and the
constraints (one valid signature per signer, one open and one signed agreement per
pair) back that up.

- Saving a field is optimistic: the form carries the revision it was shown. If someone
  saved in between, nothing is overwritten: the caller gets the other person's value and
  keeps its own text to decide.
- A change after any signature voids every signature (recorded and emailed).
- Signing checks that every required field is filled and that the canonical form the
  signer reviewed (its SHA-256) is still the current one.
- The last signature locks the agreement, stores the canonical text and its SHA-256 and,
  after commit, queues the PDF on the `pdf` queue.
"""

from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from peercoach.audit.models import Action
from peercoach.audit.services import audit_record
from peercoach.notifications.services import message_queue
from programs.models import Match, MatchMember

from .. import canonical, fields
from ..models import (
    Agreement,
    AgreementEvent,
    AgreementItem,
    AgreementValue,
    Signature,
)
from .versions import template_current

CONSENT_TEXT = (
    "I agree to sign this agreement electronically, and I accept that my typed name "
    "below is my signature."
)
INTENT_TEXT = "I have read this agreement and I intend to be bound by it."


class AgreementError(Exception):
    """A write that cannot happen, with a message for the person who tried."""


@dataclass(frozen=True)
class Actor:
    """Who acts, and from where (recorded in the audit trail)."""

    user: object
    ip: str | None = None
    user_agent: str = ""


def _event(agreement, kind, actor=None, *, item=None, at=None, **detail):
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


def _locked(agreement):
    return (
        Agreement.objects.select_for_update(of=("self",))
        .select_related("organization", "program", "match", "template")
        .get(organization=agreement.organization, pk=agreement.pk)
    )


def parties(agreement):
    """The members of the agreement's pair or circle, in order, with their users.

    While an agreement is being filled in an active circle, someone who has left the
    circle (opted out) is no longer a party: the others sign without them. A signed
    agreement keeps everyone who signed it; an ended pair keeps all its members.
    """
    members = MatchMember.objects.filter(
        organization=agreement.organization, match_id=agreement.match_id
    )
    if agreement.status == Agreement.Status.OPEN:
        members = members.filter(Q(is_current=True) | Q(match__status=Match.Status.ENDED))
    return list(members.select_related("user").order_by("position", "id"))


def items_of(template):
    return list(
        AgreementItem.objects.filter(
            organization=template.organization, template=template
        ).order_by("position", "id")
    )


def values_of(agreement):
    """{(item_id, party_id or None): AgreementValue}, each with who last changed it."""
    return {
        (row.item_id, row.party_id): row
        for row in AgreementValue.objects.filter(
            organization=agreement.organization, agreement=agreement
        ).select_related("updated_by")
    }


def canonical_text(agreement, *, members=None, items=None, values=None):
    """(canonical JSON text, its SHA-256) of the agreement as it stands."""
    members = parties(agreement) if members is None else members
    items = items_of(agreement.template) if items is None else items
    values = values_of(agreement) if values is None else values
    doc = canonical.document(
        agreement=agreement,
        template=agreement.template,
        items=items,
        parties=members,
        values={key: row.value for key, row in values.items()},
    )
    text = canonical.serialise(doc)
    return text, canonical.sha256_text(text)


def missing_fields(items, members, values):
    """[(item, member or None)] required fields still empty: shared ones, then each party's."""
    missing = []
    for item in items:
        if not item.is_field or not item.required:
            continue
        if item.per_party:
            for member in members:
                row = values.get((item.pk, member.user_id))
                if not row or not fields.is_filled(row.value):
                    missing.append((item, member))
        else:
            row = values.get((item.pk, None))
            if not row or not fields.is_filled(row.value):
                missing.append((item, None))
    return missing


# --- Creating --------------------------------------------------------------------------


def _prefill(agreement, items, members, have=frozenset()):
    """Unsaved values: each party's name and email fields start from their account (unless
    in `have`: {(item_id, party_id)} already holding a value)."""
    rows = []
    for item in items:
        if not item.per_party:
            continue
        for member in members:
            if (item.pk, member.user_id) in have:
                continue
            value = None
            if item.purpose == AgreementItem.Purpose.PARTY_NAME:
                value = member.user.get_full_name() or None
            elif item.purpose == AgreementItem.Purpose.PARTY_EMAIL:
                value = member.user.email
            if value:
                rows.append(
                    AgreementValue(
                        organization=agreement.organization,
                        agreement=agreement,
                        item=item,
                        party=member.user,
                        value=value,
                        revision=1,
                    )
                )
    return rows


def _counterpart(row, old_items, by_key):
    """The item of a newer version that `row` (a value of an older one) belongs to: same
    key, kind and per-party setting. None when the newer version dropped or changed it."""
    old = old_items.get(row.item_id)
    new = by_key.get(old.key) if old else None
    if new is not None and (new.kind, new.per_party) == (old.kind, old.per_party):
        return new
    return None


def agreement_create(*, match, template, number=1, previous=None, actor=None):
    """A new open agreement for `match` from `template`.

    An amendment (`previous` given) starts from the previous agreement's values for
    every item the new version still has (same key and kind).
    """
    items = items_of(template)
    if previous is None:
        return _agreements_start(match.organization, template, items, [match])[0]
    agreement = Agreement.objects.create(
        organization=match.organization,
        match=match,
        program_id=match.program_id,
        template=template,
        number=number,
        coordinator_sees_pdf=template.coordinator_sees_pdf,
    )
    members = parties(agreement)
    by_key = {item.key: item for item in items}
    old_items = {item.pk: item for item in items_of(previous.template)}
    carried = []
    for row in AgreementValue.objects.filter(
        organization=previous.organization, agreement=previous
    ):
        new = _counterpart(row, old_items, by_key)
        if new is not None:
            carried.append(
                AgreementValue(
                    organization=agreement.organization,
                    agreement=agreement,
                    item=new,
                    party_id=row.party_id,
                    value=row.value,
                    revision=1,
                    updated_by_id=row.updated_by_id,
                )
            )
    AgreementValue.objects.bulk_create(carried)
    # Name and email fields the new version added start from the accounts, as in a new one.
    AgreementValue.objects.bulk_create(
        _prefill(agreement, items, members, have={(row.item_id, row.party_id) for row in carried})
    )
    _event(
        agreement,
        AgreementEvent.Kind.AMENDMENT,
        actor,
        version=template.version,
        amends=previous.number,
    )
    return agreement


def agreements_create_for_matches(*, program, matches):
    """Give each published match without one an agreement from the current template.

    Called when pairs are published. Does nothing when the program has no template or
    its template has no items yet. Returns the number created.
    """
    template = template_current(program)
    items = items_of(template) if template is not None else []
    if not items:
        return 0
    organization = program.organization
    having = set(
        Agreement.objects.filter(organization=organization, match__in=matches).values_list(
            "match_id", flat=True
        )
    )
    todo = [m for m in matches if m.pk not in having and m.status == Match.Status.ACTIVE]
    return len(_agreements_start(organization, template, items, todo)) if todo else 0


def _agreements_start(organization, template, items, matches):
    """Agreement number 1 for each of `matches` from `template` (its `items`), with names
    and emails prefilled and a "created" event: a constant number of queries however
    many pairs start at once. Returns the agreements."""
    agreements = Agreement.objects.bulk_create(
        [
            Agreement(
                organization=organization,
                match=match,
                program_id=match.program_id,
                template=template,
                number=1,
                coordinator_sees_pdf=template.coordinator_sees_pdf,
            )
            for match in matches
        ]
    )
    members = {}
    for member in (
        MatchMember.objects.filter(organization=organization, match__in=matches)
        .select_related("user")
        .order_by("position", "id")
    ):
        members.setdefault(member.match_id, []).append(member)
    now = timezone.now()
    prefilled = []
    for agreement in agreements:
        agreement.organization = organization
        prefilled += _prefill(agreement, items, members.get(agreement.match_id, []))
    AgreementValue.objects.bulk_create(prefilled)
    AgreementEvent.objects.bulk_create(
        [
            AgreementEvent(
                organization=organization,
                agreement=agreement,
                kind=AgreementEvent.Kind.CREATED,
                at=now,
                detail={"version": template.version},
            )
            for agreement in agreements
        ]
    )
    return agreements


@transaction.atomic
def agreements_start_missing(*, program):
    """Agreements for the program's active pairs that have none (a template made late)."""
    matches = list(
        Match.objects.select_for_update().filter(
            organization=program.organization, program=program, status=Match.Status.ACTIVE
        )
    )
    return agreements_create_for_matches(program=program, matches=matches)


def template_changed(*, template, user, change):
    """Record, in every agreement still being filled on `template`, that the program
    team changed its wording or fields in place (`change`: what, in words)."""
    now = timezone.now()
    AgreementEvent.objects.bulk_create(
        [
            AgreementEvent(
                organization=template.organization,
                agreement_id=agreement_id,
                kind=AgreementEvent.Kind.TEMPLATE,
                actor=user,
                actor_name=user.display_name if user else "",
                at=now,
                detail={"change": change},
            )
            for agreement_id in Agreement.objects.filter(
                organization=template.organization,
                template=template,
                status=Agreement.Status.OPEN,
            ).values_list("pk", flat=True)
        ]
    )


def agreements_move_to_current(*, program, user):
    """Move the program's agreements being filled on an older template version, which
    nobody has signed, to the current version.

    Answers to items the current version still has (same key, kind and per-party
    setting) are kept; answers to items it dropped go; name and email fields it added
    start from the accounts. Each moved agreement records it in its history. An
    agreement someone has signed stays as it is: its signature covers the old wording.
    Returns the number moved.
    """
    template = template_current(program)
    new_items = items_of(template) if template is not None else []
    if not new_items:
        # Moving to an empty version would only delete every answer.
        return 0
    by_key = {item.key: item for item in new_items}
    moved = 0
    with transaction.atomic():
        candidates = list(
            Agreement.objects.select_for_update(of=("self",))
            .filter(
                organization=program.organization,
                program=program,
                status=Agreement.Status.OPEN,
                match__status=Match.Status.ACTIVE,
                template__version__lt=template.version,
            )
            .select_related("organization", "program", "template")
        )
        # Read after the locks are held (a new statement sees signatures committed while
        # we waited): an agreement someone signed stays on the wording they signed.
        signed = set(
            Signature.objects.filter(
                organization=program.organization,
                agreement__in=[a.pk for a in candidates],
                voided_at__isnull=True,
            ).values_list("agreement_id", flat=True)
        )
        for agreement in candidates:
            if agreement.pk in signed:
                continue
            old_items = {item.pk: item for item in items_of(agreement.template)}
            keep, drop = [], []
            for row in AgreementValue.objects.filter(
                organization=agreement.organization, agreement=agreement
            ):
                new = _counterpart(row, old_items, by_key)
                if new is not None:
                    row.item = new
                    keep.append(row)
                else:
                    drop.append(row.pk)
            AgreementValue.objects.filter(organization=agreement.organization, pk__in=drop).delete()
            AgreementValue.objects.bulk_update(keep, ["item"])
            AgreementValue.objects.bulk_create(
                _prefill(
                    agreement,
                    new_items,
                    parties(agreement),
                    have={(row.item_id, row.party_id) for row in keep},
                )
            )
            before = agreement.template.version
            agreement.template = template
            agreement.coordinator_sees_pdf = template.coordinator_sees_pdf
            agreement.save(update_fields=["template", "coordinator_sees_pdf", "updated_at"])
            _event(
                agreement,
                AgreementEvent.Kind.TEMPLATE,
                Actor(user=user) if user else None,
                change=_(
                    "Moved from template version %(before)s to version %(after)s; answers to "
                    "items still there were kept."
                )
                % {"before": before, "after": template.version},
            )
            moved += 1
    return moved


# --- Filling ---------------------------------------------------------------------------


@dataclass
class SaveResult:
    row: AgreementValue | None
    changed: bool = False
    conflict: bool = False
    voided: bool = False


def _check_writable(agreement, user):
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


def value_save(*, agreement, item, actor, value, seen_revision):
    """Save one field: shared, or the actor's own per-party field.

    `seen_revision` is the revision the actor's form showed (0 for a field never saved).
    When someone else saved since, nothing is written and the result has `conflict` and
    the current row. Saving after any signature voids all signatures.
    """
    with transaction.atomic():
        agreement = _locked(agreement)
        _check_writable(agreement, actor.user)
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
        _event(
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
        voided = _void_signatures(
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


def _void_signatures(agreement, actor, *, at, reason, except_sha256=None):
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
    _event(
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
    _email_parties(
        agreement,
        parties(agreement),
        "agreement_voided",
        reason=reason,
        signers=[s.typed_name for s in valid],
    )
    return True


def _email_parties(agreement, members, template, key=None, **context):
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


# --- Signing ---------------------------------------------------------------------------


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
        agreement = _locked(agreement)
        _check_writable(agreement, actor.user)
        members = parties(agreement)
        items = items_of(agreement.template)
        values = values_of(agreement)
        text, sha = canonical_text(agreement, members=members, items=items, values=values)
        # A signature covers exactly what it hashed. If that changed by another road than
        # a field save (a name or email, the program's name, a template edit racing this
        # signature), the signature no longer covers the agreement: void it like any change.
        _void_signatures(
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
        signature = Signature.objects.create(
            organization=agreement.organization,
            agreement=agreement,
            signer=actor.user,
            typed_name=typed_name,
            consent_text=CONSENT_TEXT,
            intent_text=INTENT_TEXT,
            content_sha256=sha,
            signed_at=now,
            ip_address=actor.ip,
            user_agent=(actor.user_agent or "")[:500],
        )
        _event(agreement, AgreementEvent.Kind.SIGNED, actor, at=now, sha256=sha, name=typed_name)
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
        _event(previous, AgreementEvent.Kind.SUPERSEDED, at=now, by=agreement.number)
    agreement.status = Agreement.Status.SIGNED
    agreement.signed_at = now
    agreement.signed_content = text
    agreement.content_sha256 = sha
    agreement.save(
        update_fields=["status", "signed_at", "signed_content", "content_sha256", "updated_at"]
    )
    _event(agreement, AgreementEvent.Kind.COMPLETED, at=now, sha256=sha)
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
    _email_parties(agreement, members, "agreement_signed", key=f"signed:{agreement.pk}", sha256=sha)


# --- Amending --------------------------------------------------------------------------


def agreement_amend(*, agreement, actor):
    """Start an amendment of a signed agreement: a new open agreement, to be signed again.

    The signed one stays in force until the amendment is signed by everyone. Idempotent:
    when an amendment is already open, that one is returned.
    """
    with transaction.atomic():
        agreement = _locked(agreement)
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
        agreement = _locked(agreement)
        if agreement.status == Agreement.Status.WITHDRAWN:
            return agreement
        _check_writable(agreement, actor.user)
        if agreement.number == 1:
            raise AgreementError(_("Only an amendment can be withdrawn."))
        now = timezone.now()
        _void_signatures(agreement, actor, at=now, reason=_("The amendment was withdrawn."))
        agreement.status = Agreement.Status.WITHDRAWN
        agreement.save(update_fields=["status", "updated_at"])
        _event(agreement, AgreementEvent.Kind.WITHDRAWN, actor, at=now)
    return agreement


def agreement_in_force(agreement):
    """The signed agreement of `agreement`'s pair or circle, or None."""
    found = (
        Agreement.objects.filter(
            organization=agreement.organization,
            match_id=agreement.match_id,
            status=Agreement.Status.SIGNED,
        )
        .select_related("organization")
        .first()
    )
    return found


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
        _event(agreement, AgreementEvent.Kind.WITHDRAWN, at=now, reason="pair ended")
