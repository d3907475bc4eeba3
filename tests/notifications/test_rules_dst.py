"""Daylight-saving weeks: every reminder is due at 08:00 local time on both sides of the
change, not an hour early or late.

- Europe/Berlin leaves summer time on Sunday 25 October 2026 at 01:00 UTC:
  08:00 is 06:00 UTC until Saturday 24, and 07:00 UTC from Sunday 25.
- America/New_York leaves it on Sunday 1 November 2026 at 06:00 UTC:
  08:00 is 12:00 UTC until Saturday 31 October, and 13:00 UTC from Sunday 1 November.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django_scopes import scope

from peercoach.notifications.dispatch import reminders_dispatch
from peercoach.notifications.models import Delivery, Kind
from programs.reminders import event_reminders
from sessions import reminders as rules
from sessions.reminders.agreements import agreement_reminders
from tests.factories import ProgramEventFactory
from tests.notifications.test_rules import agreement_for, at, days, make_pair, run, session_make

pytestmark = pytest.mark.django_db

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
MINUTE = timedelta(minutes=1)

# (zone, day, 08:00 that day in UTC) around each change.
MORNINGS = [
    (BERLIN, date(2026, 10, 23), datetime(2026, 10, 23, 6, 0, tzinfo=UTC)),
    (BERLIN, date(2026, 10, 24), datetime(2026, 10, 24, 6, 0, tzinfo=UTC)),
    (BERLIN, date(2026, 10, 25), datetime(2026, 10, 25, 7, 0, tzinfo=UTC)),
    (BERLIN, date(2026, 10, 26), datetime(2026, 10, 26, 7, 0, tzinfo=UTC)),
    (NEW_YORK, date(2026, 10, 30), datetime(2026, 10, 30, 12, 0, tzinfo=UTC)),
    (NEW_YORK, date(2026, 10, 31), datetime(2026, 10, 31, 12, 0, tzinfo=UTC)),
    (NEW_YORK, date(2026, 11, 1), datetime(2026, 11, 1, 13, 0, tzinfo=UTC)),
    (NEW_YORK, date(2026, 11, 2), datetime(2026, 11, 2, 13, 0, tzinfo=UTC)),
]
IDS = [f"{zone.split('/')[1]}-{day:%m-%d}" for zone, day, _utc in MORNINGS]


@pytest.fixture
def me(participant):
    """The participant, in the zone the test names (the organisation is in Berlin)."""

    def in_zone(zone):
        participant.time_zone = "" if zone == BERLIN else zone
        participant.save(update_fields=["time_zone"])
        return participant

    return in_zone


def mine(dues, user):
    return [d for d in dues if d.recipient_id == user.pk]


def assert_due_exactly_at(rule, org, user, utc, make_due):
    """Nothing for `user` a minute before `utc`, and due at `utc` then."""
    before = mine(run(rule, org, utc - MINUTE), user)
    assert [d.period for d in before if make_due(d)] == []
    dues = [d for d in mine(run(rule, org, utc), user) if make_due(d)]
    assert dues, f"{rule.__name__} not due at {utc}"
    assert {d.due_at for d in dues} == {utc}


@pytest.mark.parametrize(("zone", "day", "utc"), MORNINGS, ids=IDS)
def test_session_reminder_at_eight_the_day_before(org, me, zone, day, utc):
    user = me(zone)
    pair = make_pair(org, user, published=day - days(10))
    session = session_make(pair, at(day + days(1), 10, 0, zone))

    assert_due_exactly_at(
        rules.session_reminders, org, user, utc, lambda d: d.period == f"s{session.pk}:0"
    )


@pytest.mark.parametrize(("zone", "day", "utc"), MORNINGS, ids=IDS)
def test_event_reminder_at_eight_the_day_before(org, me, zone, day, utc):
    user = me(zone)
    pair = make_pair(org, user, published=day - days(10))
    with scope(organization=org):
        event = ProgramEventFactory(program=pair.program, starts_at=at(day + days(1), 9, 0, zone))

    assert_due_exactly_at(
        event_reminders, org, user, utc, lambda d: d.period.startswith(f"e{event.pk}:")
    )


@pytest.mark.parametrize(("zone", "day", "utc"), MORNINGS, ids=IDS)
def test_weekly_meeting_reminder_at_eight(org, me, zone, day, utc):
    user = me(zone)
    pair = make_pair(org, user, published=day - days(7))
    agreement_for(pair, created=day - days(7), meet="weekly")

    assert_due_exactly_at(
        rules.meeting_reminders, org, user, utc, lambda d: d.period == f"m{pair.match.pk}:2"
    )


@pytest.mark.parametrize(("zone", "day", "utc"), MORNINGS, ids=IDS)
def test_report_prompt_at_eight(org, me, zone, day, utc):
    user = me(zone)
    pair = make_pair(org, user, published=day - days(30))  # reports: monthly

    assert_due_exactly_at(
        rules.report_reminders, org, user, utc, lambda d: d.period == f"r{pair.match.pk}:1"
    )


@pytest.mark.parametrize(("zone", "day", "utc"), MORNINGS, ids=IDS)
def test_agreement_reminder_at_eight(org, me, zone, day, utc):
    user = me(zone)
    pair = make_pair(org, user, published=day - days(3))
    agreement = agreement_for(pair, created=day - days(3), signed_by=[])

    assert_due_exactly_at(
        agreement_reminders, org, user, utc, lambda d: d.period == f"a{agreement.pk}:1"
    )


@pytest.mark.parametrize(("zone", "day", "utc"), MORNINGS, ids=IDS)
def test_nudge_at_eight(org, me, zone, day, utc):
    user = me(zone)
    pair = make_pair(org, user, published=day - days(38))

    assert_due_exactly_at(
        rules.nudges, org, user, utc, lambda d: d.period.startswith(f"n{pair.match.pk}:")
    )


@pytest.mark.parametrize(
    ("zone", "monday", "utc"),
    [
        (BERLIN, date(2026, 10, 19), datetime(2026, 10, 19, 6, 0, tzinfo=UTC)),
        (BERLIN, date(2026, 10, 26), datetime(2026, 10, 26, 7, 0, tzinfo=UTC)),
        (NEW_YORK, date(2026, 10, 26), datetime(2026, 10, 26, 12, 0, tzinfo=UTC)),
        (NEW_YORK, date(2026, 11, 2), datetime(2026, 11, 2, 13, 0, tzinfo=UTC)),
    ],
)
def test_digest_at_eight_on_monday(org, participant, coordinator, zone, monday, utc):
    coordinator.time_zone = "" if zone == BERLIN else zone
    coordinator.save(update_fields=["time_zone"])
    make_pair(org, participant, published=monday - days(45))

    assert_due_exactly_at(rules.coordinator_digest, org, coordinator, utc, lambda d: True)


def test_the_dispatcher_sends_at_eight_local_through_the_berlin_change(org, participant):
    # A session on Monday 26 October at 10:00: reminded on Sunday 25, the day of the
    # change, at 08:00 CET = 07:00 UTC (not 06:00 UTC, which is 07:00 CET).
    pair = make_pair(org, participant, published=date(2026, 10, 1))
    session_make(pair, at(date(2026, 10, 26), 10, 0))
    sunday_7_cet = datetime(2026, 10, 25, 6, 0, tzinfo=UTC)
    sunday_8_cet = datetime(2026, 10, 25, 7, 0, tzinfo=UTC)

    reminders_dispatch(now=sunday_7_cet)
    assert [m for m in mail.outbox if "Coming up" in m.subject] == []
    reminders_dispatch(now=sunday_8_cet)
    reminders_dispatch(now=sunday_8_cet + timedelta(minutes=5))

    sent = [m for m in mail.outbox if "Coming up" in m.subject]
    assert sorted(m.to[0] for m in sent) == sorted(u.email for u in pair.people)
    with scope(organization=org):
        rows = Delivery.objects.filter(kind=Kind.SESSION)
        assert {(r.due_at, r.status) for r in rows} == {(sunday_8_cet, Delivery.Status.SENT)}
        assert rows.count() == 2
