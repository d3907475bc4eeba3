"""Reminder rules, called directly: due, not due, already recorded, turned off, paused,
ended, closed accounts. The organisation is in Europe/Berlin; `NOW` is Wednesday
10 June 2026, 08:30 there (summer time). Daylight-saving weeks, emails and query counts
have their own modules (test_rules_dst, test_rules_emails, test_rules_queries); the
day-before rules (sessions, events) and agreements are in test_rules_dated, the digest in
test_rules_digest."""

import zoneinfo
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone
from django_scopes import scope

from agreements.models import Agreement
from agreements.selectors.agreement import canonical_text
from agreements.services.common import Actor
from agreements.services.create import agreement_create
from agreements.services.sign import agreement_sign as sign
from peercoach.notifications.dispatch import reminders_record
from peercoach.notifications.models import Delivery, Kind, Preference
from peercoach.tenancy.models import Membership
from programs.models import Match, MatchMember, Program
from sessions import reminders as rules
from sessions.models import Pause, ProgressReport, Session
from sessions.reminders.agreements import agreement_reminders
from tests.agreements.conftest import template_make
from tests.sessions.conftest import pair_make
from tests.sessions.test_goals import AGREEMENT_ITEMS, _save

pytestmark = pytest.mark.django_db

BERLIN = "Europe/Berlin"
TERM = (date(2026, 1, 1), date(2026, 12, 31))


