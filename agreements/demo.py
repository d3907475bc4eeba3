"""Demo agreements: each demo program's template from its starter, and an agreement for
every pair or circle the demo already published.

In PeerSphere, one pair has filled and signed its agreement (its PDF is rendered when
the demo commits), and a second pair has filled theirs and one of them has signed, so
the signed PDF and the "waiting for your signature" state can be seen right away.

Goes through the services a coordinator's clicks use (`template_from_starter`,
`agreements_start_missing`). Idempotent: a program whose template already has items is
left as it is (a coordinator may have edited it), and pairs that have an agreement get
no second one; agreements already filled are not filled again.
"""

from dataclasses import dataclass, field

from django.http import QueryDict

from peercoach.demo_util import in_language
from programs.demo import demo_programs
from programs.models import Match, Program

from . import fields
from .models import Agreement, AgreementItem, AgreementValue
from .selectors.agreement import canonical_text, parties
from .services.common import Actor
from .services.create import agreements_start_missing
from .services.documents import agreement_pdf_issue
from .services.fill import value_save
from .services.sign import agreement_sign
from .services.templates import template_from_starter
from .services.versions import template_current
from .starters import starter_for_program

# The starter modelled on each demo organisation's handout. WIT's handout has no
# agreement of its own: its reciprocal pairs get the reciprocal starter.
DEMO_STARTERS = {
    "one-it": "one_way",
    "wit": "reciprocal",
    "peersphere": "peersphere",
    "atc": "reciprocal",
    "power-circles": "circle",
    "tres-rios": "reciprocal",
}


@dataclass
class DemoAgreements:
    program: Program
    starter: str
    template_created: bool
    agreements_started: int
    # [(what to say, [party emails])] for the agreements the demo filled in.
    showcased: list = field(default_factory=list)


SHOWCASE_ORG = "peersphere"
DEMO_ACTOR = {"ip": "127.0.0.1", "user_agent": "peercoach demo data"}
OBJECTIVES = [
    "Give clearer, kinder feedback to the people I supervise",
    "Decide whether to apply for the team lead role next year",
    "Run shorter, more useful project meetings",
    "Build a network outside my own community",
]


def agreements_demo_load(*, organizations):
    """A loader of settings.DEMO_LOADERS (see peercoach.demo): `agreements_demo_build` for
    the organisations' demo programs; returns the lines the demo command prints."""
    lines = {}
    for demo in agreements_demo_build(programs=demo_programs(organizations)):
        shown = [f"  agreement:    from the “{demo.starter}” starter"]
        shown += [f"    {status}: {' and '.join(emails)}" for status, emails in demo.showcased]
        lines[demo.program.organization_id] = shown
    return lines


def agreements_demo_build(*, programs):
    """Give each of `programs` its starter template (when its template has no items) and
    agreements for its active pairs without one. Runs inside the caller's transaction
    with scopes disabled. Returns a DemoAgreements per program."""
    loaded = []
    for program in programs:
        starter = DEMO_STARTERS.get(program.organization.slug) or starter_for_program(program)
        template = template_current(program)
        empty = (
            template is None
            or not AgreementItem.objects.filter(
                organization=program.organization, template=template
            ).exists()
        )
        if empty:
            # A starter's texts are gettext_lazy: built in the organisation's language.
            with in_language(program.organization):
                template_from_starter(program=program, starter_key=starter, user=None)
        started = agreements_start_missing(program=program)
        demo = DemoAgreements(
            program=program, starter=starter, template_created=empty, agreements_started=started
        )
        if program.organization.slug == SHOWCASE_ORG:
            demo.showcased = _showcase(program)
        loaded.append(demo)
    return loaded


