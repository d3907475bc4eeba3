"""Logging a session: the three formats, logging a scheduled session, logging twice, and
every refusal (future dates, halves longer than the session, unknown topics, bad
numbers, non-members, ended pairs): never a 500, never half-written."""

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_scopes import scope

from programs.models import Match, MatchMember, Program
from sessions.models import PrivateNote, Session, SessionPart
from sessions.services.log import Slot, session_log
from tests.sessions.conftest import pair_make

from .test_log_support import BERLIN, count, held, local_day, log_post, rows, upcoming, url

pytestmark = pytest.mark.django_db


def only_session(pair):
    (session,) = rows(Session, match=pair.match)
    return session


def parts(session):
    with scope(organization=session.organization):
        return list(
            SessionPart.objects.filter(session=session)
            .select_related("coach", "coachee")
            .order_by("position")
        )


# --- The three formats -------------------------------------------------------------------


def test_one_way_log_makes_a_held_session_with_one_part_from_coach_to_peer(
    one_way_pair, client_for
):
    pair = one_way_pair
    pair.program.session_topics = "Career development\nDelegation\n"
    pair.program.save()
    client = client_for(pair.partner)  # the peer logs
    response = client.post(
        url("log", pair.match.pk),
        log_post(
            topics=["Delegation"],
            next_steps="Draft the plan",
            shared_notes="We talked about the plan.",
            private_note="I felt nervous.",
        ),
    )
    session = only_session(pair)
    assert response.status_code == 302
    assert response["Location"] == url("detail", session.pk)
    assert session.status == Session.Status.HELD
    assert session.logged_by == pair.partner and session.logged_at is not None
    assert session.topics == ["Delegation"]
    assert session.next_steps == "Draft the plan"
    assert session.duration_minutes == 90
    # 10:00 in Berlin, stored in UTC.
    assert session.starts_at == datetime.combine(local_day(), datetime.min.time()).replace(
        hour=10, tzinfo=BERLIN
    )
    (part,) = parts(session)
    assert (part.coach, part.coachee, part.minutes) == (pair.me, pair.partner, 90)
    assert not part.under_minimum
    (note,) = rows(PrivateNote, session=session)
    assert (note.author, note.body) == (pair.partner, "I felt nervous.")


def test_reciprocal_log_records_two_halves_and_flags_the_one_under_the_minimum(
    org, participant, client_for
):
    pair = pair_make(org, participant, min_minutes_each=45)
    client = client_for(pair.me)
    response = client.post(
        url("log", pair.match.pk), log_post(pair, half_1_minutes="50", half_2_minutes="30")
    )
    assert response.status_code == 302
    session = only_session(pair)
    first, second = parts(session)
    assert (first.coach, first.coachee, first.minutes, first.under_minimum) == (
        pair.me,
        pair.partner,
        50,
        False,
    )
    assert (second.coach, second.coachee, second.minutes, second.under_minimum) == (
        pair.partner,
        pair.me,
        30,
        True,
    )
    page = client.get(url("detail", session.pk)).content.decode()
    assert page.count('data-testid="under-minimum"') == 1
    assert "at least 45 minutes" in page


def test_halves_longer_than_the_session_are_refused_and_nothing_is_written(pair, client_for):
    client = client_for(pair.me)
    response = client.post(
        url("log", pair.match.pk),
        log_post(pair, duration_minutes="60", half_1_minutes="40", half_2_minutes="30"),
    )
    assert response.status_code == 200
    assert "add up to 70 minutes, more than the session&#x27;s 60 minutes" in (
        response.content.decode()
    )
    assert count(Session, match=pair.match) == 0
    assert count(SessionPart) == 0


def test_reciprocal_needs_some_coaching(pair, client_for):
    response = client_for(pair.me).post(
        url("log", pair.match.pk), log_post(pair, half_1_minutes="0", half_2_minutes="0")
    )
    assert "at least one of you" in response.content.decode()
    assert count(Session, match=pair.match) == 0


