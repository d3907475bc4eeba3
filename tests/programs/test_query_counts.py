"""N+1 guards for the application list and the pairing pages: 1 item vs 50, same count."""

import pytest
from django.urls import reverse
from django_scopes import scope

from programs.models import Match
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    ProgramFactory,
    QuestionFactory,
    UserFactory,
    match_make,
)
from tests.test_query_counts import count_queries, describe

pytestmark = pytest.mark.django_db

SMALL, LARGE = 1, 50


@pytest.fixture
def program(org):
    with scope(organization=org):
        program = ProgramFactory(organization=org)
        QuestionFactory(program=program, kind="group", label="Group", options=["A", "B"])
    return program


def grow(program, n, *, start):
    """`n` more people with an accepted application each; returns their users."""
    org = program.organization
    with scope(organization=org):
        users = [UserFactory(email=f"q{start + i:03}@acme.example.org") for i in range(n)]
        for i, user in enumerate(users):
            MembershipFactory(organization=org, user=user)
            ApplicationFactory(program=program, user=user, group="AB"[i % 2])
    return users


def grow_applications(program, n, state):
    grow(program, n - state.get("people", 0), start=state.get("people", 0))
    state["people"] = n


def grow_matches(program, n, state):
    """`n` proposed pairs, `n` published ones, and `n` people waiting."""
    have = state.get("matches", 0)
    users = grow(program, 5 * (n - have), start=5 * have)
    with scope(organization=program.organization):
        for i in range(0, len(users), 5):
            match_make(program=program, users=users[i : i + 2])
            match_make(program=program, users=users[i + 2 : i + 4], status=Match.Status.ACTIVE)
    state["matches"] = n


# url name -> (grow, what the page shows at LARGE, the most queries it may run)
PAGES = {
    "programs:applications": (grow_applications, [b"q049@acme.example.org</td>"], 11),  # 9 today
    "programs:pairing": (
        grow_matches,
        [b"50 proposals", b"50 people waiting", b'data-testid="proposal-card"'],
        14,  # 12 today: session four, program, run, proposals, members, pool, ended, counts, nav
    ),
    "programs:matches": (grow_matches, [b"Published (50)"], 12),  # 10 today
}


@pytest.mark.parametrize("url_name", list(PAGES))
def test_page_queries_do_not_grow(url_name, program, coordinator, client_for):
    grow_page, shows, bound = PAGES[url_name]
    client = client_for(coordinator)
    url = reverse(url_name, kwargs={"org_slug": program.organization.slug, "pk": program.pk})
    state = {}
    grow_page(program, SMALL, state)
    count_queries(client, url)  # warm-up

    small, _ = count_queries(client, url)
    grow_page(program, LARGE, state)
    large, response = count_queries(client, url)

    for text in shows:
        assert text in response.content, f"{url_name} does not show {text!r}"
    assert len(large) == len(small), (
        f"{url_name}: {len(small)} queries with {SMALL} item(s), {len(large)} with {LARGE}:\n"
        + describe(large)
    )
    assert len(large) <= bound, f"{url_name}: {len(large)} queries:\n" + describe(large)
