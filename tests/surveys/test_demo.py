"""The demo's survey: PeerSphere's program gets a sent debrief survey with enough answers
for its results to show; other programs get none; a second run adds nothing."""

import pytest
from django_scopes import scope, scopes_disabled

from peercoach.audit.models import Action, AuditEvent
from peercoach.tenancy.models import Membership
from programs.models import Match, Program
from surveys.demo import ANSWERING, surveys_demo_build
from surveys.models import Response, Survey
from surveys.selectors import survey_results
from tests.factories import MembershipFactory, OrganizationFactory, ProgramFactory, UserFactory

from .conftest import pair_users

pytestmark = pytest.mark.django_db


def _paired_program(slug, n=10):
    org = OrganizationFactory(slug=slug, name=slug.title())
    with scope(organization=org):
        MembershipFactory(organization=org, role=Membership.Role.COORDINATOR)
        program = ProgramFactory(organization=org, status=Program.Status.RUNNING)
        people = [UserFactory() for _ in range(n)]
        for user in people:
            MembershipFactory(organization=org, user=user)
    for i in range(0, n, 2):
        pair_users(org, program, people[i : i + 2], Match.Status.ACTIVE)
    return program


def test_peersphere_gets_a_sent_survey_with_answers(mailoutbox):
    peersphere, other = _paired_program("peersphere"), _paired_program("atc")
    with scopes_disabled():
        survey = surveys_demo_build(programs=[other, peersphere])
        again = surveys_demo_build(programs=[other, peersphere])
        assert again.pk == survey.pk
        assert Survey.objects.filter(program=other).count() == 0
        assert Survey.objects.count() == 1
        assert survey.status == Survey.Status.OPEN
        assert Response.objects.filter(survey=survey).count() == ANSWERING
        assert AuditEvent.objects.filter(action=Action.SURVEY_SENT).count() == 1
    with scope(organization=peersphere.organization):
        results = survey_results(survey=survey)
    assert results.shown
    assert all(row.answered for row in results.questions if row.question.required)
    assert mailoutbox == []


def test_without_peersphere_nothing_happens():
    assert surveys_demo_build(programs=[_paired_program("wit")]) is None