def test_circle_log_records_who_attended_their_slots_and_challenges(circle, client_for):
    me, second, third, absent = circle.people
    client = client_for(me)
    data = log_post(duration_minutes="120")
    data.update(
        {
            f"attended_{me.pk}": "on",
            f"slot_{me.pk}": "40",
            f"challenge_{me.pk}": "A difficult budget talk",
            f"attended_{second.pk}": "on",
            f"slot_{second.pk}": "25",
            f"attended_{third.pk}": "on",
            f"slot_{third.pk}": "35",
            f"challenge_{third.pk}": "Hiring",
            # `absent` did not come: their slot and challenge are ignored.
            f"slot_{absent.pk}": "30",
            f"challenge_{absent.pk}": "ignored",
        }
    )
    response = client.post(url("log", circle.match.pk), data)
    assert response.status_code == 302
    session = only_session(circle)
    logged = [(p.coach, p.coachee, p.minutes, p.challenge, p.under_minimum) for p in parts(session)]
    # The circle fixture's minimum is 30 minutes each.
    assert logged == [
        (None, me, 40, "A difficult budget talk", False),
        (None, second, 25, "", True),
        (None, third, 35, "Hiring", False),
    ]
    page = client.get(url("detail", session.pk)).content.decode()
    assert "A difficult budget talk" in page and "ignored" not in page
    assert page.count('data-testid="under-minimum"') == 1


def test_circle_needs_two_attendees(circle, client_for):
    me = circle.me
    data = log_post(**{f"attended_{me.pk}": "on", f"slot_{me.pk}": "30"})
    response = client_for(me).post(url("log", circle.match.pk), data)
    assert response.status_code == 200
    assert "at least two members" in response.content.decode()
    assert count(Session, match=circle.match) == 0


def test_circle_slots_cannot_exceed_the_session(circle, client_for):
    data = log_post(circle, duration_minutes="60")  # four slots of 20
    response = client_for(circle.me).post(url("log", circle.match.pk), data)
    assert "add up to 80 minutes" in response.content.decode()
    assert count(Session, match=circle.match) == 0


def test_circle_attendee_without_a_slot_is_asked_for_it(circle, client_for):
    data = log_post(circle)
    data[f"slot_{circle.people[1].pk}"] = ""
    response = client_for(circle.me).post(url("log", circle.match.pk), data)
    assert "Enter the time slot of each attendee" in response.content.decode()
    assert count(Session, match=circle.match) == 0


def test_service_refuses_a_slot_for_someone_outside_the_circle(circle, stranger):
    with (
        scope(organization=circle.program.organization),
        pytest.raises(ValidationError, match="current members"),
    ):
        session_log(
            match=circle.match,
            user=circle.me,
            starts_at=timezone.now() - timedelta(hours=3),
            duration_minutes=90,
            modality="zoom",
            slots=[
                Slot(user_id=circle.me.pk, minutes=30),
                Slot(user_id=stranger.pk, minutes=30),
            ],
        )
    assert count(Session) == 0


# --- Refusals ---------------------------------------------------------------------------


def test_a_session_in_the_future_cannot_be_logged(pair, client_for):
    tomorrow = local_day(days_ago=-1)
    response = client_for(pair.me).post(
        url("log", pair.match.pk), log_post(pair, date=tomorrow.isoformat())
    )
    assert response.status_code == 200
    assert "This is in the future" in response.content.decode()
    assert count(Session) == 0


def test_service_refuses_a_start_a_minute_ahead(pair):
    with scope(organization=pair.program.organization), pytest.raises(ValidationError) as caught:
        session_log(
            match=pair.match,
            user=pair.me,
            starts_at=timezone.now() + timedelta(minutes=1),
            duration_minutes=60,
            modality="zoom",
            halves=(30, 30),
        )
    assert "date" in caught.value.error_dict
    assert count(Session) == 0


def test_unknown_topics_are_refused_by_the_form_and_by_the_service(pair, client_for):
    pair.program.session_topics = "Career development\nWork-life balance"
    pair.program.save()
    response = client_for(pair.me).post(
        url("log", pair.match.pk), log_post(pair, topics=["Career development", "Astrology"])
    )
    assert response.status_code == 200
    assert "Astrology is not one of the available choices" in response.content.decode()
    with scope(organization=pair.program.organization):
        with pytest.raises(ValidationError, match="not topics of this program: Astrology"):
            session_log(
                match=pair.match,
                user=pair.me,
                starts_at=timezone.now() - timedelta(hours=2),
                duration_minutes=60,
                modality="zoom",
                halves=(30, 30),
                topics=["career DEVELOPMENT", "Astrology"],
            )
        # Known topics in any case are stored in the program's spelling and order.
        session = session_log(
            match=pair.match,
            user=pair.me,
            starts_at=timezone.now() - timedelta(hours=2),
            duration_minutes=60,
            modality="zoom",
            halves=(30, 30),
            topics=["work-life balance", "career DEVELOPMENT"],
        )
    assert session.topics == ["Career development", "Work-life balance"]
    assert count(Session) == 1


