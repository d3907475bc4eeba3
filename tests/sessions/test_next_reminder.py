"""Timing shown to participants (issue 15): when the first progress report falls due and
the next reminder. What the page announces is checked against the reminder rules
themselves: run day by day, the first reminder they record for the person is the one the
page named, on the day it named.

The organisation is in Europe/Berlin; `TODAY` is Wednesday 10 June 2026 (test_rules)."""

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from peercoach.notifications.models import Kind, Preference
from portal.selectors.home import matches_for_home, pair_summaries
from programs.models import Program
from sessions import reminders as rules
from sessions.models import Session
from tests.notifications.test_rules import (
    BERLIN,
    TODAY,
    at,
    days,
    make_pair,
    pause_make,
    report_make,
    session_make,
)

pytestmark = pytest.mark.django_db

RULES = (
    rules.meeting_reminders,
    rules.nudges,
    rules.report_reminders,
    rules.session_reminders,
)


def summary(org, user, today=TODAY):
    with timezone.override(BERLIN), scope(organization=org):
        matches = matches_for_home(organization=org, user=user)
        (found,) = pair_summaries(
            organization=org, user=user, matches=matches, today=today, now=at(today)
        )
    return found


def first_sent(org, user, match, until):
    """(day, kind) of the first reminder the rules record for `user` about `match` after
    TODAY, looking up to `until` days ahead. What was due by TODAY counts as sent already
    (the ledger records each period once)."""

    def due_on(day):
        with scope(organization=org):
            return [
                due
                for rule in RULES
                for due in rule(organization=org, now=at(day))
                if due.recipient_id == user.pk and due.match_id == match.pk
            ]

    sent = {due.period for due in due_on(TODAY)}
    for n in range(1, until + 1):
        day = TODAY + days(n)
        for due in due_on(day):
            if due.period not in sent:
                return day, due.kind
    return None


def agrees(org, pair):
    user = pair.people[0]
    coming = summary(org, user).next_reminder
    assert coming is not None
    assert first_sent(org, user, pair.match, (coming.day - TODAY).days + 2) == (
        coming.day,
        coming.kind,
    )
    return coming


def test_a_new_pair_hears_first_of_its_second_meeting_cycle(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(5), cadence=14)

    coming = agrees(org, pair)
    assert (coming.kind, coming.day) == (Kind.MEETING, TODAY + days(9))


def test_a_scheduled_session_is_reminded_the_day_before(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(5), cadence=14)
    session_make(pair, at(TODAY + days(9), 15, 0))

    coming = agrees(org, pair)
    assert (coming.kind, coming.day) == (Kind.SESSION, TODAY + days(8))


def test_a_pair_that_stopped_meeting_hears_of_the_nudge(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(40))
    session_make(pair, at(TODAY - days(20), 10, 0), status=Session.Status.HELD)
    for user in pair.people:
        report_make(pair, user, 1)

    coming = agrees(org, pair)
    assert (coming.kind, coming.day) == (Kind.NUDGE, TODAY + days(18))


def test_paused_days_move_the_nudge_on(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(40))
    session_make(pair, at(TODAY - days(20), 10, 0), status=Session.Status.HELD)
    for user in pair.people:
        report_make(pair, user, 1)
    pause_make(pair, TODAY - days(10), TODAY - days(10))  # one day off the count

    coming = agrees(org, pair)
    assert (coming.kind, coming.day) == (Kind.NUDGE, TODAY + days(18 + 1))


def test_a_report_left_unwritten_is_reminded_a_week_after_it_fell_due(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(33))
    session_make(pair, at(TODAY - days(2), 10, 0), status=Session.Status.HELD)

    coming = agrees(org, pair)
    assert (coming.kind, coming.day) == (Kind.REPORT, TODAY + days(4))


def test_kinds_turned_off_are_skipped_and_a_pause_sends_nothing(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(5), cadence=14)
    with scope(organization=org):
        Preference.objects.create(
            organization=org, user=participant, kind=Kind.MEETING, enabled=False
        )
    assert summary(org, participant).next_reminder.kind != Kind.MEETING
    pause_make(pair, TODAY - days(1), TODAY + days(10))
    assert summary(org, participant).next_reminder is None


def test_the_first_report_date_is_shown_before_it_falls_due(org, participant, client_for):
    pair = make_pair(org, participant, published=TODAY - days(5), cadence=14)
    found = summary(org, participant)
    assert found.reports_due == []
    assert (found.next_report.period, found.next_report.period_end) == (1, TODAY + days(25))

    # On the pages, with today's date: a pair published today reports in 30 days.
    with scope(organization=org):
        type(pair.match).objects.filter(pk=pair.match.pk).update(published_at=timezone.now())
        Program.objects.filter(pk=pair.program.pk).update(
            term_start=timezone.localdate() - days(10), term_end=timezone.localdate() + days(90)
        )
    due_on = timezone.localdate() + days(30)
    client = client_for(participant)
    home = client.get(reverse("portal:home", kwargs={"org_slug": org.slug})).content.decode()
    assert 'data-testid="home-report-next"' in home
    assert f"Your first report falls due on {due_on:%A} {due_on.day} {due_on:%B %Y}" in home
    assert 'data-testid="next-reminder"' in home and "a reminder to meet" in home
    page = client.get(
        reverse("sessions:pair", kwargs={"org_slug": org.slug, "pk": pair.match.pk})
    ).content.decode()
    assert "Your first report falls due on" in page
    assert "a reminder to meet" in page
