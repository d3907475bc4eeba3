"""Creating agreements: one per published pair or circle, an amendment carrying the
previous agreement's answers, and moving agreements still being filled to the template's
current version.

Name and email fields start from each party's account. Starting agreements for many
pairs at once costs a constant number of queries.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peercoach.tenancy.languages import language_of, supported
from programs.models import Match, MatchMember

from ..models import Agreement, AgreementEvent, AgreementItem, AgreementValue, Signature
from ..selectors.agreement import items_of, parties
from .common import Actor, event_record
from .versions import template_current


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


def issue_language(template, organization):
    """The language a new agreement from `template` is issued in: the template's (the
    language its wording was written in), else the organisation's default, else
    LANGUAGE_CODE."""
    return supported(template.language) or language_of(None, organization)


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
        language=issue_language(template, match.organization),
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
    event_record(
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
    language = issue_language(template, organization)
    agreements = Agreement.objects.bulk_create(
        [
            Agreement(
                organization=organization,
                match=match,
                program_id=match.program_id,
                template=template,
                number=1,
                coordinator_sees_pdf=template.coordinator_sees_pdf,
                language=language,
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
            event_record(
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
