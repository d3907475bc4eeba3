"""Reads for the coordinators' agreement pages: the template builder and the status list.

Coordinators see the template and, per pair or circle, where its agreement stands: who
has signed and when, whether a PDF exists. Never what the parties wrote: nothing here
loads a value or the signed text. Query counts do not grow with the number of items,
pairs or signatures.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from programs.models import Match, MatchMember

from ..formatting import clause_html
from ..models import Agreement, AgreementItem, AgreementValue, Signature
from ..services.versions import template_current, template_is_frozen
from ..starters import STARTERS, starter_for_program

Purpose = AgreementItem.Purpose


def _filled_count():
    rows = (
        AgreementValue.objects.filter(organization=OuterRef("organization"), item=OuterRef("pk"))
        .order_by()
        .values("item")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def template_items(template):
    """The version's items in order, each with `filled` (answers given to it so far)."""
    if template is None:
        return []
    return list(
        AgreementItem.objects.filter(organization=template.organization, template=template)
        .annotate(filled=_filled_count())
        .order_by("position", "id")
    )


def active_without_agreement(*, program):
    """How many active pairs or circles of `program` have no agreement at all."""
    return (
        Match.objects.filter(
            organization=program.organization, program=program, status=Match.Status.ACTIVE
        )
        .exclude(
            Exists(
                Agreement.objects.filter(
                    organization=OuterRef("organization"), match=OuterRef("pk")
                )
            )
        )
        .count()
    )


@dataclass
class Readiness:
    """Whether publishing gives pairs an agreement, and which pairs still lack one."""

    has_items: bool  # the current version has something to fill in and sign
    missing: int  # active pairs or circles without any agreement
    suggested: object  # the starter suggested for this program
    starters: list = field(default_factory=list)


def agreement_readiness(*, program):
    """What the pairing page's publish step and the program page say about agreements
    (three queries): publishing only gives pairs an agreement when the template has items."""
    template = template_current(program)
    has_items = (
        template is not None
        and AgreementItem.objects.filter(
            organization=program.organization, template=template
        ).exists()
    )
    return Readiness(
        has_items=has_items,
        missing=active_without_agreement(program=program),
        suggested=STARTERS.get(starter_for_program(program)),
        starters=list(STARTERS.values()),
    )


def _warnings(program, items):
    """What the builder points out about the current version's fields."""
    if not items:
        return []
    purposes = {item.purpose for item in items if item.purpose}
    warnings = []
    if Purpose.MEETING_FREQUENCY not in purposes:
        warnings.append(
            _(
                "No field says how often the pair meets, so reminders follow the program's "
                "cadence. Give a frequency field the use “How often the pair meets”."
            )
        )
    if Purpose.MEETING_DURATION not in purposes:
        warnings.append(
            _(
                "No field says how long a session lasts, so the program's session length "
                "applies. Give a duration field the use “How long a session lasts”."
            )
        )
    if Purpose.PRIMARY_OBJECTIVE not in purposes:
        warnings.append(
            _(
                "No field holds each party's primary objective, so it cannot show on their "
                "goals. Add a per-party text field used for “Each party's primary objective”."
            )
        )
    if not any(item.is_field for item in items):
        warnings.append(
            _("The agreement has clauses only: there is nothing for the pair to fill in.")
        )
    return warnings


def builder_page(*, program):
    """What the template builder shows: the current version, its items, whether someone
    signed against it, how many agreements use it, and how many active pairs lack one."""
    template = template_current(program)
    items = template_items(template)
    frozen = template is not None and template_is_frozen(template)
    agreement_counts = {"total": 0, "open": 0, "signed": 0}
    if template is not None:
        agreement_counts = Agreement.objects.filter(
            organization=program.organization, template=template
        ).aggregate(
            total=Count("pk"),
            open=Count("pk", filter=Q(status=Agreement.Status.OPEN)),
            signed=Count(
                "pk",
                filter=Q(status__in=[Agreement.Status.SIGNED, Agreement.Status.SUPERSEDED]),
            ),
        )
    return {
        "template": template,
        "items": items,
        "frozen": frozen,
        "next_version": (template.version + 1) if template else 1,
        "agreement_counts": agreement_counts,
        "missing_count": active_without_agreement(program=program),
        "outdated_count": outdated_unsigned(program=program, template=template),
        "warnings": _warnings(program, items),
    }


