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

from .factories import (
    ApplicationFactory,
    InvitationFactory,
    MembershipFactory,
    OrganizationFactory,
    ProgramEventFactory,
    ProgramFactory,
    QuestionFactory,
    ResourceFactory,
    UserFactory,
    match_make,
)

pytestmark = pytest.mark.django_db

SMALL, LARGE = 1, 20


def count_queries(client, url, *, cold=True):
    """The queries of one GET. `cold`: with the cache emptied first, so that a page whose
    content is cached on the organisation's version stamp (peercoach.tenancy.stamps) is
    counted building it; its warm count is pinned next to the page's tests."""
    if cold:
        from django.core.cache import cache

        cache.clear()
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


# --- Programs: set-up pages ------------------------------------------------------------


def counted_program(org):
    """The one program whose own page is counted (made on first use)."""
    from programs.models import Program

    with scope(organization=org):
        program = Program.objects.filter(name="Counted program").first()
        return program or ProgramFactory(organization=org, name="Counted program")


def counted_program_kwargs(org):
    return {"org_slug": org.slug, "pk": counted_program(org).pk}


def _programs_grown(org):
    from programs.models import Program

    return Program.objects.filter(name__startswith="Grown program").count()


def grow_programs(n, *, org, user):
    """Programs up to `n`, each with two applications (one awaiting a decision) and an
    active pair, for the coordinator's lists."""
    with scope(organization=org):
        for i in range(_programs_grown(org), n):
            program = ProgramFactory(organization=org, name=f"Grown program {i:02}")
            a, b = UserFactory(), UserFactory()
            ApplicationFactory(program=program, user=a)
            ApplicationFactory(program=program, user=b, status="submitted")
            match_make(program=program, users=[a, b], status="active")


def grow_my_programs(n, *, org, user):
    """Programs up to `n` that `user` applied to and has an active partner in."""
    with scope(organization=org):
        for i in range(_programs_grown(org), n):
            program = ProgramFactory(organization=org, name=f"Grown program {i:02}")
            partner = UserFactory(first_name="Partner", last_name=f"{i:02}")
            ApplicationFactory(program=program, user=user)
            match_make(program=program, users=[user, partner], status="active")


def grow_program_contents(n, *, org, user):
    """Events, resources, questions, applications and active pairs of the counted program."""
    program = counted_program(org)
    with scope(organization=org):
        have = program.events.count()
        for i in range(have, n):
            ProgramEventFactory(program=program, title=f"Event {i:02}")
            ResourceFactory(program=program, title=f"Guide {i:02}")
            QuestionFactory(program=program, label=f"Question {i:02}")
            a, b = UserFactory(), UserFactory()
            ApplicationFactory(program=program, user=a, status="submitted")
            ApplicationFactory(program=program, user=b, status="waitlisted")
            match_make(program=program, users=[a, b], status="active")


def grow_form(n, *, org, user):
    """Questions of several kinds on the counted program's form."""
    program = counted_program(org)
    kinds = [
        {"kind": "text"},
        {"kind": "choice", "options": ["Yes", "No", "Maybe"]},
        {"kind": "trait", "scale_low_label": "Calm", "scale_high_label": "Lively"},
    ]
    with scope(organization=org):
        for i in range(program.questions.count(), n):
            QuestionFactory(program=program, label=f"Question {i:02}", **kinds[i % len(kinds)])


def grow_program_page_for_participant(n, *, org, user):
    """Events and resources of the counted program, and the participant's own pair in it."""
    program = counted_program(org)
    with scope(organization=org):
        if not program.matches.exists():
            ApplicationFactory(program=program, user=user)
            match_make(program=program, users=[user, UserFactory()], status="active")
        for i in range(program.events.count(), n):
            ProgramEventFactory(program=program, title=f"Event {i:02}")
            ResourceFactory(program=program, title=f"Guide {i:02}")


@dataclass(frozen=True)
class Page:
    who: str  # the fixture that signs in
    url_name: str
    grow: Callable  # grow(n, org=..., user=...) makes the page's lists n long
    shows: Callable  # shows(n) -> what the page contains once its lists are n long
    bound: int  # the most queries the page may run
    small: int = SMALL
    kwargs: Callable | None = None  # kwargs(org) -> reverse() kwargs, when not just the tenant


def grow_email_domains(n, *, org, user):
    """Claimed email domains of `org` until there are `n`, every other one confirmed."""
    from django.utils import timezone

    from peercoach.sso.models import EmailDomain

    with scope(organization=org):
        have = EmailDomain.objects.count()
        for i in range(have, n):
            EmailDomain.objects.create(
                organization=org,
                domain=f"d{i:02}.example.org",
                confirmed_at=timezone.now() if i % 2 else None,
                confirmed_by=user if i % 2 else None,
            )