def _demo_answer(item, index, program):
    """A plausible answer for `item`, as the form would post it, for the party `index`."""
    kind, purpose = item.kind, item.purpose
    data = QueryDict(mutable=True)
    if kind == AgreementItem.Kind.FREQUENCY:
        data["every"] = (
            "monthly" if purpose == AgreementItem.Purpose.REPORTING_FREQUENCY else "fortnightly"
        )
    elif kind == AgreementItem.Kind.DURATION:
        data["value"] = "60"
    elif kind == AgreementItem.Kind.DATE:
        data["value"] = program.term_end.isoformat()
    elif kind == AgreementItem.Kind.NUMBER:
        data["value"] = "6"
    elif kind == AgreementItem.Kind.SINGLE_CHOICE:
        data["value"] = item.choices[index % len(item.choices)]
    elif kind == AgreementItem.Kind.MULTIPLE_CHOICE:
        data.setlist("value", item.choices[:1])
    elif kind == AgreementItem.Kind.BULLET_LIST:
        data["value"] = "Come prepared\nSay so early when something is not working"
    elif purpose == AgreementItem.Purpose.PRIMARY_OBJECTIVE:
        data["value"] = OBJECTIVES[index % len(OBJECTIVES)]
    elif purpose in (AgreementItem.Purpose.OFFICE_PHONE, AgreementItem.Purpose.CELL_PHONE):
        data["value"] = f"+1 555 010{index} {200 + index}"
    elif purpose == AgreementItem.Purpose.BEST_TIME:
        data["value"] = ["Mornings before ten", "Tuesday afternoons"][index % 2]
    else:
        data["value"] = "As we agreed in our first meeting."
    return fields.parse(item, data)


def _fill(agreement, members):
    items = list(
        AgreementItem.objects.filter(
            organization=agreement.organization, template=agreement.template
        ).exclude(kind=AgreementItem.Kind.CLAUSE)
    )
    filled = set(
        AgreementValue.objects.filter(
            organization=agreement.organization, agreement=agreement
        ).values_list("item_id", "party_id")
    )
    for item in items:
        owners = (
            [(i, m.user) for i, m in enumerate(members)]
            if item.per_party
            else [(0, members[0].user)]
        )
        for index, user in owners:
            if (item.pk, user.pk if item.per_party else None) in filled:
                continue
            value_save(
                agreement=agreement,
                item=item,
                actor=Actor(user=user, **DEMO_ACTOR),
                value=_demo_answer(item, index, agreement.program),
                seen_revision=0,
            )


def _sign(agreement, user):
    agreement_sign(
        agreement=agreement,
        actor=Actor(user=user, **DEMO_ACTOR),
        typed_name=user.get_full_name() or user.email,
        consent=True,
        intent=True,
        seen_sha256=canonical_text(agreement)[1],
        quiet=True,
    )


def _showcase(program):
    """The first agreement of the first two pairs: both sign the first, one the second.

    Only ever agreement number 1 of those pairs, and only while it is open: a re-run never
    fills or signs what a person started since (an amendment, say)."""
    first_two = list(
        Match.objects.filter(
            organization=program.organization, program=program, status=Match.Status.ACTIVE
        )
        .order_by("id")
        .values_list("pk", flat=True)[:2]
    )
    agreements = list(
        Agreement.objects.filter(
            organization=program.organization, match_id__in=first_two, number=1
        )
        .select_related("organization", "program", "match", "template")
        .order_by("match_id")
    )
    shown = []
    for position, agreement in enumerate(agreements):
        members = parties(agreement)
        if agreement.status == Agreement.Status.OPEN:
            _fill(agreement, members)
            signers = members if position == 0 else members[:1]
            signed = set(
                agreement.signatures.filter(voided_at__isnull=True).values_list(
                    "signer_id", flat=True
                )
            )
            for member in signers:
                if member.user_id not in signed:
                    _sign(agreement, member.user)
            agreement.refresh_from_db()
        if agreement.status == Agreement.Status.SIGNED and not agreement.pdf_sha256:
            # In the demo's transaction: the demo emails nobody and queues nothing.
            agreement_pdf_issue(organization=program.organization, agreement_id=agreement.pk)
            agreement.refresh_from_db()
        if agreement.status == Agreement.Status.OPEN:
            state = "filled in, signed by the first only"
        else:
            state = "signed by both, PDF ready"
        shown.append((state, [m.user.email for m in members]))
    return shown
