"""After (and before) a session: private notes over HTMX and plain POST, feedback in each
direction, self-reflections, preparation and the first-session checklist."""

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_scopes import scope

from programs.models import Match, Program
from sessions.access import NotWritable
from sessions.models import (
    Checklist,
    Feedback,
    Goal,
    Plan,
    Preparation,
    PrivateNote,
    Reflection,
    Session,
)
from sessions.services.log import Slot, checklist_save, feedback_give
from tests.sessions.conftest import pair_make, person

from .test_log_support import count, held, rows, upcoming, url

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


# --- Private note -----------------------------------------------------------------------


def test_private_note_over_htmx_answers_the_panel_only(pair, client_for):
    session = held(pair)
    client = client_for(pair.me)
    response = client.post(url("private_note", session.pk), {"body": "Just mine"}, headers=HX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'id="private-note"' in body and "Saved." in body
    assert "Just mine" in body
    (note,) = rows(PrivateNote)
    assert (note.author, note.body) == (pair.me, "Just mine")


def test_private_note_plain_post_redirects_and_blank_deletes(pair, client_for):
    session = held(pair, private_note="Old")
    client = client_for(pair.me)
    response = client.post(url("private_note", session.pk), {"body": "New"})
    assert response.status_code == 302
    assert response["Location"] == url("detail", session.pk) + "#private-note"
    assert rows(PrivateNote)[0].body == "New"
    client.post(url("private_note", session.pk), {"body": "   "})
    assert count(PrivateNote) == 0


def test_private_note_too_long_or_with_a_null_byte_is_refused(pair, client_for):
    session = held(pair, private_note="Kept")
    client = client_for(pair.me)
    for body in ("x" * 10_001, "a\x00b"):
        response = client.post(url("private_note", session.pk), {"body": body})
        assert response.status_code == 400
        response = client.post(url("private_note", session.pk), {"body": body}, headers=HX)
        assert response.status_code == 200 and "invalid-feedback" in response.content.decode()
    assert rows(PrivateNote)[0].body == "Kept"


def test_private_note_get_is_not_allowed(pair, client_for):
    session = held(pair)
    assert client_for(pair.me).get(url("private_note", session.pk)).status_code == 405


def test_private_note_on_an_ended_pair_is_refused(pair, client_for):
    session = held(pair, private_note="Kept")
    with scope(organization=pair.program.organization):
        Match.objects.filter(pk=pair.match.pk).update(status=Match.Status.ENDED)
    response = client_for(pair.me).post(url("private_note", session.pk), {"body": "New"})
    assert response.status_code == 302
    assert rows(PrivateNote)[0].body == "Kept"


# --- Feedback -----------------------------------------------------------------------------


def test_reciprocal_each_partner_gives_feedback_to_the_other(pair, client_for):
    session = held(pair)
    client_for(pair.me).post(url("feedback", session.pk), {"rating": "4", "comment": "Clear"})
    client_for(pair.partner).post(url("feedback", session.pk), {"rating": "5", "comment": "Warm"})
    given = {(f.author_id, f.coach_id): (f.rating, f.comment) for f in rows(Feedback)}
    assert given == {
        (pair.me.pk, pair.partner.pk): (4, "Clear"),
        (pair.partner.pk, pair.me.pk): (5, "Warm"),
    }


def test_feedback_is_editable_and_stays_one_row(pair, client_for):
    session = held(pair)
    client = client_for(pair.me)
    client.post(url("feedback", session.pk), {"rating": "2", "comment": "Meh"})
    page = client.get(url("feedback", session.pk)).content.decode()
    assert "Meh" in page
    response = client.post(url("feedback", session.pk), {"rating": "3", "comment": "Better"})
    assert response.status_code == 302
    (row,) = rows(Feedback)
    assert (row.rating, row.comment) == (3, "Better")


def test_one_way_peer_gives_feedback_to_the_coach_and_the_coach_gives_none(
    one_way_pair, client_for
):
    pair = one_way_pair
    session = held(pair)
    coach, peer = pair.me, pair.partner
    response = client_for(coach).post(url("feedback", session.pk), {"rating": "5"})
    assert response.status_code == 302 and count(Feedback) == 0
    client_for(peer).post(url("feedback", session.pk), {"rating": "4", "comment": "Thanks"})
    (row,) = rows(Feedback)
    assert (row.author, row.coach, row.rating) == (peer, coach, 4)
    coach_page = client_for(coach).get(url("detail", session.pk)).content.decode()
    assert "Thanks" in coach_page and 'data-testid="feedback-received"' in coach_page


def test_a_half_of_zero_minutes_gets_no_feedback(pair, client_for):
    session = held(pair, halves=(60, 0))  # only the partner was coached
    response = client_for(pair.me).post(url("feedback", session.pk), {"rating": "5"})
    assert response.status_code == 302 and count(Feedback) == 0
    client_for(pair.partner).post(url("feedback", session.pk), {"rating": "5"})
    assert rows(Feedback)[0].coach == pair.me


def test_circle_attendees_give_feedback_to_the_circle_and_attendees_read_it(circle, client_for):
    first, second, third, absent = circle.people
    session = held(
        circle,
        slots=[Slot(user_id=u.pk, minutes=20) for u in (first, second, third)],
    )
    client_for(first).post(url("feedback", session.pk), {"rating": "5", "comment": "Great circle"})
    (row,) = rows(Feedback)
    assert row.coach is None and row.author == first
    # Attendees read it; the member who was absent gives none and reads none.
    assert "Great circle" in client_for(third).get(url("detail", session.pk)).content.decode()
    absent_client = client_for(absent)
    assert "Great circle" not in absent_client.get(url("detail", session.pk)).content.decode()
    absent_client.post(url("feedback", session.pk), {"rating": "1", "comment": "x"})
    assert count(Feedback) == 1


def test_feedback_comment_is_for_its_author_and_coach_only_in_a_one_way_program(
    org, participant, client_for
):
    first = pair_make(org, participant, format=Program.Format.ONE_WAY)
    session = held(first)
    client_for(first.partner).post(url("feedback", session.pk), {"rating": "3", "comment": "Hm"})
    # The coach reads it; a coach of another pair in the same program does not reach it.
    second = pair_make(org, person(org, "other-coach@acme.example.org"), program=first.program)
    assert client_for(second.me).get(url("detail", session.pk)).status_code == 404


@pytest.mark.parametrize("rating", ["0", "6", "abc", "", "4.5", "99999999999999999999"])
def test_bad_ratings_are_refused(pair, client_for, rating):
    session = held(pair)
    response = client_for(pair.me).post(url("feedback", session.pk), {"rating": rating})
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    assert count(Feedback) == 0


def test_feedback_waits_for_a_held_session(pair, client_for):
    session = upcoming(pair)
    client = client_for(pair.me)
    assert client.get(url("feedback", session.pk)).status_code == 302
    assert client.post(url("feedback", session.pk), {"rating": "4"}).status_code == 302
    assert count(Feedback) == 0


def test_service_refuses_feedback_from_someone_not_coached(one_way_pair):
    session = held(one_way_pair)
    with scope(organization=one_way_pair.program.organization):
        session.organization = one_way_pair.program.organization
        with pytest.raises(ValidationError, match="not coached"):
            feedback_give(session=session, author=one_way_pair.me, rating=4)
        with pytest.raises(ValidationError):
            feedback_give(session=session, author=one_way_pair.partner, rating=True)
    assert count(Feedback) == 0


# --- Self-reflection ----------------------------------------------------------------------


def test_coach_writes_a_reflection_and_the_peer_cannot(one_way_pair, client_for):
    pair = one_way_pair
    session = held(pair)
    response = client_for(pair.me).post(url("reflection", session.pk), {"body": "Listen more"})
    assert response.status_code == 302
    (row,) = rows(Reflection)
    assert (row.author, row.body) == (pair.me, "Listen more")
    peer = client_for(pair.partner)
    assert peer.get(url("reflection", session.pk)).status_code == 302
    peer.post(url("reflection", session.pk), {"body": "Mine"})
    assert count(Reflection) == 1
    assert url("reflection", session.pk) not in peer.get(url("detail", session.pk)).content.decode()


def test_every_circle_attendee_may_reflect(circle, client_for):
    session = held(circle)
    for member in circle.people[:2]:
        client_for(member).post(url("reflection", session.pk), {"body": f"by {member.pk}"})
    assert count(Reflection) == 2


def test_blank_reflection_deletes_it(pair, client_for):
    session = held(pair)
    client = client_for(pair.me)
    client.post(url("reflection", session.pk), {"body": "Draft"})
    client.post(url("reflection", session.pk), {"body": ""})
    assert count(Reflection) == 0


# --- Preparation -------------------------------------------------------------------------


def test_preparation_is_404_unless_the_program_uses_it(pair, client_for):
    session = upcoming(pair)
    client = client_for(pair.me)
    assert client.get(url("prepare", session.pk)).status_code == 404
    assert client.post(url("prepare", session.pk), {"purpose": "x"}).status_code == 404
    assert count(Preparation) == 0


def test_one_way_peer_prepares_and_the_coach_reads_it(one_way_pair, client_for):
    pair = one_way_pair
    pair.program.session_preparation = True
    pair.program.save()
    session = upcoming(pair)
    peer = client_for(pair.partner)
    response = peer.post(
        url("prepare", session.pk),
        {"purpose": "Decide on the move", "outcomes": "A yes or no", "process": "Challenge me"},
    )
    assert response.status_code == 302
    coach = client_for(pair.me)
    page = coach.get(url("detail", session.pk)).content.decode()
    assert "Decide on the move" in page and "Challenge me" in page
    coach.post(url("prepare", session.pk), {"purpose": "Coach's own"})
    assert [p.author for p in rows(Preparation)] == [pair.partner]


def test_preparation_is_for_sessions_ahead(pair, client_for):
    pair.program.session_preparation = True
    pair.program.save()
    session = held(pair)
    client_for(pair.me).post(url("prepare", session.pk), {"purpose": "Too late"})
    assert count(Preparation) == 0


def test_preparation_edits_and_blank_deletes(pair, client_for):
    pair.program.session_preparation = True
    pair.program.save()
    session = upcoming(pair)
    client = client_for(pair.me)
    client.post(url("prepare", session.pk), {"purpose": "One"})
    client.post(url("prepare", session.pk), {"purpose": "Two"})
    assert [p.purpose for p in rows(Preparation)] == ["Two"]
    client.post(url("prepare", session.pk), {"purpose": "", "outcomes": "", "process": ""})
    assert count(Preparation) == 0


# --- Checklist ------------------------------------------------------------------------------


def test_checklist_is_404_when_the_program_does_not_use_it(org, participant, client_for):
    pair = pair_make(org, participant, first_session_checklist=False)
    client = client_for(participant)
    assert client.get(url("checklist", pair.match.pk)).status_code == 404
    assert client.post(url("checklist", pair.match.pk), {"items": ["logistics"]}).status_code == 404
    assert count(Checklist) == 0


def test_ticking_records_who_and_when_and_unticking_removes_it(pair, client_for):
    client = client_for(pair.me)
    response = client.post(url("checklist", pair.match.pk), {"items": ["confidentiality"]})
    assert response.status_code == 302
    (checklist,) = rows(Checklist)
    entry = checklist.done["confidentiality"]
    assert entry["by"] == pair.me.pk
    assert abs(datetime.fromisoformat(entry["at"]) - timezone.now()) < timedelta(minutes=1)
    page = client_for(pair.partner).get(url("checklist", pair.match.pk)).content.decode()
    assert f"Ticked by {pair.me.display_name}" in page
    # The partner unticks it (it was shown ticked, and is no longer sent).
    client.post(url("checklist", pair.match.pk), {"seen": ["confidentiality"]})
    assert rows(Checklist)[0].done == {}


def test_a_stale_page_never_undoes_the_partners_tick(pair, client_for):
    client_for(pair.me).post(url("checklist", pair.match.pk), {"items": ["logistics"]})
    # The partner's page was drawn before that tick: it neither shows nor sends it.
    client_for(pair.partner).post(url("checklist", pair.match.pk), {"items": ["expectations"]})
    done = rows(Checklist)[0].done
    assert set(done) == {"logistics", "expectations"}
    assert done["logistics"]["by"] == pair.me.pk
    assert done["expectations"]["by"] == pair.partner.pk


def test_checklist_over_htmx_answers_the_form_and_ignores_unknown_items(pair, client_for):
    response = client_for(pair.me).post(
        url("checklist", pair.match.pk), {"items": ["goals_set", "bogus"]}, headers=HX
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and "Saved." in body
    assert set(rows(Checklist)[0].done) == {"goals_set"}


def test_checklist_hints_without_ticking(pair, client_for, org):
    client = client_for(pair.me)
    page = client.get(url("checklist", pair.match.pk)).content.decode()
    assert "hint-scheduled_ahead" not in page and "hint-goals_set" not in page
    upcoming(pair, days=3)
    upcoming(pair, days=10, status=Session.Status.PROPOSED)
    with scope(organization=org):
        for user in pair.people:
            plan = Plan.objects.create(organization=org, program=pair.program, user=user)
            Goal.objects.create(organization=org, plan=plan, title=f"Goal of {user.pk}")
    page = client.get(url("checklist", pair.match.pk)).content.decode()
    assert 'data-testid="hint-scheduled_ahead"' in page and "2 sessions scheduled ahead" in page
    assert 'data-testid="hint-goals_set"' in page
    assert count(Checklist) == 0  # hints tick nothing


def test_goal_hint_needs_every_member(pair, client_for, org):
    with scope(organization=org):
        plan = Plan.objects.create(organization=org, program=pair.program, user=pair.me)
        Goal.objects.create(organization=org, plan=plan, title="Only mine")
    page = client_for(pair.me).get(url("checklist", pair.match.pk)).content.decode()
    assert "hint-goals_set" not in page


def test_checklist_on_an_ended_pair_is_read_only(pair, client_for):
    with scope(organization=pair.program.organization):
        Match.objects.filter(pk=pair.match.pk).update(status=Match.Status.ENDED)
        with pytest.raises(NotWritable):
            checklist_save(match=pair.match, user=pair.me, ticked=["logistics"], seen=[])
    client = client_for(pair.me)
    assert client.post(url("checklist", pair.match.pk), {"items": ["logistics"]}).status_code == 302
    page = client.get(url("checklist", pair.match.pk)).content.decode()
    assert "<fieldset disabled>" in page
    assert count(Checklist) == 0


def test_htmx_writes_on_an_ended_pair_redirect_the_whole_page(pair, client_for):
    session = held(pair, private_note="Kept")
    with scope(organization=pair.program.organization):
        Match.objects.filter(pk=pair.match.pk).update(status=Match.Status.ENDED)
    client = client_for(pair.me)
    for address, data in [
        (url("private_note", session.pk), {"body": "New"}),
        (url("checklist", pair.match.pk), {"items": ["logistics"]}),
    ]:
        response = client.post(address, data, headers=HX)
        assert response.status_code == 200
        assert response["HX-Redirect"] == "/o/acme/"
    assert rows(PrivateNote)[0].body == "Kept" and count(Checklist) == 0
