"""Pairs and circles to log sessions in: active, published, with their people.

`pair(format)` makes an active match in a running program of `org` whose first member is
the `participant` fixture; the others are new participants of `org`. Use inside tests that
need the scope (the fixtures enter it themselves).
"""

from dataclasses import dataclass

import pytest
from django.utils import timezone
from django_scopes import scope

from peercoach.tenancy.models import Membership
from programs.models import Match, MatchMember, Program
from tests.factories import MembershipFactory, ProgramFactory, UserFactory, match_make

ROLES = {
    Program.Format.ONE_WAY: [MatchMember.Role.COACH, MatchMember.Role.COACHEE],
    Program.Format.RECIPROCAL: [MatchMember.Role.PARTNER, MatchMember.Role.PARTNER],
}


@dataclass
class Pair:
    program: Program
    match: Match
    people: list  # users, the `participant` fixture first

    @property
    def me(self):
        return self.people[0]

    @property
    def partner(self):
        return self.people[1]


def person(org, email):
    with scope(organization=org):
        user = UserFactory(email=email)
        MembershipFactory(organization=org, user=user, role=Membership.Role.PARTICIPANT)
    return user


def pair_make(org, first, *, format=Program.Format.RECIPROCAL, size=2, program=None, **program_kw):
    """An active pair (or circle of `size`) with `first` in it, published now."""
    with scope(organization=org):
        if program is None:
            program = ProgramFactory(
                organization=org,
                format=format,
                status=Program.Status.RUNNING,
                **program_kw,
            )
        others = [
            person(org, f"{program.pk}-{i}-{first.pk}@acme.example.org") for i in range(1, size)
        ]
        users = [first, *others]
        roles = ROLES.get(program.format, [MatchMember.Role.MEMBER] * size)
        match = match_make(program=program, users=users, status=Match.Status.ACTIVE, roles=roles)
        match.published_at = timezone.now()
        match.save(update_fields=["published_at"])
    return Pair(program=program, match=match, people=users)


@pytest.fixture
def pair(org, participant):
    """An active reciprocal pair: `participant` and a partner."""
    return pair_make(org, participant)


@pytest.fixture
def one_way_pair(org, participant):
    """An active one-way pair: `participant` coaches, the partner is the peer."""
    return pair_make(org, participant, format=Program.Format.ONE_WAY)


@pytest.fixture
def circle(org, participant):
    """An active circle of four with `participant` first."""
    return pair_make(org, participant, format=Program.Format.CIRCLE, size=4, min_minutes_each=30)
