"""A published pair with an agreement to fill: the fixture most agreement tests start from."""

from dataclasses import dataclass

import pytest
from django.http import QueryDict
from django_scopes import scope

from agreements import fields
from agreements.models import AgreementItem, AgreementTemplate
from agreements.selectors.agreement import canonical_text
from agreements.services.common import Actor
from agreements.services.create import agreement_create
from agreements.services.fill import value_save
from peercoach.tenancy.models import Membership
from programs.models import Match, Program
from tests.conftest import _member
from tests.factories import ProgramFactory, match_make

Kind = AgreementItem.Kind
Purpose = AgreementItem.Purpose

ITEMS = [
    {
        "kind": Kind.CLAUSE,
        "title": "Confidentiality",
        "body": "What we say stays between us.\n\n- unless the law requires otherwise",
    },
    {"kind": Kind.FREQUENCY, "title": "How often we meet", "purpose": Purpose.MEETING_FREQUENCY},
    {
        "kind": Kind.DURATION,
        "title": "How long a session lasts",
        "purpose": Purpose.MEETING_DURATION,
    },
    {
        "kind": Kind.SINGLE_CHOICE,
        "title": "Where we meet",
        "choices": ["Teams", "Zoom", "In person"],
        "purpose": Purpose.MODALITY,
    },
    {"kind": Kind.SHORT_TEXT, "title": "Name", "per_party": True, "purpose": Purpose.PARTY_NAME},
    {
        "kind": Kind.LONG_TEXT,
        "title": "My primary objective",
        "per_party": True,
        "purpose": Purpose.PRIMARY_OBJECTIVE,
    },
    {"kind": Kind.BULLET_LIST, "title": "Our social contract", "required": False},
]


def template_make(program, items=ITEMS, version=1, **kwargs):
    template = AgreementTemplate.objects.create(
        organization=program.organization, program=program, version=version, **kwargs
    )
    for position, spec in enumerate(items):
        AgreementItem.objects.create(
            organization=program.organization, template=template, position=position, **spec
        )
    return template


@dataclass
class Pair:
    org: object
    program: object
    match: object
    template: object
    agreement: object
    a: object
    b: object

    def item(self, title):
        return AgreementItem.objects.get(
            organization=self.org, template=self.agreement.template, title=title
        )

    def save(self, user, title, revision=None, **data):
        """Save a field the way the form does: parse the posted data, then the service."""
        item = self.item(title)
        query = QueryDict(mutable=True)
        for key, value in data.items():
            query.setlist(key, value if isinstance(value, list) else [value])
        if revision is None:
            row = self.agreement.values.filter(
                item=item, party=user if item.per_party else None
            ).first()
            revision = row.revision if row else 0
        return value_save(
            agreement=self.agreement,
            item=item,
            actor=Actor(user=user, ip="192.0.2.7", user_agent="pytest"),
            value=fields.parse(item, query),
            seen_revision=revision,
        )

    def fill_required(self):
        self.save(self.a, "How often we meet", every="fortnightly")
        self.save(self.a, "How long a session lasts", value="1:30")
        self.save(self.b, "Where we meet", value="Zoom")
        self.save(self.a, "My primary objective", value="Delegate more")
        self.save(self.b, "My primary objective", value="Speak up in meetings")

    def sha(self):
        return canonical_text(self.agreement)[1]


@pytest.fixture
def partner(org):
    return _member(org, Membership.Role.PARTICIPANT, "partner@acme.example.org")


@pytest.fixture
def pair(org, participant, partner):
    participant.first_name, participant.last_name = "Pat", "Lee"
    participant.save()
    partner.first_name, partner.last_name = "Robin", "Diaz"
    partner.save()
    with scope(organization=org):
        program = ProgramFactory(
            organization=org, format=Program.Format.RECIPROCAL, status=Program.Status.RUNNING
        )
        match = match_make(
            program=program, users=[participant, partner], status=Match.Status.ACTIVE
        )
        template = template_make(program)
        agreement = agreement_create(match=match, template=template)
        yield Pair(org, program, match, template, agreement, participant, partner)
