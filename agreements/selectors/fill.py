"""Reads for the parties' agreement pages: the items with their cells, signatures, history.

A *cell* is one place a value lives: a shared field has one, a per-party field one per
party. The viewer may edit a cell when the agreement is open and the cell is shared or
their own; everyone else's per-party cells are shown read-only.
"""

from dataclasses import dataclass, field

from programs.models import Match

from .. import fields
from ..formatting import clause_html
from ..models import Agreement, AgreementEvent, AgreementValue, Signature
from .agreement import canonical_text, items_of, missing_fields, parties, values_of


@dataclass
class Cell:
    item: object
    member: object | None  # the party of a per-party cell
    row: AgreementValue | None
    editable: bool
    # Set when a save is answered: the submitted form data to show again, and why.
    data: dict | None = None
    error: str = ""
    conflict: bool = False
    saved: bool = False
    voided: bool = False
    # The revision the person's form was showing, kept when a save is refused: a refusal
    # must never move the form on to a revision whose text the person has not accepted,
    # or the next save (the Save button after a change event) overwrites it unseen.
    seen: int | None = None

    @property
    def dom_id(self):
        return f"{self.item.pk}-{self.member.user_id if self.member else 0}"

    @property
    def value(self):
        return self.row.value if self.row else None

    @property
    def display(self):
        return fields.display(self.item, self.value)

    @property
    def is_list(self):
        return self.item.kind in (self.item.Kind.BULLET_LIST, self.item.Kind.MULTIPLE_CHOICE)

    @property
    def revision(self):
        """The revision the form carries back with its next save."""
        return self.seen if self.seen is not None else self.current_revision

    @property
    def current_revision(self):
        """The stored revision: what "Replace theirs with mine" may overwrite."""
        return self.row.revision if self.row else 0

    @property
    def initial(self):
        if self.data is not None:
            return {
                "value": self.data.get("value", ""),
                "values": self.data.getlist("value") if hasattr(self.data, "getlist") else [],
                "every": self.data.get("every", ""),
                "other": self.data.get("other", ""),
            }
        return fields.form_initial(self.item, self.value)


@dataclass
class ItemView:
    item: object
    html: str = ""
    cells: list = field(default_factory=list)


def agreement_page(*, agreement, user):
    """Everything the agreement page shows to `user`, one of its parties."""
    members = parties(agreement)
    items = items_of(agreement.template)
    values = values_of(agreement)
    writable = agreement.is_open and agreement.match.status == Match.Status.ACTIVE
    views = []
    for item in items:
        view = ItemView(item=item)
        if not item.is_field:
            view.html = clause_html(item.body)
        elif item.per_party:
            view.cells = [
                Cell(
                    item=item,
                    member=member,
                    row=values.get((item.pk, member.user_id)),
                    editable=writable and member.user_id == user.pk,
                )
                for member in members
            ]
        else:
            view.cells = [
                Cell(item=item, member=None, row=values.get((item.pk, None)), editable=writable)
            ]
        views.append(view)
    signatures = list(
        Signature.objects.filter(organization=agreement.organization, agreement=agreement)
        .select_related("signer")
        .order_by("signed_at", "id")
    )
    sha = ""
    if agreement.is_open:
        sha = canonical_text(agreement, members=members, items=items, values=values)[1]
    # A signature counts while it covers the agreement as it is now; one that hashed an
    # earlier form (a name or the program renamed since) is voided at the next signing.
    valid = [s for s in signatures if s.voided_at is None and (not sha or s.content_sha256 == sha)]
    signed_ids = {s.signer_id for s in valid}
    numbers = list(
        Agreement.objects.filter(organization=agreement.organization, match_id=agreement.match_id)
        .order_by("number")
        .values("pk", "number", "status")
    )
    return {
        "agreement": agreement,
        "members": members,
        "party_names": [m.user.display_name for m in members],
        "frequencies": [(key, label) for key, label, _days in fields.FREQUENCIES],
        "items": views,
        "writable": writable,
        "signatures": valid,
        "voided_count": len(signatures) - len(valid),
        "unsigned": [m for m in members if m.user_id not in signed_ids],
        "i_signed": user.pk in signed_ids,
        "missing": missing_fields(items, members, values),
        "sha256": sha,
        "versions": numbers,
        "current": next((n for n in numbers if n["status"] == Agreement.Status.OPEN), None),
        "in_force": next((n for n in numbers if n["status"] == Agreement.Status.SIGNED), None),
    }


def cell_for(*, agreement, item, user, row=...):
    """The cell `user` edits for `item`: theirs for a per-party field, else the shared one
    (`row=None`: without looking its value up)."""
    party_id = user.pk if item.per_party else None
    if row is ...:
        row = (
            AgreementValue.objects.filter(organization=agreement.organization, agreement=agreement)
            .filter(item=item, party_id=party_id)
            .select_related("updated_by")
            .first()
        )
    member = None
    if item.per_party:
        member = next(m for m in parties(agreement) if m.user_id == user.pk)
    return Cell(item=item, member=member, row=row, editable=True)


def agreement_history(*, agreement):
    return list(
        AgreementEvent.objects.filter(organization=agreement.organization, agreement=agreement)
        .select_related("item")
        .order_by("at", "id")
    )