@pytest.mark.parametrize(
    "bad",
    [
        {"duration_minutes": "abc"},
        {"duration_minutes": "-5"},
        {"duration_minutes": "4"},
        {"duration_minutes": "601"},
        {"duration_minutes": "99999999999999999999999"},
        {"duration_minutes": "1e3"},
        {"duration_minutes": ""},
        {"half_1_minutes": "NaN"},
        {"half_1_minutes": "-1"},
        {"half_2_minutes": "700"},
        {"half_2_minutes": None},
        {"date": "0001-01-01"},
        {"date": "9999-12-31"},
        {"date": "2025-02-30"},
        {"date": ""},
        {"start_time": "25:00"},
        {"start_time": ""},
        {"modality": "carrier-pigeon"},
        {"shared_notes": "a\x00b"},
        {"private_note": "x" * 10_001},
        {"location": "y" * 501},
    ],
)
def test_bad_input_gets_a_message_never_a_500_and_writes_nothing(pair, client_for, bad):
    response = client_for(pair.me).post(url("log", pair.match.pk), log_post(pair, **bad))
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode() or "alert-danger" in (
        response.content.decode()
    )
    assert count(Session) == 0
    assert count(PrivateNote) == 0


def test_circle_bad_slot_numbers_are_refused(circle, client_for):
    data = log_post(circle, **{f"slot_{circle.people[2].pk}": "twenty"})
    response = client_for(circle.me).post(url("log", circle.match.pk), data)
    assert response.status_code == 200
    assert count(Session) == 0


def test_ended_pair_is_read_only(pair, client_for):
    session = held(pair, shared_notes="What we said")
    with scope(organization=pair.program.organization):
        Match.objects.filter(pk=pair.match.pk).update(status=Match.Status.ENDED)
        MatchMember.objects.filter(match=pair.match).update(is_current=False)
    client = client_for(pair.me)
    for name, pk in [("log", pair.match.pk), ("log_scheduled", session.pk)]:
        response = client.post(url(name, pk), log_post(pair, shared_notes="Changed"))
        assert response.status_code == 302
        assert response["Location"] == "/o/acme/"
    assert count(Session) == 1
    assert rows(Session)[0].shared_notes == "What we said"
    # Former members still read their sessions, without the edit buttons.
    page = client.get(url("detail", session.pk)).content.decode()
    assert "What we said" in page and "read this session but not change it" in page
    assert url("log_scheduled", session.pk) not in page


def test_member_who_left_a_circle_reads_but_cannot_log(circle, client_for):
    session = held(circle)
    leaver = circle.people[3]
    with scope(organization=circle.program.organization):
        MatchMember.objects.filter(match=circle.match, user=leaver).update(is_current=False)
    client = client_for(leaver)
    assert client.get(url("detail", session.pk)).status_code == 200
    response = client.post(url("log", circle.match.pk), log_post(circle))
    assert response.status_code == 302
    assert count(Session) == 1


def test_non_members_get_404_on_the_log_pages(pair, client_for, stranger, coordinator):
    session = held(pair)
    for user in (stranger, coordinator):
        client = client_for(user)
        assert client.get(url("log", pair.match.pk)).status_code == 404
        assert client.post(url("log", pair.match.pk), log_post(pair)).status_code == 404
        assert client.get(url("log_scheduled", session.pk)).status_code == 404
        assert client.post(url("log_scheduled", session.pk), log_post(pair)).status_code == 404
    assert count(Session) == 1


def test_a_proposed_pair_cannot_log(org, participant, client_for):
    pair = pair_make(org, participant)
    with scope(organization=org):
        Match.objects.filter(pk=pair.match.pk).update(status=Match.Status.PROPOSED)
    response = client_for(participant).post(url("log", pair.match.pk), log_post(pair))
    assert response.status_code == 404
    assert count(Session) == 0


# --- Scheduled sessions, logging twice -----------------------------------------------------