PAGES = {
    "workspace:home coordinator": Page(
        who="coordinator",
        url_name="workspace:home",
        grow=grow_people_and_invitations,
        shows=lambda n: (f'data-testid="participant-count">{n}<'.encode(),),
        # 9 today: session, user, membership, two-factor check, member counts, invitation
        # count, current programs with their counts (the to-do list uses them: 10 before
        # issue 18, when it read them again), switcher, and the to-do list's concern
        # handlers (with programs it reads their opt-outs, people waiting and pairs at
        # risk too: tests/workspace/test_todo.py counts those).
        bound=11,
    ),
    "portal:home participant": Page(
        who="participant",
        url_name="portal:home",
        grow=grow_members_and_organisations,
        # The organisation switcher lists every membership of the person.
        shows=lambda n: (f"Extra {n - 1:02}".encode(),),
        # 8 today (counted cold): session, user, the person's memberships (the tenant
        # middleware's and the switcher's), and the programs, the person's applications,
        # active pairs, past pairs (their members are one more query once there are any:
        # see "portal:home participant programs") and open surveys.
        bound=10,
    ),
    "portal:home participant programs": Page(
        who="participant",
        url_name="portal:home",
        grow=grow_my_programs,
        shows=lambda n: (f"Grown program {n - 1:02}".encode(), f"Partner {n - 1:02}".encode()),
        # 23 today: session, user, memberships (with the switcher's), my applications,
        # programs, active pairs,
        # their members, their agreements, upcoming sessions, held counts, last held
        # session, pauses, goals, the reports due and next (memberships, programs, signed
        # agreements, reports, pauses: sessions.selectors.reports.reports_next), the
        # reminders turned off (for the next reminder), events, resources, past pairs, open
        # surveys. None grows with the pairs (tests/sessions/test_home.py). Counted cold:
        # once cached, 3 (tests/portal/test_home.py).
        bound=25,
    ),
    # --- programs: setup ---
    "programs:list coordinator": Page(
        who="coordinator",
        url_name="programs:list",
        grow=grow_programs,
        shows=lambda n: (f"Grown program {n - 1:02}".encode(),),
        # 6 today: session, user, membership, two-factor check, programs with their counts
        # (subqueries in the same query), switcher.
        bound=8,
    ),
    "programs:list participant": Page(
        who="participant",
        url_name="programs:list",
        grow=grow_my_programs,
        shows=lambda n: (f"Grown program {n - 1:02}".encode(),),
        bound=8,  # 6 today: session, user, membership, programs, my applications, switcher
    ),
    "programs:detail coordinator": Page(
        who="coordinator",
        url_name="programs:detail",
        kwargs=counted_program_kwargs,
        grow=grow_program_contents,
        shows=lambda n: (
            f"Event {n - 1:02}".encode(),
            f"Guide {n - 1:02}".encode(),
            f'data-testid="applications-waitlisted">{n}<'.encode(),
            f'data-testid="question-count">{n} questions<'.encode(),
        ),
        # 9 today: session, user, membership, two-factor check, program, its counts,
        # events, resources, switcher.
        bound=11,
    ),
    "programs:detail participant": Page(
        who="participant",
        url_name="programs:detail",
        kwargs=counted_program_kwargs,
        grow=grow_program_page_for_participant,
        shows=lambda n: (f"Event {n - 1:02}".encode(), f"Guide {n - 1:02}".encode()),
        # 10 today: session, user, membership, program, events, resources, my application,
        # my pair and its members, switcher.
        bound=12,
    ),
    "programs:form": Page(
        who="coordinator",
        url_name="programs:form",
        kwargs=counted_program_kwargs,
        grow=grow_form,
        shows=lambda n: (f"Question {n - 1:02}".encode(),),
        # 7 today: session, user, membership, two-factor check, program, questions, switcher
        # (the preview is built from the same questions).
        bound=9,
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
    "workspace:sign_in_settings": Page(
        who="coordinator",
        url_name="workspace:sign_in_settings",
        grow=grow_email_domains,
        shows=lambda n: (f"d{n - 1:02}.example.org</th>".encode(),),
        # 6 today: session, user, membership, two-factor check, the provider, the email
        # domains.
        bound=8,
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
    if page.kwargs is not None:
        return reverse(page.url_name, kwargs=page.kwargs(org))
    return reverse(page.url_name, kwargs={"org_slug": org.slug})


@pytest.mark.parametrize("page_name", list(PAGES))
def test_page_queries_do_not_grow_with_its_lists(page_name, request, org, client_for, settings):
    settings.FRAGMENT_CACHE = False  # the pages as built; cached: tests/tenancy/test_pages.py
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
