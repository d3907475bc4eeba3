"""Private content of a session, tried from every actor.

A private note and a self-reflection are read by their author only: not the partner,
not another circle member, not a coordinator, not a stranger, not another tenant, by
any page of the log area. A feedback comment is read by its author and the coach it is
for. Shared notes are read by the pair's members, current or former, never by the
program team.
"""

import pytest
from django_scopes import scope

from programs.models import MatchMember
from sessions.models import Feedback, PrivateNote, Reflection
from sessions.selectors.log import feedback_ratings, held_for_matches
from sessions.services.log import feedback_give, reflection_save
from tests.sessions.conftest import pair_make, person

from .test_log_support import count, held, log_post, rows, upcoming, url

pytestmark = pytest.mark.django_db

NOTE = "PRIVATE-NOTE-zebra-4711"
REFLECTION = "REFLECTION-okapi-2209"
COMMENT = "COMMENT-narwhal-5150"
SHARED = "SHARED-NOTES-heron-8086"

PAGES = ("detail", "log_scheduled", "feedback", "reflection")


def pages_for(client, session, pair):
    """Every page of the log area about this session or its pair, as this client sees it."""
    answers = [client.get(url(name, session.pk)) for name in PAGES]
    answers.append(client.get(url("log", pair.match.pk)))
    answers.append(client.get(url("checklist", pair.match.pk)))
    return answers


def text_of(answers):
    return "".join(
        r.content.decode(errors="replace") for r in answers if not getattr(r, "streaming", False)
    )


@pytest.fixture
def written(pair):
    """A held reciprocal session with the participant's private note and reflection, and
    the participant's feedback for the partner."""
    session = held(pair, private_note=NOTE, shared_notes=SHARED)
    with scope(organization=pair.program.organization):
        session.organization = pair.program.organization
        reflection_save(session=session, author=pair.me, body=REFLECTION)
        feedback_give(session=session, author=pair.me, rating=4, comment=COMMENT)
    return session


def test_the_author_reads_their_private_note_and_reflection(written, pair, client_for):
    client = client_for(pair.me)
    page = client.get(url("detail", written.pk)).content.decode()
    assert NOTE in page and REFLECTION in page and SHARED in page
    assert COMMENT in page  # the feedback they gave
    assert REFLECTION in client.get(url("reflection", written.pk)).content.decode()
    assert NOTE in client.get(url("log_scheduled", written.pk)).content.decode()


def test_the_partner_reads_shared_notes_and_feedback_for_them_but_no_private_text(
    written, pair, client_for
):
    client = client_for(pair.partner)
    answers = pages_for(client, written, pair)
    assert all(r.status_code in (200, 302) for r in answers)
    text = text_of(answers)
    assert NOTE not in text and REFLECTION not in text
    detail = answers[0].content.decode()
    assert SHARED in detail
    assert COMMENT in detail  # the partner was the coach this feedback is for


def test_the_partner_cannot_overwrite_or_read_the_note_by_posting(written, pair, client_for):
    client = client_for(pair.partner)
    response = client.post(
        url("private_note", written.pk), {"body": "mine"}, headers={"HX-Request": "true"}
    )
    assert NOTE not in response.content.decode()
    notes = {n.author_id: n.body for n in rows(PrivateNote, session=written)}
    assert notes == {pair.me.pk: NOTE, pair.partner.pk: "mine"}


@pytest.mark.parametrize("actor", ["coordinator", "stranger"])
def test_coordinators_and_strangers_get_404_on_every_page(
    written, pair, client_for, actor, request
):
    client = client_for(request.getfixturevalue(actor))
    answers = pages_for(client, written, pair)
    answers += [
        client.get(url("prepare", written.pk)),
        client.post(url("private_note", written.pk), {"body": "x"}),
        client.post(url("feedback", written.pk), {"rating": "5"}),
        client.post(url("reflection", written.pk), {"body": "x"}),
        client.post(url("checklist", pair.match.pk), {"items": ["logistics"]}),
        client.post(url("log_scheduled", written.pk), log_post(pair)),
    ]
    assert [r.status_code for r in answers] == [404] * len(answers)
    text = text_of(answers)
    for secret in (NOTE, REFLECTION, COMMENT, SHARED):
        assert secret not in text
    assert count(PrivateNote) == 1 and count(Reflection) == 1 and count(Feedback) == 1


