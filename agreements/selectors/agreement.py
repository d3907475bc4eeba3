"""Reads of one agreement that its pages and its writes both need: its parties, its
template's items, its values, the canonical text they make and the required fields still
empty, and the signed agreement in force for its pair."""

from django.db.models import Q

from programs.models import Match, MatchMember

from .. import canonical, fields
from ..models import Agreement, AgreementItem, AgreementValue


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
    """The template's items, in order."""
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