def test_logging_a_scheduled_session_makes_it_held_and_keeps_its_identity(pair, client_for):
    three_hours_ago = (timezone.now() - timedelta(hours=3)).replace(second=0, microsecond=0)
    session = upcoming(pair, at=three_hours_ago)
    client = client_for(pair.partner)
    page = client.get(url("log_scheduled", session.pk)).content.decode()
    local = timezone.localtime(session.starts_at, BERLIN)
    assert f'value="{local:%Y-%m-%d}"' in page and f'value="{local:%H:%M}"' in page
    response = client.post(
        url("log_scheduled", session.pk),
        log_post(
            pair,
            date=f"{local:%Y-%m-%d}",
            start_time=f"{local:%H:%M}",
            duration_minutes="60",
            half_1_minutes="30",
            half_2_minutes="30",
        ),
    )
    assert response.status_code == 302
    (logged,) = rows(Session, match=pair.match)
    assert logged.pk == session.pk and logged.uid == session.uid
    assert logged.status == Session.Status.HELD
    assert logged.logged_by == pair.partner
    assert logged.sequence == session.sequence  # same time and length: calendars unchanged


def test_a_scheduled_session_still_ahead_cannot_be_logged_at_its_time(pair, client_for):
    session = upcoming(pair, days=2)
    local = timezone.localtime(session.starts_at, BERLIN)
    response = client_for(pair.me).post(
        url("log_scheduled", session.pk),
        log_post(pair, date=f"{local:%Y-%m-%d}", start_time=f"{local:%H:%M}"),
    )
    assert "This is in the future" in response.content.decode()
    assert rows(Session)[0].status == Session.Status.SCHEDULED


def test_a_cancelled_session_cannot_be_logged(pair, client_for):
    session = upcoming(pair, status=Session.Status.CANCELLED, at=timezone.now() - timedelta(days=1))
    client = client_for(pair.me)
    response = client.post(url("log_scheduled", session.pk), log_post(pair))
    assert response.status_code == 302
    assert response["Location"] == url("detail", session.pk)
    assert rows(Session)[0].status == Session.Status.CANCELLED
    assert count(SessionPart) == 0


def test_the_second_member_edits_the_shared_log_and_keeps_their_own_private_note(pair, client_for):
    session = held(pair, shared_notes="First version", private_note="Pat's own thoughts")
    client = client_for(pair.partner)
    page = client.get(url("log_scheduled", session.pk)).content.decode()
    assert "First version" in page
    assert "Pat&#x27;s own thoughts" not in page and "Pat's own thoughts" not in page
    response = client.post(
        url("log_scheduled", session.pk),
        log_post(
            pair,
            shared_notes="Second version",
            half_1_minutes="40",
            half_2_minutes="50",
            private_note="Gil's own thoughts",
        ),
    )
    assert response.status_code == 302
    (edited,) = rows(Session)
    assert edited.shared_notes == "Second version"
    assert edited.logged_by == pair.me  # the first logger stays on record
    assert [p.minutes for p in parts(edited)] == [40, 50]
    notes = {n.author_id: n.body for n in rows(PrivateNote, session=session)}
    assert notes == {pair.me.pk: "Pat's own thoughts", pair.partner.pk: "Gil's own thoughts"}


def test_the_log_page_points_to_a_recent_log_so_nobody_logs_twice(pair, client_for):
    session = held(pair)
    page = client_for(pair.partner).get(url("log", pair.match.pk)).content.decode()
    assert 'data-testid="recent-held"' in page
    assert url("log_scheduled", session.pk) in page


def test_new_log_form_offers_the_programs_length_split_in_halves(org, participant, client_for):
    pair = pair_make(org, participant, session_minutes=80)
    page = client_for(participant).get(url("log", pair.match.pk)).content.decode()
    assert 'name="duration_minutes" value="80"' in page
    assert page.count('value="40"') == 2


def test_one_way_pair_without_a_coach_on_record_gets_a_message(org, participant, client_for):
    pair = pair_make(org, participant, format=Program.Format.ONE_WAY)
    with scope(organization=org):
        MatchMember.objects.filter(match=pair.match).update(role=MatchMember.Role.PARTNER)
    response = client_for(participant).post(url("log", pair.match.pk), log_post())
    assert response.status_code == 200
    assert "no coach and peer on record" in response.content.decode()
    assert count(Session) == 0


def test_the_session_page_offers_logging_once_the_session_has_started(pair, client_for):
    ahead = upcoming(pair, days=1)
    started = upcoming(pair, at=timezone.now() - timedelta(minutes=5))
    client = client_for(pair.me)
    assert (
        url("log_scheduled", ahead.pk) not in client.get(url("detail", ahead.pk)).content.decode()
    )
    page = client.get(url("detail", started.pk)).content.decode()
    assert url("log_scheduled", started.pk) in page and "Log this session as held" in page
