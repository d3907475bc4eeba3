"""Coordinators see end-of-session ratings as an activity signal, never the comments."""

import pytest
from django.urls import reverse
from django_scopes import scope

from sessions.services.log import feedback_give
from tests.sessions.conftest import pair_make
from tests.sessions.test_log_support import held
from tests.test_query_counts import count_queries, describe

pytestmark = pytest.mark.django_db


def rate(pair, rating, comment):
    session = held(pair)
    with scope(organization=pair.program.organization):
        feedback_give(session=session, author=pair.partner, rating=rating, comment=comment)


def reports_url(program):
    return reverse(
        "sessions:program_reports",
        kwargs={"org_slug": program.organization.slug, "pk": program.pk},
    )


def test_coordinators_see_ratings_and_never_the_comments(org, pair, coordinator, client_for):
    rate(pair, 4, "A comment meant for the coach only")
    second = pair_make(org, pair.me, program=None)  # another program: not counted here
    rate(second, 1, "Another program's comment")

    page = client_for(coordinator).get(reports_url(pair.program))

    assert page.status_code == 200
    text = page.content.decode()
    assert "1 rating, 4.0 out of 5." in text
    assert "A comment meant for the coach only" not in text
    assert "Another program" not in text


def test_the_ratings_summary_does_not_grow_with_the_feedback(org, pair, coordinator, client_for):
    client = client_for(coordinator)
    rate(pair, 5, "first")
    small, _ = count_queries(client, reports_url(pair.program))
    for n in range(6):
        rate(pair, 1 + n % 5, f"more {n}")
    large, response = count_queries(client, reports_url(pair.program))
    assert "7 ratings" in response.content.decode()
    assert len(large) == len(small), describe(large)


def test_the_cadence_says_whether_it_was_agreed_or_is_the_programs(pair, client_for):
    # No signed agreement: the program's rhythm stands in, and the page says so.
    text = client_for(pair.me).get(f"/o/acme/pairs/{pair.match.pk}/").content.decode()
    assert "the program's rhythm until your agreement is signed" in text
    assert "agreed: " not in text