def outdated_unsigned(*, program, template):
    """Agreements being filled on an older version than `template` that nobody has signed:
    those the coordinator can move to the current version."""
    if template is None:
        return 0
    return (
        Agreement.objects.filter(
            organization=program.organization,
            program=program,
            status=Agreement.Status.OPEN,
            template__version__lt=template.version,
        )
        .exclude(
            pk__in=Signature.objects.filter(
                organization=program.organization, voided_at__isnull=True
            ).values("agreement_id")
        )
        .count()
    )


@dataclass
class PreviewItem:
    item: object
    html: str = ""


def preview_items(template):
    """The version's items as the pair sees them: clause text as HTML, fields empty."""
    return [
        PreviewItem(item=item, html=clause_html(item.body) if not item.is_field else "")
        for item in template_items(template)
    ]


# --- Status list -------------------------------------------------------------------------

# Only what the list shows: never the signed text or a value.
AGREEMENT_COLUMNS = (
    "id",
    "organization_id",
    "match_id",
    "template_id",
    "template__version",
    "number",
    "status",
    "signed_at",
    "coordinator_sees_pdf",
    "pdf",
    "pdf_created_at",
)


@dataclass
class StatusRow:
    match: object
    members: list
    agreement: object = None  # the latest agreement (an open amendment, or the one in force)
    in_force: object = None  # the signed agreement while an amendment is being filled
    signers: list = field(default_factory=list)

    @property
    def party_count(self):
        return len(self.members)

    @property
    def signed_count(self):
        return len(self.signers)

    @property
    def has_pdf(self):
        return bool(self.pdf_agreement)

    @property
    def pdf_agreement(self):
        """The agreement whose signed PDF exists (the one in force), if any."""
        for agreement in (self.agreement, self.in_force):
            if agreement is not None and agreement.pdf:
                return agreement
        return None


def agreement_status_rows(*, program):
    """One row per active or ended pair or circle of `program`: members, its latest
    agreement's number, status and valid signers, when it was signed, whether a PDF
    exists. Active ones first. Four queries whatever the number of pairs."""
    agreements = (
        Agreement.objects.filter(organization=program.organization)
        .exclude(status=Agreement.Status.WITHDRAWN)
        .select_related("template")
        .only(*AGREEMENT_COLUMNS)
        .prefetch_related(
            Prefetch(
                "signatures",
                queryset=Signature.objects.filter(
                    organization=program.organization, voided_at__isnull=True
                )
                .select_related("signer")
                .only(
                    "id",
                    "agreement_id",
                    "signed_at",
                    "typed_name",
                    "signer__first_name",
                    "signer__last_name",
                    "signer__email",
                    "signer__deleted_at",
                )
                .order_by("signed_at", "id"),
                to_attr="valid_signatures",
            )
        )
        .order_by("-number")
    )
    matches = (
        Match.objects.filter(
            organization=program.organization,
            program=program,
            status__in=[Match.Status.ACTIVE, Match.Status.ENDED],
        )
        .prefetch_related(
            Prefetch(
                "members",
                queryset=MatchMember.objects.filter(organization=program.organization)
                .select_related("user")
                .order_by("position", "id"),
                to_attr="member_list",
            ),
            Prefetch("agreements", queryset=agreements, to_attr="agreement_list"),
        )
        .order_by("id")
    )
    rows = []
    for match in matches:
        row = StatusRow(match=match, members=match.member_list)
        if match.agreement_list:
            row.agreement = match.agreement_list[0]
            # The typed name stands in for an account deleted since.
            row.signers = [
                s.signer.display_name if s.signer else s.typed_name
                for s in row.agreement.valid_signatures
            ]
            if row.agreement.status == Agreement.Status.OPEN:
                row.in_force = next(
                    (a for a in match.agreement_list if a.status == Agreement.Status.SIGNED),
                    None,
                )
        rows.append(row)
    rows.sort(key=lambda row: (row.match.status != Match.Status.ACTIVE, row.match.pk))
    return rows


def status_summary(rows):
    """Counts for the list's heading."""
    return {
        "total": len(rows),
        # A pair amending a signed agreement still has one in force: it counts as signed.
        "signed": sum(
            1
            for row in rows
            if row.agreement is not None
            and (row.agreement.status == Agreement.Status.SIGNED or row.in_force is not None)
        ),
        "open": sum(
            1
            for row in rows
            if row.agreement is not None
            and row.agreement.status == Agreement.Status.OPEN
            and row.in_force is None
        ),
        "none": sum(1 for row in rows if row.agreement is None),
    }
