"""Rules due on a date: the day before a session or a program event, and the reminders
of an unsigned agreement (see test_rules for the setting)."""

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone
from django_scopes import scope

from agreements.models import Signature
from peercoach.notifications.models import Delivery
from programs.models import Application, Program
from programs.reminders import event_reminders
from sessions import reminders as rules
from sessions.models import Session
from sessions.reminders.agreements import agreement_reminders
from tests.factories import ApplicationFactory, ProgramEventFactory
from tests.notifications.test_rules import (
    MORNING,
    NOW,
    TODAY,
    agreement_for,
    at,
    close_account,
    days,
    make_pair,
    pause_make,
    record,
    run,
    session_make,
    who,
)
from tests.sessions.conftest import person

pytestmark = pytest.mark.django_db


# --- Upcoming sessions -------------------------------------------------------------------


def test_session_reminder_the_day_before(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(10))
    session = session_make(pair, at(TODAY + days(1), 10, 0), modality="zoom")
    session_make(pair, at(TODAY + days(2), 10, 0))  # the day after tomorrow: not yet
    session_make(pair, at(TODAY + days(1), 11, 0), status=Session.Status.PROPOSED)

    dues = run(rules.session_reminders, org)
    assert who(dues) == sorted((u.pk, f"s{session.pk}:0") for u in pair.people)
    context = dues[0].context
    assert context["when"] == "Thursday 11 June 2026, 10:00–11:00 (Europe/Berlin)"
    assert context["session_url"].endswith(f"/sessions/{session.pk}/")
    assert context["ics_url"].endswith(f"/sessions/{session.pk}/calendar.ics")
    assert {d.due_at for d in dues} == {MORNING}


def test_a_rescheduled_session_is_reminded_again(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(10))
    session = session_make(pair, at(TODAY + days(1), 10, 0))
    assert record(org) == 2

    with scope(organization=org):
        Session.objects.filter(pk=session.pk).update(
            starts_at=at(TODAY + days(1), 15, 0), sequence=F("sequence") + 1
        )
    assert record(org, NOW + timedelta(minutes=5)) == 2
    with scope(organization=org):
        periods = set(Delivery.objects.values_list("period", flat=True))
    assert periods == {f"s{session.pk}:0", f"s{session.pk}:1"}


def test_a_session_scheduled_after_the_morning_is_reminded_on_its_day(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(10))
    session = session_make(pair, at(TODAY + days(1), 17, 0))

    assert run(rules.session_reminders, org, at(TODAY, 15, 0)) == []
    dues = run(rules.session_reminders, org, at(TODAY + days(1), 8, 10))
    assert {(d.period, d.due_at) for d in dues} == {(f"s{session.pk}:0", at(TODAY + days(1), 8, 0))}
    # Once it has started, no reminder any more.
    assert run(rules.session_reminders, org, at(TODAY + days(1), 17, 1)) == []


def test_no_session_reminder_when_paused_cancelled_or_ended(org, participant, stranger):
    paused = make_pair(org, participant, published=TODAY - days(10))
    session_make(paused, at(TODAY + days(1), 10, 0))
    pause_make(paused, TODAY, TODAY + days(3))
    other = make_pair(org, stranger, published=TODAY - days(10))
    session_make(other, at(TODAY + days(1), 10, 0), status=Session.Status.CANCELLED)

    assert run(rules.session_reminders, org) == []


# --- Unsigned agreements -----------------------------------------------------------------


def test_agreement_reminders_every_three_days_three_times_to_who_has_not_signed(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(3))
    agreement = agreement_for(pair, created=TODAY - days(3), signed_by=[pair.partner])

    assert run(agreement_reminders, org, at(TODAY - days(1))) == []
    sent = []
    for offset in range(0, 13):
        sent += [
            (d.recipient_id, d.period)
            for d in run(agreement_reminders, org, at(TODAY + days(offset)))
            if (d.recipient_id, d.period) not in sent
        ]
    assert sent == [(participant.pk, f"a{agreement.pk}:{n}") for n in (1, 2, 3)]
    due = run(agreement_reminders, org)[0]
    assert due.due_at == MORNING
    assert due.context["signed_by"] == pair.partner.display_name
    assert due.context["agreement_url"].endswith(f"/agreements/{agreement.pk}/")


