"""Pairs at risk (sessions.selectors.risk), rule by rule: due, not due, paused, ended.

The organisation is in Europe/Berlin and `NOW` is Wednesday 10 June 2026, 08:30 there
(the setting of tests/notifications/test_rules.py, whose helpers build the pairs)."""

import pytest
from django.utils import translation
from django_scopes import scope

from programs.models import Program
from sessions.models import Feedback, Session
from sessions.selectors.risk import Rule, pairs_at_risk
from tests.notifications.test_rules import (
    NOW,
    TODAY,
    agreement_for,
    at,
    days,
    end,
    make_pair,
    pause_make,
    report_make,
    session_make,
)
from tests.sessions.conftest import person

pytestmark = pytest.mark.django_db


def risks(org, now=NOW, **narrow):
    with scope(organization=org):
        return {risk.match.pk: risk for risk in pairs_at_risk(organization=org, now=now, **narrow)}


def rules_of(org, pair, now=NOW):
    risk = risks(org, now).get(pair.match.pk)
    return [] if risk is None else risk.rules


def reported(pair, *periods):
    for period in periods:
        for user in pair.people:
            report_make(pair, user, period)


def held(pair, day):
    return session_make(pair, at(day, 10, 0), status=Session.Status.HELD)


def rate(pair, session, *ratings):
    """Feedback on `session`, one rating per author (the pair's members in turn)."""
    org = pair.program.organization
    with scope(organization=org):
        for author, rating in zip(pair.people, ratings, strict=False):
            coach = next(u for u in pair.people if u != author)
            Feedback.objects.create(
                organization=org,
                session=session,
                author=author,
                coach=coach,
                rating=rating,
                comment="comment-sentinel-risk",
            )


# --- No session within the agreed rhythm plus a week ---------------------------------------


def test_no_session_since_the_start_beyond_cadence_and_grace(org, participant):
    late = make_pair(org, participant, published=TODAY - days(40))  # 40 > 30 + 7
    reported(late, 1)
    on_time = make_pair(org, person(org, "ok@acme.example.org"), published=TODAY - days(37))
    reported(on_time, 1)

    found = risks(org)
    assert found[late.match.pk].rules == [Rule.CADENCE]
    reason = found[late.match.pk].reasons[0]
    assert "No session held since the pair started 40 days ago" in reason.text
    assert "at least once a month" in reason.text  # the program's rhythm, as the pair reads it
    assert reason.path == f"/o/acme/programs/{late.program.pk}/matches/"
    assert on_time.match.pk not in found


def test_the_gap_counts_from_the_last_held_session(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(90))
    reported(pair, 1, 2)
    held(pair, TODAY - days(38))

    assert rules_of(org, pair) == [Rule.CADENCE]
    assert "No session held for 38 days" in risks(org)[pair.match.pk].reasons[0].text
    held(pair, TODAY - days(10))
    assert rules_of(org, pair) == []


def test_paused_days_do_not_count_and_a_pause_today_hides_the_pair(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(40))
    reported(pair, 1)
    pause_make(pair, TODAY - days(20), TODAY - days(10))  # 11 paused days: gap 29

    assert rules_of(org, pair) == []
    pause_make(pair, TODAY - days(1), TODAY + days(5))
    # Paused today: nothing at all, whatever else is late.
    assert rules_of(org, pair, at(TODAY + days(3))) == []


def test_outside_the_term_no_cadence_risk(org, participant):
    pair = make_pair(
        org,
        participant,
        published=TODAY - days(60),
        term=(TODAY - days(70), TODAY - days(1)),
    )
    reported(pair, 1, 2)

    assert rules_of(org, pair) == []


def test_ended_pairs_and_closed_programs_are_never_at_risk(org, participant, stranger):
    ended = make_pair(org, participant, published=TODAY - days(60))
    end(ended)
    closed = make_pair(org, stranger, published=TODAY - days(60))
    with scope(organization=org):
        Program.objects.filter(pk=closed.program.pk).update(status=Program.Status.CLOSED)

    assert risks(org) == {}