@pytest.mark.parametrize("actor", ["other_coordinator", "other_participant"])
def test_another_tenant_gets_404_through_either_organisation(
    written, pair, client_for, actor, request, other_org
):
    client = client_for(request.getfixturevalue(actor))
    for org_slug in ("acme", other_org.slug):
        for name in PAGES:
            response = client.get(url(name, written.pk, org_slug=org_slug))
            assert response.status_code == 404
            assert NOTE not in response.content.decode()
        response = client.post(url("private_note", written.pk, org_slug=org_slug), {"body": "x"})
        assert response.status_code == 404
    assert count(PrivateNote) == 1


def test_another_pair_cannot_reach_the_session(written, org, stranger, client_for):
    other = pair_make(org, stranger)
    client = client_for(stranger)
    assert client.get(url("detail", written.pk)).status_code == 404
    # Their own pair's pages say nothing of ours.
    text = text_of([client.get(url("log", other.match.pk))])
    assert NOTE not in text and SHARED not in text


def test_circle_members_never_read_each_others_notes_or_reflections(circle, client_for):
    first, second, third, _fourth = circle.people
    session = held(circle, private_note=NOTE)
    with scope(organization=circle.program.organization):
        session.organization = circle.program.organization
        reflection_save(session=session, author=first, body=REFLECTION)
    for member in (second, third):
        text = text_of(pages_for(client_for(member), session, circle))
        assert NOTE not in text and REFLECTION not in text


def test_former_members_still_read_shared_notes_but_only_their_own_private_note(
    written, pair, client_for
):
    with scope(organization=pair.program.organization):
        MatchMember.objects.filter(match=pair.match, user=pair.partner).update(is_current=False)
    page = client_for(pair.partner).get(url("detail", written.pk)).content.decode()
    assert SHARED in page and NOTE not in page and REFLECTION not in page


def test_coordinator_signals_carry_ratings_only(written, pair, org):
    with scope(organization=org):
        ratings = feedback_ratings(organization=org, program=pair.program)
        held_rows = held_for_matches(organization=org, match_ids=[pair.match.pk])
    assert ratings == [
        {
            "rating": 4,
            "created_at": ratings[0]["created_at"],
            "session_id": written.pk,
            "match_id": pair.match.pk,
        }
    ]
    assert held_rows[pair.match.pk]["count"] == 1
    assert held_rows[pair.match.pk]["last"].pk == written.pk


def test_no_page_of_the_area_shows_preparation_or_notes_of_a_scheduled_session_to_outsiders(
    pair, client_for, coordinator
):
    pair.program.session_preparation = True
    pair.program.save()
    session = upcoming(pair)
    client_for(pair.me).post(
        url("private_note", session.pk), {"body": NOTE}
    )  # a note before the session
    client_for(pair.me).post(url("prepare", session.pk), {"purpose": SHARED})
    partner_page = client_for(pair.partner).get(url("detail", session.pk)).content.decode()
    assert SHARED in partner_page and NOTE not in partner_page  # the pair reads preparation
    coordinator_client = client_for(coordinator)
    for name in ("detail", "prepare"):
        response = coordinator_client.get(url(name, session.pk))
        assert response.status_code == 404 and SHARED not in response.content.decode()


def test_feedback_ratings_stay_within_the_program_and_the_tenant(written, pair, org, other_org):
    other_program_pair = pair_make(org, person(org, "someone-else@acme.example.org"))
    session = held(other_program_pair)
    with scope(organization=org):
        session.organization = org
        feedback_give(session=session, author=other_program_pair.partner, rating=2)
        mine = feedback_ratings(organization=org, program=pair.program)
    assert [row["rating"] for row in mine] == [4]
    with scope(organization=other_org):
        assert feedback_ratings(organization=other_org, program=pair.program) == []
