"""N+1 guards: list and dashboard pages run as many queries for 20 items as for 1.

Each case grows the page's lists (members, invitations, the person's memberships) from
a few to 20, counts the queries of one request at each size and compares them. A small
absolute bound per page keeps a constant-but-growing page from going unnoticed; raise
it only together with the reason in the commit.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scope

from peercoach.accounts.models import Invitation
from peercoach.tenancy.models import Membership, Organization

from .factories import InvitationFactory, MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

SMALL, LARGE = 1, 20


def count_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, f"GET {url} answered {response.status_code}"
    return captured, response


def describe(captured):
    return "\n".join(f"  {q['sql']}" for q in captured.captured_queries)


def grow_members(org, n):
    """Participants in `org` until there are `n` of them made here."""
    with scope(organization=org):
        have = Membership.objects.filter(user__email__startswith="member").count()
        for i in range(have, n):
            MembershipFactory(
                organization=org, user=UserFactory(email=f"member{i:02}@acme.example.org")
            )


def grow_invitations(org, n, *, invited_by):
    with scope(organization=org):
        for i in range(Invitation.objects.count(), n):
            InvitationFactory(
                organization=org, email=f"invitee{i:02}@example.org", invited_by=invited_by
            )


def grow_organisations(n, *, user, org=None):
    """Make `user` a participant of `n` organisations in all."""
    for i in range(Organization.objects.filter(memberships__user=user).count(), n):
        extra = OrganizationFactory(slug=f"extra-{i:02}", name=f"Extra {i:02}")
        with scope(organization=extra):
            MembershipFactory(organization=extra, user=user)


def grow_people_and_invitations(n, *, org, user):
    grow_members(org, n)
    grow_invitations(org, n, invited_by=user)


def grow_members_and_organisations(n, *, org, user):
    grow_members(org, n)
    grow_organisations(n, user=user)


@dataclass(frozen=True)
class Page:
    who: str  # the fixture that signs in
    url_name: str
    grow: Callable  # grow(n, org=..., user=...) makes the page's lists n long
    shows: Callable  # shows(n) -> what the page contains once its lists are n long
    bound: int  # the most queries the page may run
    small: int = SMALL


PAGES = {
    "tenancy:home coordinator": Page(
        who="coordinator",
        url_name="tenancy:home",
        grow=grow_people_and_invitations,
        shows=lambda n: (f'data-testid="participant-count">{n}<'.encode(),),
        bound=10,  # 8 today: session, user, membership, two-factor check, three counts, switcher
    ),
    "tenancy:home participant": Page(
        who="participant",
        url_name="tenancy:home",
        grow=grow_members_and_organisations,
        # The organisation switcher lists every membership of the person.
        shows=lambda n: (f"Extra {n - 1:02}".encode(),),
        bound=6,  # 4 today: session, user, membership, switcher
    ),
    "accounts:people": Page(
        who="coordinator",
        url_name="accounts:people",
        grow=grow_people_and_invitations,
        shows=lambda n: (
            f"member{n - 1:02}@acme.example.org".encode() + b"</td>",
            f"invitee{n - 1:02}@example.org".encode() + b"</td>",
        ),
        # 8 today: session, user, membership, two-factor check, count, members, switcher,
        # invitations.
        bound=10,
    ),
    "home chooser": Page(
        who="participant",
        url_name="home",
        grow=grow_organisations,
        shows=lambda n: (f"Extra {n - 1:02}".encode(),),
        bound=6,  # 4 today: session, user, the chooser's list, the switcher's
        small=2,  # with one organisation the landing redirects instead of listing
    ),
}


def url_for(page, org):
    if page.url_name == "home":
        return reverse("home")
    return reverse(page.url_name, kwargs={"org_slug": org.slug})


@pytest.mark.parametrize("page_name", list(PAGES))
def test_page_queries_do_not_grow_with_its_lists(page_name, request, org, client_for):
    page = PAGES[page_name]
    user = request.getfixturevalue(page.who)
    client = client_for(user)
    url = url_for(page, org)
    page.grow(page.small, org=org, user=user)
    count_queries(client, url)  # warm-up: first-request caches are not what is measured

    small, _ = count_queries(client, url)
    page.grow(LARGE, org=org, user=user)
    large, response = count_queries(client, url)

    for text in page.shows(LARGE):
        assert text in response.content, f"{page_name} does not show {text!r}"
    assert len(large) == len(small), (
        f"{page_name}: {len(small)} queries with {page.small} item(s), "
        f"{len(large)} with {LARGE}:\n" + describe(large)
    )
    assert len(large) <= page.bound, (
        f"{page_name}: {len(large)} queries, more than the bound {page.bound}:\n" + describe(large)
    )