# --- Progress report overdue -------------------------------------------------------------


def test_a_report_more_than_a_week_late_names_who_is_late(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(40))
    held(pair, TODAY - days(5))
    report_make(pair, participant, 1)  # the partner has not written period 1 (due day -10)

    risk = risks(org)[pair.match.pk]
    assert risk.rules == [Rule.REPORT]
    assert pair.partner.display_name in risk.reasons[0].text
    assert participant.display_name not in risk.reasons[0].text
    assert risk.reasons[0].path.endswith(f"/programs/{pair.program.pk}/reports/")
    report_make(pair, pair.partner, 1)
    assert rules_of(org, pair) == []


def test_a_report_due_less_than_a_week_ago_is_not_a_risk_yet(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(36))  # period 1 due 6 days ago
    held(pair, TODAY - days(5))

    assert rules_of(org, pair) == []
    assert rules_of(org, pair, at(TODAY + days(2))) == [Rule.REPORT]


# --- Agreement unsigned ------------------------------------------------------------------


def test_an_agreement_unsigned_after_a_week_names_who_has_not_signed(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(10))
    agreement_for(pair, created=TODAY - days(8), signed_by=[participant])

    risk = risks(org)[pair.match.pk]
    assert risk.rules == [Rule.AGREEMENT]
    text = risk.reasons[0].text
    assert "Agreement not signed 8 days after it was started" in text
    assert pair.partner.display_name in text and participant.display_name not in text


def test_an_agreement_started_less_than_a_week_ago_or_signed_is_fine(org, participant, stranger):
    recent = make_pair(org, participant, published=TODAY - days(10))
    agreement_for(recent, created=TODAY - days(6), signed_by=[])
    signed = make_pair(org, stranger, published=TODAY - days(10))
    agreement_for(signed, created=TODAY - days(20))

    assert risks(org) == {}


# --- Low feedback ratings ----------------------------------------------------------------


def test_low_ratings_of_the_last_six_weeks(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(90))
    reported(pair, 1, 2)
    rate(pair, held(pair, TODAY - days(60)), 1, 1)  # long ago: does not count
    recent = held(pair, TODAY - days(20))
    rate(pair, recent, 3, 2)

    assert rules_of(org, pair) == []  # 2.5 on average lately
    rate(pair, held(pair, TODAY - days(5)), 1)
    # Lately: 3, 2 and 1: 2.0.
    risk = risks(org)[pair.match.pk]
    assert risk.rules == [Rule.RATING]
    assert "2.0 out of 5 on average (3 ratings in 6 weeks)" in risk.reasons[0].text
    with translation.override("es"):  # the digest is written in each coordinator's language
        assert " 2,0 " in risks(org)[pair.match.pk].reasons[0].text
    assert risk.reasons[0].path.endswith(f"/programs/{pair.program.pk}/reports/")
    assert "comment-sentinel-risk" not in risk.reasons[0].text
    # Six weeks later those ratings are old; no new ones: no risk from ratings.
    assert Rule.RATING not in rules_of(org, pair, at(TODAY + days(40)))


def test_a_single_low_rating_counts_and_no_rating_is_no_risk(org, participant, stranger):
    rated = make_pair(org, participant, published=TODAY - days(20))
    rate(rated, held(rated, TODAY - days(3)), 2)
    unrated = make_pair(org, stranger, published=TODAY - days(20))
    held(unrated, TODAY - days(3))

    found = risks(org)
    assert found[rated.match.pk].rules == [Rule.RATING]
    assert "one rating in 6 weeks" in found[rated.match.pk].reasons[0].text
    assert unrated.match.pk not in found


# --- Several reasons, narrowing ------------------------------------------------------------


