"""Reminder emails carry a plain one-click unsubscribe header (RFC 2369 / RFC 8058)."""

import email.policy

import pytest
from django.utils import timezone
from django_scopes import scope

from peercoach.notifications.models import Delivery
from peercoach.notifications.services import delivery_message

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("policy", [email.policy.default, email.policy.SMTP])
def test_the_unsubscribe_header_stays_a_plain_url_whatever_its_length(org, participant, policy):
    with scope(organization=org):
        row = Delivery.objects.create(
            organization=org,
            recipient=participant,
            kind="agreement",
            period="a1:1",
            due_at=timezone.now(),
            context={"program_name": "Spring", "url": "https://example.org/x"},
        )
        message = delivery_message(delivery=row, recipient=participant, organization=org)
    raw = message.message(policy=policy).as_bytes()
    assert b"List-Unsubscribe: <http" in raw
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw
    assert len(message.extra_headers["List-Unsubscribe"]) > 78  # long enough to be folded


def test_a_reminder_message_id_is_in_the_sites_domain(org, participant, settings):
    settings.SITE_URL = "https://coach.example.org"
    with scope(organization=org):
        row = _row(org, participant, "agreement", "a1:1")
        message = delivery_message(delivery=row, recipient=participant, organization=org)
    parsed = message.message()
    assert parsed["Message-ID"] == f"<delivery-{row.pk}.{org.pk}@coach.example.org>"


def _row(org, user, kind, period):
    return Delivery.objects.create(
        organization=org, recipient=user, kind=kind, period=period, due_at=timezone.now()
    )


def test_a_session_reminder_carries_the_sessions_calendar_file(org, participant):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from icalendar import Calendar

    from sessions.models import Session
    from tests.sessions.conftest import pair_make

    pair = pair_make(org, participant)

    with scope(organization=org):
        day = timezone.localdate() + timedelta(days=1)
        session = Session.objects.create(
            organization=org,
            program=pair.program,
            match=pair.match,
            status=Session.Status.SCHEDULED,
            starts_at=datetime.combine(day, datetime.min.time().replace(hour=10)).replace(
                tzinfo=ZoneInfo("America/New_York")
            ),
            time_zone="America/New_York",
            duration_minutes=60,
        )
        row = _row(org, pair.me, "session", f"s{session.pk}:{session.sequence}")
        message = delivery_message(delivery=row, recipient=pair.me, organization=org)
    (name, content, mimetype) = message.attachments[0]
    assert mimetype == "text/calendar" and name.endswith(".ics")
    (event,) = Calendar.from_ical(content).walk("VEVENT")
    start = event.decoded("dtstart")
    assert (start.hour, str(start.tzinfo)) == (10, "America/New_York")
    assert str(event.get("UID")) == str(session.uid)


def test_an_event_reminder_carries_the_events_calendar_file(org, participant):
    from icalendar import Calendar

    from tests.factories import ProgramEventFactory, ProgramFactory

    with scope(organization=org):
        event = ProgramEventFactory(program=ProgramFactory(organization=org), title="Kick-off")
        row = _row(org, participant, "event", f"e{event.pk}:x")
        message = delivery_message(delivery=row, recipient=participant, organization=org)
        gone = _row(org, participant, "event", "e999999:x")
        assert (
            delivery_message(delivery=gone, recipient=participant, organization=org).attachments
            == []
        )
    (_name, content, _mimetype) = message.attachments[0]
    (vevent,) = Calendar.from_ical(content).walk("VEVENT")
    assert "Kick-off" in str(vevent.get("SUMMARY"))
    assert vevent.decoded("dtstart") == event.starts_at.replace(microsecond=0)
