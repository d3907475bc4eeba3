"""N+1 guards for the log area: the session page of a circle of 8 runs as many queries
with 2 attendees, 1 topic and 1 feedback entry as with 8 attendees, 20 topics, 8
feedback entries and 8 preparations; the log form and the checklist do not grow with
the circle either."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from programs.models import Program
from sessions.models import Preparation
from sessions.selectors.log import held_for_matches
from sessions.services.log import Slot, checklist_save, feedback_give
from tests.sessions.conftest import pair_make, person
from tests.test_query_counts import count_queries, describe

from .test_log_support import held, url

pytestmark = pytest.mark.django_db

BOUND = 16
# The session page of the grown circle: session, user, membership, the session with its
# pair, program and who logged it, my member row, parts, feedback, members, my private
# note, my reflection, preparations, switcher. 13 before issue 18 (who logged it was a
# query of its own).
SESSION_PAGE_BOUND = 12
TOPICS = [f"Topic {i:02}" for i in range(20)]


@pytest.fixture
def big_circle(org, participant):
    return pair_make(
        org,
        participant,
        format=Program.Format.CIRCLE,
        size=8,
        min_minutes_each=10,
        session_preparation=True,
        session_topics="\n".join(TOPICS),
    )


def _grow(circle, session, attendees, topics):
    org = circle.program.organization
    people = circle.people[:attendees]
    held_again = held(
        circle,
        session=session,
        duration=160,
        slots=[Slot(user_id=p.pk, minutes=20, challenge=f"Challenge {p.pk}") for p in people],
        topics=TOPICS[:topics],
    )
    with scope(organization=org):
        held_again.organization = org
        for p in people:
            feedback_give(session=held_again, author=p, rating=4, comment=f"Comment {p.pk}")
            Preparation.objects.get_or_create(
                organization=org, session=held_again, author=p, defaults={"purpose": f"P {p.pk}"}
            )
    return held_again


def test_session_page_queries_do_not_grow(big_circle, client_for, settings):
    settings.FRAGMENT_CACHE = False  # the pages as built; cached: tests/tenancy/test_pages.py
    session = held(big_circle, duration=160, slots=None, topics=TOPICS[:1])
    _grow(big_circle, session, attendees=2, topics=1)
    client = client_for(big_circle.me)
    address = url("detail", session.pk)
    count_queries(client, address)  # warm-up
    small, _ = count_queries(client, address)
    _grow(big_circle, session, attendees=8, topics=20)
    large, response = count_queries(client, address)
    page = response.content.decode()
    assert "Topic 19" in page and f"Comment {big_circle.people[7].pk}" in page
    assert page.count('data-testid="preparation"') == 8
    assert len(large) == len(small), (
        f"{len(small)} queries before, {len(large)} after growing:\n" + describe(large)
    )
    assert len(large) <= SESSION_PAGE_BOUND, f"{len(large)} queries:\n" + describe(large)


def _circle_with_ticks(org, first, *, size, tickers):
    """A circle of `size` where `tickers` members each ticked one checklist item."""
    circle = pair_make(org, first, format=Program.Format.CIRCLE, size=size)
    items = ["confidentiality", "expectations", "logistics", "goals_set"]
    with scope(organization=org):
        for member, item in zip(circle.people[:tickers], items, strict=False):
            checklist_save(match=circle.match, user=member, ticked=[item], seen=[])
    return circle


@pytest.mark.parametrize("name", ["log", "checklist"])
def test_pair_pages_do_not_grow_with_the_circle(org, participant, stranger, client_for, name):
    small_circle = _circle_with_ticks(org, participant, size=3, tickers=1)
    large_circle = _circle_with_ticks(org, stranger, size=8, tickers=4)
    held(small_circle)
    held(large_circle, duration=160)
    client = client_for(participant)
    count_queries(client, url(name, small_circle.match.pk))  # warm-up
    small, _ = count_queries(client, url(name, small_circle.match.pk))
    client = client_for(stranger)
    large, response = count_queries(client, url(name, large_circle.match.pk))
    assert len(large) == len(small), (
        f"{len(small)} queries for a circle of 3, {len(large)} for 8:\n" + describe(large)
    )
    assert len(large) <= BOUND, f"{len(large)} queries:\n" + describe(large)


def test_held_for_matches_takes_two_queries_for_any_number_of_pairs(org, participant, stranger):
    pairs = [pair_make(org, participant), pair_make(org, stranger)]
    pairs += [pair_make(org, person(org, f"p{i}@acme.example.org")) for i in range(4)]
    latest = {}
    for index, pair in enumerate(pairs[:5]):
        for days_ago in range(index + 1):
            session = held(pair, days_ago=days_ago + 1)
            latest.setdefault(pair.match.pk, session.pk)  # days_ago=1 comes first: the latest
    with scope(organization=org), CaptureQueriesContext(connection) as captured:
        found = held_for_matches(organization=org, match_ids=[p.match.pk for p in pairs])
    assert len(captured) == 2
    assert [found[p.match.pk]["count"] for p in pairs] == [1, 2, 3, 4, 5, 0]
    assert {k: v["last"].pk for k, v in found.items() if v["last"]} == latest
    assert found[pairs[5].match.pk]["last"] is None
