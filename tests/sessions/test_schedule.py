"""Scheduling ahead: proposing several sessions at once, accepting, suggesting another
time, rescheduling, cancelling, the emails with their calendar files, and every refusal
(past times, the proposer accepting their own proposal, held or cancelled sessions, ended
pairs, people outside the pair): never a 500, never half-written."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope
from icalendar import Calendar

from programs.models import Match, MatchMember
from sessions.models import Session
from sessions.selectors.schedule import modality_from_text, upcoming_for_matches
from sessions.services.schedule import (
    ScheduleError,
    session_accept,
    session_cancel,
    session_propose,
    session_reschedule,
)
from tests.sessions.conftest import pair_make, person
from tests.test_query_counts import count_queries, describe

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


# --- Helpers -----------------------------------------------------------------------------


def url(name, pk, org_slug="acme"):
    return reverse(f"sessions:{name}", kwargs={"org_slug": org_slug, "pk": pk})


def in_zone(user, zone="Europe/Berlin"):
    user.time_zone = zone
    user.save(update_fields=["time_zone"])
    return user


def local_day(days=10):
    return timezone.localdate(timezone=BERLIN) + timedelta(days=days)


def form_post(rows=(), **fields):
    """The schedule form as a browser posts it: six date rows and the details."""
    data = {
        "slot-TOTAL_FORMS": "6",
        "slot-INITIAL_FORMS": "0",
        "slot-MIN_NUM_FORMS": "0",
        "slot-MAX_NUM_FORMS": "6",
        "duration_minutes": "60",
        "modality": "zoom",
        "location": "https://zoom.example.org/j/123",
        "repeat_times": "1",
        "repeat_every_days": "",
        "note": "",
    }
    for i, (day, at) in enumerate(rows):
        data[f"slot-{i}-date"] = day.isoformat() if hasattr(day, "isoformat") else day
        data[f"slot-{i}-time"] = at
    data.update(fields)
    return data


def propose(pair, *, by=None, count=1, days=7, hour=10, zone="Europe/Berlin", every=7):
    """`count` proposals by `by` (default: the participant), 10:00 local, a week apart."""
    tz = ZoneInfo(zone)
    first = datetime.combine(timezone.localdate(timezone=tz) + timedelta(days=days), time(hour))
    starts = [(first + timedelta(days=every * i)).replace(tzinfo=tz) for i in range(count)]
    with scope(organization=pair.program.organization):
        return session_propose(
            match=pair.match,
            by=by or pair.me,
            starts=starts,
            duration_minutes=60,
            modality="zoom",
            location="https://zoom.example.org/j/123",
            time_zone=zone,
        )


def fresh(session):
    with scope(organization=session.organization):
        return Session.objects.get(pk=session.pk)


def sessions_of(pair):
    with scope(organization=pair.program.organization):
        return list(Session.objects.filter(match=pair.match).order_by("starts_at", "id"))


def calendars(message):
    """The parsed calendar attachments of an email."""
    return [
        Calendar.from_ical(a.content) for a in message.attachments if a.mimetype == "text/calendar"
    ]


def events(calendar):
    return list(calendar.walk("VEVENT"))


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- Proposing ---------------------------------------------------------------------------


def test_proposing_three_dates_makes_three_proposals_and_one_email_with_one_calendar(
    pair, client_for, commit, mailoutbox
):
    in_zone(pair.me)
    client = client_for(pair.me)
    rows = [(local_day(7), "10:00"), (local_day(21), "10:30"), (local_day(35), "09:00")]
    with commit():
        response = client.post(url("schedule", pair.match.pk), form_post(rows, note="Bring tea"))
    assert response.status_code == 302
    assert response["Location"] == url("schedule", pair.match.pk) + "#upcoming"
    made = sessions_of(pair)
    assert [s.status for s in made] == [Session.Status.PROPOSED] * 3
    assert {s.time_zone for s in made} == {"Europe/Berlin"}
    assert {s.proposed_by for s in made} == {pair.me}
    assert [s.starts_at.astimezone(BERLIN).strftime("%H:%M") for s in made] == [
        "10:00",
        "10:30",
        "09:00",
    ]
    assert made[0].note == "Bring tea" and made[0].duration_minutes == 60
    # One email, to the partner only, with one calendar file holding all three.
    (message,) = mailoutbox
    assert message.to == [pair.partner.email]
    assert "3 sessions" in message.subject
    assert "Bring tea" in message.body
    (calendar,) = calendars(message)
    assert calendar["METHOD"] == "REQUEST"
    assert {str(e["UID"]) for e in events(calendar)} == {str(s.uid) for s in made}
    assert {str(e["STATUS"]) for e in events(calendar)} == {"TENTATIVE"}


def test_repeat_makes_a_series_at_the_same_local_time(pair, client_for):
    in_zone(pair.me)
    client = client_for(pair.me)
    response = client.post(
        url("schedule", pair.match.pk),
        form_post([(local_day(3), "18:00")], repeat_times="4", repeat_every_days="14"),
    )
    assert response.status_code == 302
    made = sessions_of(pair)
    days = [s.starts_at.astimezone(BERLIN).date() for s in made]
    assert days == [local_day(3 + 14 * i) for i in range(4)]
    assert {s.starts_at.astimezone(BERLIN).time() for s in made} == {time(18)}


def test_repeat_without_a_gap_and_too_many_sessions_are_refused(pair, client_for):
    client = client_for(pair.me)
    no_gap = client.post(
        url("schedule", pair.match.pk), form_post([(local_day(3), "18:00")], repeat_times="3")
    )
    assert no_gap.status_code == 400
    assert "how many days apart" in no_gap.content.decode()
    rows = [(local_day(d), "10:00") for d in (2, 4, 6)]
    too_many = client.post(
        url("schedule", pair.match.pk), form_post(rows, repeat_times="5", repeat_every_days="7")
    )
    assert too_many.status_code == 400
    assert "That makes 15 sessions" in too_many.content.decode()
    assert sessions_of(pair) == []


def test_a_time_in_the_past_is_refused_and_nothing_is_written(pair, client_for, commit, mailoutbox):
    client = client_for(pair.me)
    rows = [(local_day(5), "10:00"), (local_day(-2), "10:00")]
    with commit():
        response = client.post(url("schedule", pair.match.pk), form_post(rows))
    assert response.status_code == 400
    assert "has already passed" in response.content.decode()
    assert sessions_of(pair) == []
    assert mailoutbox == []


def test_a_session_under_way_may_still_be_proposed_but_one_that_ended_may_not(pair):
    """The rule is "the end is after now"."""
    now = timezone.now()
    with scope(organization=pair.program.organization):
        args = {
            "match": pair.match,
            "by": pair.me,
            "duration_minutes": 60,
            "modality": "zoom",
            "time_zone": "UTC",
        }
        (started,) = session_propose(starts=[now - timedelta(minutes=30)], **args)
        assert started.status == Session.Status.PROPOSED
        with pytest.raises(ValidationError):
            session_propose(starts=[now - timedelta(minutes=61)], **args)


@pytest.mark.parametrize(
    "fields",
    [
        {"slot-0-date": "2099-13-45", "slot-0-time": "10:00"},
        {"slot-0-date": "", "slot-0-time": "10:00"},
        {"slot-0-time": "25:99"},
        {"duration_minutes": "abc"},
        {"duration_minutes": "4"},
        {"duration_minutes": "601"},
        {"modality": "telepathy"},
        {"location": "x" * 501},
        {"repeat_times": "0"},
        {"repeat_every_days": "-3", "repeat_times": "2"},
        {"slot-TOTAL_FORMS": "abc"},
        {"slot-TOTAL_FORMS": "1000"},
        {"note": "n" * 2001},
        {"note": "nul\x00byte"},
        {"location": "\x00"},
    ],
)
def test_bad_input_answers_400_with_the_form_and_writes_nothing(pair, client_for, fields):
    client = client_for(pair.me)
    data = form_post([(local_day(5), "10:00")], **fields)
    response = client.post(url("schedule", pair.match.pk), data)
    assert response.status_code == 400
    assert "Nothing was proposed yet" in response.content.decode()
    assert sessions_of(pair) == []


def test_no_dates_at_all_is_explained(pair, client_for):
    response = client_for(pair.me).post(url("schedule", pair.match.pk), form_post([]))
    assert response.status_code == 400
    assert "Give at least one date and start time" in response.content.decode()


def test_a_local_time_the_clocks_skip_is_refused(pair, client_for):
    in_zone(pair.me)
    year = timezone.now().year + 1
    # The last Sunday of March: 02:30 does not exist in Berlin.
    day = max(
        datetime(year, 3, d) for d in range(25, 32) if datetime(year, 3, d).weekday() == 6
    ).date()
    response = client_for(pair.me).post(url("schedule", pair.match.pk), form_post([(day, "02:30")]))
    assert response.status_code == 400
    assert "the clocks change that night" in response.content.decode()
    assert sessions_of(pair) == []


def test_the_form_starts_from_the_program_length_and_the_pairs_last_place(
    org, participant, client_for
):
    pair = pair_make(org, participant, session_minutes=45)
    client = client_for(pair.me)
    page = client.get(url("schedule", pair.match.pk))
    assert page.status_code == 200
    assert page.context["form"].initial["duration_minutes"] == 45
    propose(pair)
    page = client.get(url("schedule", pair.match.pk))
    assert page.context["form"].initial["location"] == "https://zoom.example.org/j/123"


def test_agreed_modality_words_map_to_a_modality():
    assert modality_from_text("Microsoft Teams") == "teams"
    assert modality_from_text("In person") == "in_person"
    assert modality_from_text("Over coffee") is None
    assert modality_from_text("") is None


def test_the_page_shows_times_in_the_viewers_zone_and_names_it(pair, client_for):
    in_zone(pair.me, "America/New_York")
    (session,) = propose(pair, by=pair.partner, zone="Europe/Berlin")
    page = client_for(pair.me).get(url("schedule", pair.match.pk)).content.decode()
    local = session.starts_at.astimezone(ZoneInfo("America/New_York"))
    assert f"{local:%H:%M}" in page
    assert "America/New_York" in page
    assert "10:00 in Europe/Berlin" in page
    assert "Accept" in page


# --- Answering ---------------------------------------------------------------------------


def test_the_partner_accepts_and_the_proposer_is_emailed_the_confirmed_event(
    pair, client_for, commit, mailoutbox
):
    (session,) = propose(pair)
    with commit():
        response = client_for(pair.partner).post(url("respond", session.pk), {"action": "accept"})
    assert response.status_code == 302
    session = fresh(session)
    assert session.status == Session.Status.SCHEDULED
    assert session.responded_by == pair.partner
    assert session.sequence == 1
    (message,) = mailoutbox
    assert message.to == [pair.me.email]
    (calendar,) = calendars(message)
    (event,) = events(calendar)
    assert str(event["STATUS"]) == "CONFIRMED" and event["SEQUENCE"] == 1


def test_the_proposer_cannot_accept_their_own_proposal(pair, client_for, commit, mailoutbox):
    (session,) = propose(pair)
    with commit():
        response = client_for(pair.me).post(
            url("respond", session.pk), {"action": "accept"}, follow=True
        )
    assert any("You proposed this time" in m for m in messages_of(response))
    assert fresh(session).status == Session.Status.PROPOSED
    assert mailoutbox == []


def test_in_a_circle_one_acceptance_by_another_member_schedules_the_session(
    circle, client_for, commit, mailoutbox
):
    (session,) = propose(circle)
    with commit():
        client_for(circle.people[2]).post(url("respond", session.pk), {"action": "accept"})
    session = fresh(session)
    assert session.status == Session.Status.SCHEDULED
    assert session.responded_by == circle.people[2]
    # Everyone but the one who accepted hears of it.
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        u.email for u in circle.people if u != circle.people[2]
    )


def test_accepting_twice_or_an_unknown_action_changes_nothing(pair, client_for):
    (session,) = propose(pair)
    client = client_for(pair.partner)
    client.post(url("respond", session.pk), {"action": "accept"})
    again = client.post(url("respond", session.pk), {"action": "accept"}, follow=True)
    assert any("already scheduled" in m for m in messages_of(again))
    assert fresh(session).sequence == 1
    odd = client.post(url("respond", session.pk), {"action": "explode"}, follow=True)
    assert any("accept the time or to suggest" in m for m in messages_of(odd))


def test_a_proposal_whose_time_passed_cannot_be_accepted(pair):
    (session,) = propose(pair)
    with scope(organization=pair.program.organization):
        Session.objects.filter(pk=session.pk).update(starts_at=timezone.now() - timedelta(hours=3))
        with pytest.raises(ScheduleError, match="already passed"):
            session_accept(session=fresh(session), by=pair.partner)


def test_suggesting_another_time_declines_the_proposal_and_threads_a_new_one(
    pair, client_for, commit, mailoutbox
):
    in_zone(pair.partner)
    (session,) = propose(pair)
    client = client_for(pair.partner)
    with commit():
        response = client.post(
            url("respond", session.pk),
            {
                "action": "suggest",
                "date": local_day(9).isoformat(),
                "time": "16:00",
                "note": "Mornings are hard for me",
            },
        )
    assert response.status_code == 302
    old = fresh(session)
    assert old.status == Session.Status.DECLINED
    assert old.responded_by == pair.partner and old.sequence == 1
    (new,) = [s for s in sessions_of(pair) if s.status == Session.Status.PROPOSED]
    assert new.replaces_id == old.pk
    assert new.proposed_by == pair.partner
    assert new.note == "Mornings are hard for me"
    assert new.starts_at.astimezone(BERLIN).strftime("%H:%M") == "16:00"
    assert (new.modality, new.location) == (old.modality, old.location)
    (message,) = mailoutbox
    assert message.to == [pair.me.email]
    assert "suggests another time" in message.subject
    request, withdrawal = calendars(message)
    assert request["METHOD"] == "REQUEST"
    assert str(events(request)[0]["UID"]) == str(new.uid)
    assert withdrawal["METHOD"] == "CANCEL"
    (gone,) = events(withdrawal)
    assert str(gone["UID"]) == str(old.uid) and str(gone["STATUS"]) == "CANCELLED"
    # The first proposer now answers the new time.
    client_for(pair.me).post(url("respond", new.pk), {"action": "accept"})
    assert fresh(new).status == Session.Status.SCHEDULED


def test_a_suggestion_in_the_past_shows_the_form_again_and_changes_nothing(pair, client_for):
    (session,) = propose(pair)
    response = client_for(pair.partner).post(
        url("respond", session.pk),
        {"action": "suggest", "date": local_day(-3).isoformat(), "time": "16:00", "note": "x"},
    )
    assert response.status_code == 400
    assert "has already passed" in response.content.decode()
    assert fresh(session).status == Session.Status.PROPOSED
    assert len(sessions_of(pair)) == 1


def test_a_suggestion_with_garbage_answers_400(pair, client_for):
    (session,) = propose(pair)
    response = client_for(pair.partner).post(
        url("respond", session.pk), {"action": "suggest", "date": "soon", "time": "later"}
    )
    assert response.status_code == 400
    assert fresh(session).status == Session.Status.PROPOSED


def test_the_proposer_cannot_suggest_against_their_own_proposal(pair, client_for):
    (session,) = propose(pair)
    response = client_for(pair.me).post(
        url("respond", session.pk),
        {"action": "suggest", "date": local_day(9).isoformat(), "time": "16:00"},
        follow=True,
    )
    assert any("reschedule it" in m for m in messages_of(response))
    assert fresh(session).status == Session.Status.PROPOSED


# --- Rescheduling and cancelling ---------------------------------------------------------


def test_rescheduling_sends_the_session_back_to_proposed_with_a_higher_sequence(
    pair, client_for, commit, mailoutbox
):
    in_zone(pair.partner)
    (session,) = propose(pair)
    client_for(pair.partner).post(url("respond", session.pk), {"action": "accept"})
    mailoutbox.clear()
    page = client_for(pair.partner).get(url("reschedule", session.pk))
    assert page.status_code == 200
    assert page.context["form"].initial["time"] == time(10)
    with commit():
        response = client_for(pair.partner).post(
            url("reschedule", session.pk),
            {
                "date": local_day(12).isoformat(),
                "time": "11:15",
                "duration_minutes": "90",
                "modality": "in_person",
                "location": "Room 4",
                "note": "A clash at work",
            },
        )
    assert response.status_code == 302
    moved = fresh(session)
    assert moved.status == Session.Status.PROPOSED
    assert moved.sequence == 2
    assert moved.uid == session.uid
    assert moved.proposed_by == pair.partner and moved.responded_by is None
    assert moved.starts_at.astimezone(BERLIN).date() == local_day(12)
    assert (moved.duration_minutes, moved.modality, moved.location) == (90, "in_person", "Room 4")
    assert moved.note == "A clash at work"
    (message,) = mailoutbox
    assert message.to == [pair.me.email]
    assert "moved your coaching session" in message.subject
    (event,) = events(calendars(message)[0])
    assert event["SEQUENCE"] == 2 and str(event["STATUS"]) == "TENTATIVE"
    assert str(event["LOCATION"]) == "Room 4"
    # Now the one who moved it cannot accept it; the other can.
    with scope(organization=pair.program.organization):
        with pytest.raises(ScheduleError):
            session_accept(session=moved, by=pair.partner)
        assert session_accept(session=moved, by=pair.me).status == Session.Status.SCHEDULED


def test_rescheduling_to_the_same_time_or_the_past_is_refused(pair, client_for):
    (session,) = propose(pair)
    client = client_for(pair.me)
    in_zone(pair.me)
    local = session.starts_at.astimezone(BERLIN)
    same = {
        "date": local.date().isoformat(),
        "time": local.strftime("%H:%M"),
        "duration_minutes": "60",
        "modality": "zoom",
        "location": session.location,
    }
    response = client.post(url("reschedule", session.pk), same)
    assert response.status_code == 400
    assert "Nothing changed" in response.content.decode()
    past = {**same, "date": local_day(-1).isoformat()}
    response = client.post(url("reschedule", session.pk), past)
    assert response.status_code == 400
    assert fresh(session).sequence == 0


def test_cancelling_emails_a_calendar_cancellation(pair, client_for, commit, mailoutbox):
    (session,) = propose(pair)
    with commit():
        response = client_for(pair.partner).post(
            url("cancel", session.pk), {"note": "I am ill, sorry"}
        )
    assert response.status_code == 302
    cancelled = fresh(session)
    assert cancelled.status == Session.Status.CANCELLED
    assert cancelled.responded_by == pair.partner
    assert cancelled.note == "I am ill, sorry" and cancelled.sequence == 1
    (message,) = mailoutbox
    assert message.to == [pair.me.email]
    assert "I am ill, sorry" in message.body
    (calendar,) = calendars(message)
    assert calendar["METHOD"] == "CANCEL"
    (event,) = events(calendar)
    assert str(event["STATUS"]) == "CANCELLED" and event["SEQUENCE"] == 1


@pytest.mark.parametrize("status", [Session.Status.HELD, Session.Status.CANCELLED])
def test_held_or_cancelled_sessions_cannot_change(pair, client_for, status, commit, mailoutbox):
    (session,) = propose(pair)
    with scope(organization=pair.program.organization):
        Session.objects.filter(pk=session.pk).update(status=status)
    before = fresh(session)
    client = client_for(pair.partner)
    with commit():
        accept = client.post(url("respond", session.pk), {"action": "accept"}, follow=True)
        cancel = client.post(url("cancel", session.pk), {"note": "x"}, follow=True)
        move = client.get(url("reschedule", session.pk), follow=True)
        move_post = client.post(
            url("reschedule", session.pk),
            {
                "date": local_day(20).isoformat(),
                "time": "10:00",
                "duration_minutes": "60",
                "modality": "zoom",
            },
            follow=True,
        )
    for response in (accept, cancel, move, move_post):
        assert response.status_code == 200
        assert messages_of(response), "the person is told why"
    after = fresh(session)
    assert (after.status, after.sequence, after.starts_at) == (
        before.status,
        before.sequence,
        before.starts_at,
    )
    assert mailoutbox == []
    with scope(organization=pair.program.organization):
        with pytest.raises(ScheduleError):
            session_reschedule(
                session=after,
                by=pair.me,
                starts_at=timezone.now() + timedelta(days=3),
                time_zone="UTC",
            )
        with pytest.raises(ScheduleError):
            session_cancel(session=after, by=pair.me)


# --- Who may -----------------------------------------------------------------------------


def test_an_ended_pair_is_read_only(pair, client_for):
    (session,) = propose(pair)
    with scope(organization=pair.program.organization):
        Match.objects.filter(pk=pair.match.pk).update(status=Match.Status.ENDED)
        MatchMember.objects.filter(match=pair.match).update(is_current=False)
    client = client_for(pair.partner)
    for response in (
        client.get(url("schedule", pair.match.pk), follow=True),
        client.post(url("schedule", pair.match.pk), form_post([(local_day(4), "10:00")])),
        client.post(url("respond", session.pk), {"action": "accept"}),
        client.post(url("cancel", session.pk), {"note": ""}),
        client.get(url("reschedule", session.pk)),
    ):
        assert response.status_code in (200, 302)
        if response.status_code == 302:
            assert response["Location"] == reverse("portal:home", kwargs={"org_slug": "acme"})
    assert fresh(session).status == Session.Status.PROPOSED
    assert len(sessions_of(pair)) == 1
    # The calendar file is still theirs to read.
    assert client.get(url("ics", session.pk)).status_code == 200
    pair.match.status = Match.Status.ENDED
    with pytest.raises(ScheduleError, match="ended"):
        propose(pair)


def test_a_member_who_left_cannot_change_the_schedule(circle, client_for):
    (session,) = propose(circle)
    with scope(organization=circle.program.organization):
        MatchMember.objects.filter(match=circle.match, user=circle.people[3]).update(
            is_current=False
        )
    response = client_for(circle.people[3]).post(url("respond", session.pk), {"action": "accept"})
    assert response.status_code == 302
    assert fresh(session).status == Session.Status.PROPOSED
    with (
        scope(organization=circle.program.organization),
        pytest.raises(ScheduleError, match="Only the members"),
    ):
        session_accept(session=fresh(session), by=circle.people[3])


def test_people_outside_the_pair_get_404_and_change_nothing(
    pair, client_for, stranger, coordinator, other_participant
):
    (session,) = propose(pair)
    for outsider in (stranger, coordinator):
        client = client_for(outsider)
        assert client.get(url("schedule", pair.match.pk)).status_code == 404
        assert (
            client.post(
                url("schedule", pair.match.pk), form_post([(local_day(4), "10:00")])
            ).status_code
            == 404
        )
        assert client.post(url("respond", session.pk), {"action": "accept"}).status_code == 404
        assert client.get(url("reschedule", session.pk)).status_code == 404
        assert client.post(url("cancel", session.pk)).status_code == 404
        assert client.get(url("ics", session.pk)).status_code == 404
    client = client_for(other_participant)
    assert client.get(url("ics", session.pk, org_slug="globex")).status_code == 404
    assert fresh(session).status == Session.Status.PROPOSED
    assert len(sessions_of(pair)) == 1


def test_another_pairs_session_cannot_be_reached_through_my_pair(org, pair, client_for):
    third = pair_make(org, person(org, "third@acme.example.org"))
    (theirs,) = propose(third)
    client = client_for(pair.me)
    assert client.post(url("respond", theirs.pk), {"action": "accept"}).status_code == 404
    assert client.post(url("cancel", theirs.pk)).status_code == 404
    assert client.get(url("ics", theirs.pk)).status_code == 404
    assert fresh(theirs).status == Session.Status.PROPOSED


def test_deleted_accounts_get_no_email_and_are_no_attendee(pair, client_for, commit, mailoutbox):
    pair.partner.deleted_at = timezone.now()
    pair.partner.save(update_fields=["deleted_at"])
    with commit():
        client_for(pair.me).post(
            url("schedule", pair.match.pk), form_post([(local_day(4), "10:00")])
        )
    assert mailoutbox == []
    (session,) = sessions_of(pair)
    calendar = Calendar.from_ical(client_for(pair.me).get(url("ics", session.pk)).content)
    (event,) = events(calendar)
    attendees = event.get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert [str(a) for a in attendees] == [f"mailto:{pair.me.email}"]


# --- Reads -------------------------------------------------------------------------------


def test_upcoming_for_matches_lists_proposed_and_scheduled_soonest_first(org, pair, circle):
    later, sooner = propose(pair, days=20), propose(pair, days=3)
    cancelled = propose(pair, days=5)[0]
    (in_circle,) = propose(circle)
    with scope(organization=org):
        session_cancel(session=cancelled, by=pair.me)
        session_accept(session=later[0], by=pair.partner)
        result = upcoming_for_matches(
            organization=org, match_ids=[pair.match.pk, circle.match.pk, 999999]
        )
    assert [s.pk for s in result[pair.match.pk]] == [sooner[0].pk, later[0].pk]
    assert [s.pk for s in result[circle.match.pk]] == [in_circle.pk]
    assert result[999999] == []


def test_upcoming_for_matches_runs_one_query(org, pair, django_assert_num_queries):
    propose(pair, count=5)
    with scope(organization=org), django_assert_num_queries(1):
        result = upcoming_for_matches(organization=org, match_ids=[pair.match.pk])
        assert [s.program.name for s in result[pair.match.pk]]
        assert [s.proposed_by.email for s in result[pair.match.pk]]


# --- Query counts ------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["schedule", "calendar"])
def test_pages_run_as_many_queries_for_twenty_sessions_as_for_one(pair, client_for, page):
    client = client_for(pair.me)
    target = (
        url("schedule", pair.match.pk)
        if page == "schedule"
        else reverse("sessions:calendar", kwargs={"org_slug": "acme"})
    )
    propose(pair, by=pair.partner)
    client.get(target)  # the calendar page makes the feed on the first visit
    small, _ = count_queries(client, target)
    propose(pair, by=pair.partner, count=10, days=30)
    propose(pair, count=9, days=31)
    large, response = count_queries(client, target)
    assert len(response.context["rows" if page == "schedule" else "sessions"]) == 20
    assert len(small) == len(large), describe(large)
