"""The audit log's demo: the rows the demo's services wrote move to the story's dates,
and a coordinator's earlier actions are added once."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from peercoach.audit.models import Action
from programs.demo_audit import audit_demo_build
from programs.models import Match
from programs.services import proposals
from tests.audit.conftest import events
from tests.factories import ApplicationFactory, ProgramFactory, UserFactory, match_make

pytestmark = pytest.mark.django_db


def test_demo_rows_follow_the_publication_date_and_load_once(org, coordinator):
    with scope(organization=org):
        program = ProgramFactory(organization=org, name="Demo term")
        a, b = UserFactory(), UserFactory()
        for user in (a, b):
            ApplicationFactory(program=program, user=user)
        match_make(program=program, users=[a, b])
        proposals.proposal_publish(program=program, published_by=coordinator)
        published = timezone.now() - timedelta(days=30)
        Match.objects.filter(program=program).update(published_at=published)
    with scopes_disabled():
        audit_demo_build(programs=[program])
        audit_demo_build(programs=[program])  # a second run adds nothing
    rows = events(org)
    actions = sorted(row.action for row in rows)
    assert actions == sorted(
        [Action.PAIRING_PUBLISHED, Action.PROGRAM_CREATED, Action.PROGRAM_STATUS, Action.EXPORT]
    )
    by_action = {row.action: row for row in rows}
    assert abs(by_action[Action.PAIRING_PUBLISHED].created_at - published) < timedelta(hours=1)
    assert by_action[Action.PROGRAM_CREATED].created_at < published - timedelta(days=30)
    assert all(row.ip and row.actor == coordinator for row in rows)
