"""A coordinator's nudge of a pair (sessions.services.nudge): a ledger row per member (kind
NUDGE), once a day, people's preferences respected, audited only when someone is emailed.
The page and who may click it: tests/workspace/test_dashboard_nudge.py."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scope

from peercoach.audit.models import Action, AuditEvent
from peercoach.notifications.models import Delivery, Kind, Preference
from sessions.models import PrivateNote, Session
from sessions.services.nudge import pair_nudge
from tests.notifications.test_rules import make_pair

pytestmark = pytest.mark.django_db

PRIVATE = "private-note-sentinel-nudge"


def quiet_pair(org, participant):
    """A pair of a running program that has not met for 40 days; its last session has
    shared notes and a private note, which no nudge may show."""
    today = timezone.localdate(timezone=org.tzinfo)
    pair = make_pair(
        org,
        participant,
        published=today - timedelta(days=40),
        term=(today - timedelta(days=60), today + timedelta(days=120)),
    )
    with scope(organization=org):
        session = Session.objects.create(
            organization=org,
            program=pair.program,
            match=pair.match,
            status=Session.Status.HELD,
            starts_at=timezone.now() - timedelta(days=39),
            time_zone=org.time_zone,
            duration_minutes=60,
            shared_notes="shared-notes-sentinel-nudge",
        )
        PrivateNote.objects.create(
            organization=org, session=session, author=participant, body=PRIVATE
        )
    return pair


@pytest.fixture
def quiet(org, participant):
    return quiet_pair(org, participant)


def rows(org):
    with scope(organization=org):
        return list(Delivery.objects.filter(kind=Kind.NUDGE).order_by("recipient_id"))


def audits(org):
    with scope(organization=org):
        return list(AuditEvent.objects.filter(action=Action.NUDGE))


def test_once_a_day_per_pair_a_new_day_nudges_again(org, coordinator, quiet):
    now = timezone.now()
    with scope(organization=org):
        first = pair_nudge(organization=org, match=quiet.match, by=coordinator, now=now)
        again = pair_nudge(organization=org, match=quiet.match, by=coordinator, now=now)
        tomorrow = pair_nudge(
            organization=org, match=quiet.match, by=coordinator, now=now + timedelta(days=1)
        )

    assert len(first.queued) == 2 and again.queued == [] and len(again.already) == 2
    assert len(tomorrow.queued) == 2
    assert len({r.period for r in rows(org)}) == 2


def test_nobody_to_email_records_nothing_and_audits_nothing(org, coordinator, quiet):
    with scope(organization=org):
        for user in quiet.people:
            Preference.objects.create(organization=org, user=user, kind=Kind.NUDGE, enabled=False)
        result = pair_nudge(organization=org, match=quiet.match, by=coordinator)

    assert result.queued == [] and len(result.turned_off) == 2
    assert rows(org) == [] and audits(org) == []
