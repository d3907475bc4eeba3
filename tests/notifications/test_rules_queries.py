"""Every reminder rule runs the same number of queries for 2 pairs as for 30 (each pair in
its own program, with sessions, pauses, agreements, signatures and reports to read)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from programs.reminders import event_reminders
from sessions import reminders as rules
from sessions.models import Session
from sessions.reminders.agreements import agreement_reminders
from tests.factories import ApplicationFactory, ProgramEventFactory
from tests.notifications.test_rules import (
    MONDAY,
    TODAY,
    agreement_for,
    at,
    days,
    make_pair,
    pause_make,
    report_make,
    session_make,
)
from tests.sessions.conftest import person
from tests.test_query_counts import describe

pytestmark = pytest.mark.django_db


def _meeting(org, user, n):
    pair = make_pair(org, user, published=TODAY - days(30))
    agreement_for(pair, created=TODAY - days(30), report="monthly")  # signed: its text is read
    pause_make(pair, TODAY - days(20), TODAY - days(18))
    session_make(pair, at(TODAY + days(40), 10, 0))  # next cycle: does not count for this one
    return TODAY


def _nudge(org, user, n):
    pair = make_pair(org, user, published=TODAY - days(90))
    session_make(pair, at(TODAY - days(45), 10, 0), status=Session.Status.HELD)
    agreement_for(pair, created=TODAY - days(90))
    pause_make(pair, TODAY - days(30), TODAY - days(29))
    return TODAY


def _report(org, user, n):
    pair = make_pair(org, user, published=TODAY - days(30))
    report_make(pair, pair.partner, 1)
    agreement_for(pair, created=TODAY - days(30), report="monthly")
    return TODAY


def _session(org, user, n):
    pair = make_pair(org, user, published=TODAY - days(30))
    session_make(pair, at(TODAY + days(1), 10 + n % 8, 0))
    return TODAY


def _agreement(org, user, n):
    pair = make_pair(org, user, published=TODAY - days(3))
    agreement_for(pair, created=TODAY - days(3), signed_by=[pair.partner])
    return TODAY


def _event(org, user, n):
    pair = make_pair(org, user, published=TODAY - days(3))
    with scope(organization=org):
        ApplicationFactory(program=pair.program, user=person(org, f"applicant{n}@example.org"))
        ProgramEventFactory(program=pair.program, starts_at=at(TODAY + days(1), 18, 0))
    return TODAY


def _digest(org, user, n):
    pair = make_pair(org, user, published=MONDAY - days(45))
    agreement_for(pair, created=MONDAY - days(10), signed_by=[pair.me])
    report_make(pair, pair.partner, 1)
    session_make(pair, at(MONDAY - days(44), 10, 0), status=Session.Status.HELD)
    return MONDAY


CASES = [
    (rules.meeting_reminders, _meeting),
    (rules.nudges, _nudge),
    (rules.report_reminders, _report),
    (rules.session_reminders, _session),
    (agreement_reminders, _agreement),
    (event_reminders, _event),
    (rules.coordinator_digest, _digest),
]


def _size(dues):
    """How much a rule found: reminders, or the pairs a digest lists."""
    return sum(due.context.get("total", 1) for due in dues)


def _count(rule, org, now):
    with scope(organization=org), CaptureQueriesContext(connection) as captured:
        dues = rule(organization=org, now=now)
    return captured, dues


@pytest.mark.parametrize(("rule", "build"), CASES, ids=[rule.__name__ for rule, _b in CASES])
def test_queries_do_not_grow_with_the_pairs(org, coordinator, rule, build):
    made = 0

    def grow(total):
        nonlocal made
        day = None
        while made < total:
            day = build(org, person(org, f"first{made}@acme.example.org"), made)
            made += 1
        return day

    day = grow(2)
    few, dues_few = _count(rule, org, at(day))
    grow(30)
    many, dues_many = _count(rule, org, at(day))

    assert _size(dues_few) and _size(dues_many) > _size(dues_few)
    assert len(few) == len(many), describe(many)
    assert len(many) <= 12, describe(many)


def test_a_digest_that_is_not_due_reads_only_the_coordinators(org, coordinator):
    for n in range(3):
        _digest(org, person(org, f"first{n}@acme.example.org"), n)

    captured, dues = _count(rules.coordinator_digest, org, at(MONDAY + days(1)))
    assert dues == []
    assert len(captured) == 1, describe(captured)