def test_every_reason_of_a_pair_is_listed(org, participant):
    pair = make_pair(org, participant, published=TODAY - days(45))
    agreement_for(pair, created=TODAY - days(9), signed_by=[])
    session = held(pair, TODAY - days(40))
    rate(pair, session, 1, 1)

    assert rules_of(org, pair) == [Rule.CADENCE, Rule.REPORT, Rule.AGREEMENT, Rule.RATING]


def test_narrowed_to_a_program_or_to_some_pairs(org, participant, stranger):
    first = make_pair(org, participant, published=TODAY - days(60))
    second = make_pair(org, stranger, published=TODAY - days(60))

    assert set(risks(org)) == {first.match.pk, second.match.pk}
    assert set(risks(org, program=first.program)) == {first.match.pk}
    assert set(risks(org, match_ids=[second.match.pk])) == {second.match.pk}


def test_the_program_teams_digest_lists_the_same_pairs(org, participant, coordinator):
    """The digest reads this selector: a low rating reaches it too, with full links."""
    from sessions.reminders.digest import pairs_at_risk as digest_pairs

    pair = make_pair(org, participant, published=TODAY - days(20))
    rate(pair, held(pair, TODAY - days(3)), 1)

    with scope(organization=org):
        (listed,) = digest_pairs(organization=org, now=NOW)
    assert participant.display_name in listed["names"]
    assert listed["reasons"][0]["url"].startswith("http")
    assert "Low feedback rating" in listed["reasons"][0]["text"]


# --- The rule against the seeds' rhythms (issue 15) ---------------------------------------


@pytest.mark.parametrize(
    ("cadence", "last_met", "at_risk"),
    [
        # ATC meets every two weeks: within two weeks and the week's grace, not at risk.
        (Program.Cadence.FORTNIGHTLY, 21, False),
        (Program.Cadence.FORTNIGHTLY, 22, True),
        # One IT and the circles: at least monthly.
        (Program.Cadence.MONTHLY, 37, False),
        (Program.Cadence.MONTHLY, 38, True),
        (Program.Cadence.WEEKLY, 14, False),
        (Program.Cadence.WEEKLY, 15, True),
    ],
)
def test_a_pair_that_met_within_its_rhythm_is_not_at_risk(
    org, participant, cadence, last_met, at_risk
):
    pair = make_pair(org, participant, published=TODAY - days(100), cadence=cadence)
    reported(pair, 1, 2, 3)
    held(pair, TODAY - days(last_met))

    assert rules_of(org, pair) == ([Rule.CADENCE] if at_risk else [])


@pytest.mark.parametrize(
    ("cadence", "age", "at_risk"),
    [
        # A new pair has three weeks to hold its first session, then the week's grace.
        (Program.Cadence.WEEKLY, 28, False),
        (Program.Cadence.WEEKLY, 29, True),
        (Program.Cadence.FORTNIGHTLY, 28, False),
        (Program.Cadence.FORTNIGHTLY, 29, True),
        # A monthly rhythm is longer than the first three weeks: the rhythm stands.
        (Program.Cadence.MONTHLY, 37, False),
        (Program.Cadence.MONTHLY, 38, True),
    ],
)
def test_a_new_pair_gets_time_for_its_first_session(org, participant, cadence, age, at_risk):
    pair = make_pair(org, participant, published=TODAY - days(age), cadence=cadence)
    reported(pair, 1)

    assert rules_of(org, pair) == ([Rule.CADENCE] if at_risk else [])


def test_reports_fall_due_monthly_whatever_the_meeting_rhythm(org, participant):
    # ATC meets every two weeks; writing a report every two weeks as well was what put
    # every ATC pair "at risk". Without an agreed reporting frequency: monthly.
    pair = make_pair(org, participant, published=TODAY - days(35), cadence=14)
    held(pair, TODAY - days(10))

    assert rules_of(org, pair) == []
    assert rules_of(org, pair, at(TODAY + days(3))) == [Rule.REPORT]  # due day 30, + a week