def at(day, hour=8, minute=30, zone=BERLIN):
    """An aware datetime at `hour:minute` local time on `day` in `zone`."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zoneinfo.ZoneInfo(zone))


TODAY = date(2026, 6, 10)
NOW = at(TODAY)
MORNING = at(TODAY, 8, 0)
MONDAY = date(2026, 6, 8)


def days(n):
    return timedelta(days=n)


def make_pair(org, first, *, published, cadence=30, term=TERM, size=2, program=None, **kw):
    """An active pair (or circle) with `first` in it, published at 10:00 Berlin on
    `published`, in a running program with `cadence` and `term`."""
    if program is None:
        kw.update(cadence_days=cadence, term_start=term[0], term_end=term[1])
        if size > 2:
            kw.setdefault("format", Program.Format.CIRCLE)
    pair = pair_make(org, first, size=size, program=program, **kw)
    with scope(organization=org):
        Match.objects.filter(pk=pair.match.pk).update(published_at=at(published, 10, 0))
        pair.match.refresh_from_db()
    return pair


def run(rule, org, now=NOW):
    with scope(organization=org):
        return list(rule(organization=org, now=now))


def record(org, now=NOW):
    with scope(organization=org):
        return reminders_record(organization=org, now=now)


def who(dues):
    return sorted((d.recipient_id, d.period) for d in dues)


def session_make(pair, starts_at, status=Session.Status.SCHEDULED, **kw):
    org = pair.program.organization
    with scope(organization=org):
        return Session.objects.create(
            organization=org,
            program=pair.program,
            match=pair.match,
            status=status,
            starts_at=starts_at,
            time_zone=BERLIN,
            duration_minutes=60,
            proposed_by=pair.me,
            **kw,
        )


def pause_make(pair, first, last, **kw):
    org = pair.program.organization
    with scope(organization=org):
        return Pause.objects.create(
            organization=org,
            match=pair.match,
            requested_by=pair.me,
            starts_on=first,
            ends_on=last,
            **kw,
        )


def end(pair):
    org = pair.program.organization
    with scope(organization=org):
        Match.objects.filter(pk=pair.match.pk).update(
            status=Match.Status.ENDED, ended_at=timezone.now()
        )
        MatchMember.objects.filter(match=pair.match).update(is_current=False)


def close_account(user):
    user.deleted_at = timezone.now()
    user.save(update_fields=["deleted_at"])


def agreement_for(pair, *, created, meet=None, report=None, signed_by=None, objectives=None):
    """The pair's agreement, started at 10:00 Berlin on `created`, meeting and reporting
    at the given frequencies ("weekly"...), with each party's objective ({user: text}),
    signed by `signed_by` (default: everyone)."""
    org = pair.program.organization
    signers = pair.people if signed_by is None else signed_by
    with scope(organization=org):
        template = template_make(pair.program, items=AGREEMENT_ITEMS)
        agreement = agreement_create(match=pair.match, template=template)
        if meet:
            _save(agreement, pair.me, "How often we meet", every=meet)
        if report:
            _save(agreement, pair.me, "How often we report", every=report)
        for user, text in (objectives or {}).items():
            _save(agreement, user, "My primary objective", value=text)
        for user in signers:
            sign(
                agreement=agreement,
                actor=Actor(user=user),
                typed_name="Signer Name",
                consent=True,
                intent=True,
                seen_sha256=canonical_text(agreement)[1],
                quiet=True,
            )
        Agreement.objects.filter(pk=agreement.pk).update(created_at=at(created, 10, 0))
        agreement.refresh_from_db()
    return agreement


# --- Shared behaviour --------------------------------------------------------------------


def test_due_at_is_eight_in_the_morning_and_only_mornings_record(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(30))

    assert run(rules.meeting_reminders, org, at(TODAY, 7, 59)) == []
    dues = run(rules.meeting_reminders, org, at(TODAY, 8, 0))
    assert {d.due_at for d in dues} == {MORNING}
    assert run(rules.meeting_reminders, org, at(TODAY, 11, 59))
    # After noon nothing new is recorded: it waits for the next morning (08:00 again).
    assert run(rules.meeting_reminders, org, at(TODAY, 12, 0)) == []
    late = run(rules.meeting_reminders, org, at(TODAY + days(1), 9, 0))
    assert {d.due_at for d in late} == {at(TODAY + days(1), 8, 0)}
    assert {d.recipient_id for d in dues} == {u.pk for u in pair.people}


def test_the_recipients_own_zone_decides_their_morning(org, participant):
    participant.time_zone = "America/New_York"
    participant.save(update_fields=["time_zone"])
    pair = make_pair(org, participant, published=TODAY - days(30))

    berlin_morning = run(rules.meeting_reminders, org, NOW)
    assert [d.recipient_id for d in berlin_morning] == [pair.partner.pk]
    new_york = run(rules.meeting_reminders, org, at(TODAY, 8, 5, "America/New_York"))
    assert [d.recipient_id for d in new_york] == [participant.pk]
    assert new_york[0].due_at == at(TODAY, 8, 0, "America/New_York")


def test_running_twice_records_once(org, participant):
    make_pair(org, participant, published=TODAY - days(30))

    assert record(org) == 4  # a meeting reminder and a report prompt each
    assert record(org) == 0
    assert record(org, NOW + timedelta(minutes=5)) == 0
    assert record(org, at(TODAY + days(1), 9, 0)) == 0  # the same cycle the next morning
    assert run(rules.meeting_reminders, org) == []  # the ledger has them: nothing to insert
    with scope(organization=org):
        assert Delivery.objects.filter(kind=Kind.MEETING).count() == 2


def test_a_kind_turned_off_is_not_recorded_for_that_person(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(30))
    with scope(organization=org):
        Preference.objects.create(
            organization=org, user=participant, kind=Kind.MEETING, enabled=False
        )
        Preference.objects.create(
            organization=org, user=pair.partner, kind=Kind.NUDGE, enabled=False
        )

    record(org)

    with scope(organization=org):
        rows = sorted(Delivery.objects.values_list("recipient_id", "kind"))
    assert rows == sorted(
        [(pair.partner.pk, Kind.MEETING), (pair.partner.pk, Kind.REPORT)]
        + [(participant.pk, Kind.REPORT)]
    )


def test_closed_accounts_and_people_who_left_the_organisation_get_nothing(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(30), size=4)
    closed, inactive, gone = pair.people[1:]
    close_account(closed)
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    with scope(organization=org):
        Membership.objects.filter(user=gone).delete()

    assert [d.recipient_id for d in run(rules.meeting_reminders, org)] == [participant.pk]


def test_ended_pairs_get_nothing(org, participant, coordinator):
    pair = make_pair(org, participant, published=TODAY - days(40))
    session_make(pair, at(TODAY + days(1), 10, 0))
    agreement_for(pair, created=TODAY - days(3), signed_by=[])
    end(pair)

    for rule in (
        rules.meeting_reminders,
        rules.nudges,
        rules.report_reminders,
        rules.session_reminders,
        agreement_reminders,
    ):
        assert run(rule, org) == [], rule.__name__
    assert run(rules.coordinator_digest, org, at(date(2026, 6, 8))) == []


def test_a_member_who_left_a_circle_gets_nothing_more(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(30), size=3)
    with scope(organization=org):
        MatchMember.objects.filter(match=pair.match, user=pair.people[2]).update(is_current=False)

    dues = run(rules.meeting_reminders, org)
    assert sorted(d.recipient_id for d in dues) == sorted(u.pk for u in pair.people[:2])
    mine = next(d for d in dues if d.recipient_id == participant.pk)
    assert pair.people[2].display_name not in mine.context["partners"]


def test_other_organisations_are_not_read(org, other_org, participant, other_participant):
    make_pair(other_org, other_participant, published=TODAY - days(30))

    assert run(rules.meeting_reminders, org) == []


# --- Meeting reminders -------------------------------------------------------------------


def test_meeting_reminder_at_the_start_of_each_cycle_from_the_second(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(30))

    assert run(rules.meeting_reminders, org, at(TODAY - days(1))) == []  # cycle 1
    dues = run(rules.meeting_reminders, org)
    assert who(dues) == sorted((u.pk, f"m{pair.match.pk}:2") for u in pair.people)
    context = next(d for d in dues if d.recipient_id == participant.pk).context
    assert context["program_name"] == pair.program.name
    assert context["partners"] == pair.partner.display_name
    assert context["frequency"] == "At least once a month"
    assert context["schedule_url"].endswith(f"/pairs/{pair.match.pk}/sessions/new/")
    assert context["schedule_url"].startswith("http")
    third = run(rules.meeting_reminders, org, at(TODAY + days(30)))
    assert {d.period for d in third} == {f"m{pair.match.pk}:3"}


def test_no_meeting_reminder_when_a_session_is_planned_in_the_cycle(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(30))
    session = session_make(pair, at(TODAY + days(12), 10, 0), status=Session.Status.PROPOSED)

    assert run(rules.meeting_reminders, org) == []
    with scope(organization=org):
        Session.objects.filter(pk=session.pk).update(status=Session.Status.CANCELLED)
    assert len(run(rules.meeting_reminders, org)) == 2
    # A session in the next cycle does not count for this one.
    session_make(pair, at(TODAY + days(31), 10, 0))
    assert len(run(rules.meeting_reminders, org)) == 2


def test_meeting_cycle_follows_the_signed_agreement(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(7))
    agreement_for(pair, created=TODAY - days(7), meet="weekly")

    dues = run(rules.meeting_reminders, org)
    assert {d.period for d in dues} == {f"m{pair.match.pk}:2"}
    assert dues[0].context["every_days"] == 7


def test_pair_chooses_means_monthly(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(30), cadence=0)

    dues = run(rules.meeting_reminders, org)
    assert {d.period for d in dues} == {f"m{pair.match.pk}:2"}
    assert dues[0].context["frequency"] == ""


def test_no_meeting_reminder_while_paused_or_outside_the_term(org, participant, stranger):
    paused = make_pair(org, participant, published=TODAY - days(30))
    pause_make(paused, TODAY - days(2), TODAY + days(5))
    make_pair(org, stranger, published=TODAY - days(30), term=(date(2026, 1, 1), TODAY - days(1)))

    assert run(rules.meeting_reminders, org) == []


def test_no_reminders_in_a_closed_program(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(40))
    with scope(organization=org):
        Program.objects.filter(pk=pair.program.pk).update(status=Program.Status.CLOSED)

    assert run(rules.meeting_reminders, org) == []
    assert run(rules.nudges, org) == []
    assert run(rules.report_reminders, org) == []


# --- Nudges ------------------------------------------------------------------------------


def test_nudge_once_the_cadence_and_grace_have_passed(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(38))

    assert run(rules.nudges, org, at(TODAY - days(1))) == []  # 37 days: within the grace
    dues = run(rules.nudges, org)
    since = (TODAY - days(38)).strftime("%Y%m%d")
    assert who(dues) == sorted((u.pk, f"n{pair.match.pk}:{since}:1") for u in pair.people)
    assert dues[0].context["had_session"] is False
    assert dues[0].context["days"] == 38
    # One per missed window: the next a full cycle later.
    later = run(rules.nudges, org, at(TODAY + days(30)))
    assert {d.period for d in later} == {f"n{pair.match.pk}:{since}:2"}


def test_a_held_session_restarts_the_count(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(80))
    session_make(pair, at(TODAY - days(20), 10, 0), status=Session.Status.HELD)

    assert run(rules.nudges, org) == []
    dues = run(rules.nudges, org, at(TODAY + days(18)))
    since = (TODAY - days(20)).strftime("%Y%m%d")
    assert {d.period for d in dues} == {f"n{pair.match.pk}:{since}:1"}
    assert dues[0].context["had_session"] is True


def test_only_held_sessions_stop_a_nudge(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(40))
    session_make(pair, at(TODAY - days(5), 10, 0))  # scheduled, never logged as held
    session_make(pair, at(TODAY + days(3), 10, 0))

    assert len(run(rules.nudges, org)) == 2


def test_no_nudge_while_paused_and_paused_days_do_not_count(org, participant, stranger):
    paused = make_pair(org, participant, published=TODAY - days(40))
    pause_make(paused, TODAY - days(1), TODAY + days(10))
    was_paused = make_pair(org, stranger, published=TODAY - days(40))
    pause_make(was_paused, TODAY - days(30), TODAY - days(21))  # 10 days

    assert run(rules.nudges, org) == []
    # The pause ended early: the days after it count again.
    with scope(organization=org):
        Pause.objects.filter(match=paused.match).update(ended_early_on=TODAY - days(1))
    assert {d.match_id for d in run(rules.nudges, org)} == {paused.match.pk}


# --- Progress reports --------------------------------------------------------------------


def report_make(pair, author, period):
    org = pair.program.organization
    with scope(organization=org):
        return ProgressReport.objects.create(
            organization=org,
            match=pair.match,
            program=pair.program,
            author=author,
            period=period,
            period_end=TODAY,
            working="yes",
            beneficial="yes",
            rating=4,
        )


def test_report_prompt_when_a_period_falls_due_and_one_reminder_a_week_later(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(30))

    assert run(rules.report_reminders, org, at(TODAY - days(1))) == []
    dues = run(rules.report_reminders, org)
    assert who(dues) == sorted((u.pk, f"r{pair.match.pk}:1") for u in pair.people)
    context = dues[0].context
    assert context["period"] == 1 and context["again"] is False
    assert context["report_url"].endswith(f"/pairs/{pair.match.pk}/report/")

    report_make(pair, pair.partner, 1)
    again = run(rules.report_reminders, org, at(TODAY + days(7)))
    assert who(again) == [(participant.pk, f"r{pair.match.pk}:1:again")]
    assert again[0].context["again"] is True
    assert again[0].due_at == at(TODAY + days(7), 8, 0)


def test_report_periods_follow_the_agreed_reporting_frequency(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(14))
    agreement_for(pair, created=TODAY - days(14), report="fortnightly")

    assert {d.period for d in run(rules.report_reminders, org)} == {f"r{pair.match.pk}:1"}


def test_no_report_reminders_when_written_early_or_paused(org, participant, stranger):
    early = make_pair(org, participant, published=TODAY - days(30))
    for user in early.people:
        report_make(early, user, 1)
    paused = make_pair(org, stranger, published=TODAY - days(30))
    pause_make(paused, TODAY, TODAY + days(3))

    assert run(rules.report_reminders, org) == []


def test_weekly_reporting_has_no_separate_reminder(org, participant):
    # Weekly reporting comes from a signed agreement: the meeting rhythm does not set it.
    pair = make_pair(org, participant, published=TODAY - days(14), cadence=7)
    agreement_for(pair, created=TODAY - days(14), report="weekly")

    dues = run(rules.report_reminders, org)
    assert {d.period for d in dues} == {f"r{pair.match.pk}:2"}