def test_a_missed_agreement_reminder_is_not_made_up(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(7))
    agreement = agreement_for(pair, created=TODAY - days(7), signed_by=[])

    # Day 7, nothing sent yet: only the latest reminder (the second, due on day 6) goes.
    assert {d.period for d in run(agreement_reminders, org)} == {f"a{agreement.pk}:2"}


def test_no_agreement_reminder_once_signed_or_paused(org, participant, stranger):
    done = make_pair(org, participant, published=TODAY - days(3))
    agreement_for(done, created=TODAY - days(3))
    paused = make_pair(org, stranger, published=TODAY - days(3))
    agreement_for(paused, created=TODAY - days(3), signed_by=[])
    pause_make(paused, TODAY - days(1), TODAY + days(1))

    assert run(agreement_reminders, org) == []


def test_a_voided_signature_counts_as_not_signed(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(3))
    agreement = agreement_for(pair, created=TODAY - days(3), signed_by=[pair.partner])
    with scope(organization=org):
        Signature.objects.filter(agreement=agreement).update(voided_at=timezone.now())

    assert sorted(d.recipient_id for d in run(agreement_reminders, org)) == sorted(
        u.pk for u in pair.people
    )


# --- Program events ----------------------------------------------------------------------


def test_event_reminder_the_day_before_to_members_and_accepted_applicants(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(10))
    program = pair.program
    accepted = person(org, "accepted@acme.example.org")
    waiting = person(org, "waiting@acme.example.org")
    with scope(organization=org):
        ApplicationFactory(program=program, user=accepted)
        ApplicationFactory(program=program, user=participant)  # member and applicant
        ApplicationFactory(program=program, user=waiting, status=Application.Status.WAITLISTED)
        event = ProgramEventFactory(
            program=program, title="Kick-off", starts_at=at(TODAY + days(1), 18, 0)
        )
        ProgramEventFactory(program=program, starts_at=at(TODAY + days(2), 18, 0))

    dues = run(event_reminders, org)
    period = f"e{event.pk}:20260611T1600Z"
    assert who(dues) == sorted((u.pk, period) for u in (*pair.people, accepted))
    context = dues[0].context
    assert context["event_title"] == "Kick-off"
    assert context["when"] == "Thursday 11 June 2026, 18:00–19:00 (Europe/Berlin)"
    assert context["program_url"].endswith(f"/programs/{program.pk}/")
    assert "ics_url" in context
    # Moved to another time: reminded again.
    with scope(organization=org):
        type(event).objects.filter(pk=event.pk).update(starts_at=at(TODAY + days(1), 19, 0))
    assert {d.period for d in run(event_reminders, org)} == {f"e{event.pk}:20260611T1700Z"}


@pytest.mark.parametrize("status", [Program.Status.DRAFT, Program.Status.CLOSED])
def test_no_event_reminders_for_draft_or_closed_programs(org, participant, status):
    pair = make_pair(org, participant, published=TODAY - days(10))
    with scope(organization=org):
        ProgramEventFactory(program=pair.program, starts_at=at(TODAY + days(1), 18, 0))
        Program.objects.filter(pk=pair.program.pk).update(status=status)

    assert run(event_reminders, org) == []


def test_event_reminders_skip_closed_accounts(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(10))
    close_account(pair.partner)
    with scope(organization=org):
        ProgramEventFactory(program=pair.program, starts_at=at(TODAY + days(1), 18, 0))

    assert [d.recipient_id for d in run(event_reminders, org)] == [participant.pk]
