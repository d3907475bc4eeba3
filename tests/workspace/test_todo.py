"""The coordinator home as a to-do list (workspace.selectors.todo): each item with its count
and the page that resolves it, concerns only for handlers, who handles concerns, and as
many queries for three programs with many pairs as for one program with one pair."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from agreements.models import Agreement
from peercoach.tenancy.models import Membership
from programs.models import Application, Program
from sessions.models import Concern, ConcernAccess, OptOut
from sessions.services.endings import opt_out_give
from tests.agreements.conftest import template_make
from tests.factories import ApplicationFactory, ProgramFactory
from tests.notifications.test_rules import make_pair
from tests.sessions.conftest import person
from tests.test_query_counts import count_queries, describe

pytestmark = pytest.mark.django_db


def home(org):
    return reverse("workspace:home", kwargs={"org_slug": org.slug})


def handles_concerns(org, user, value=True):
    with scope(organization=org):
        Membership.objects.filter(organization=org, user=user).update(handles_concerns=value)


def running(org, name, **kw):
    today = timezone.localdate(timezone=org.tzinfo)
    with scope(organization=org):
        program = ProgramFactory(
            organization=org,
            name=name,
            status=Program.Status.RUNNING,
            cadence_days=14,
            term_start=today - timedelta(days=120),
            term_end=today + timedelta(days=120),
            **kw,
        )
        program.template = template_make(program)
        return program


def busy(org, program, n, tag):
    """`n` pairs in `program`, each behind (no session for 40 days, no report, agreement
    unsigned for ten days), one opt-out, one person waiting for a partner."""
    today = timezone.localdate(timezone=org.tzinfo)
    pairs = []
    for i in range(n):
        first = person(org, f"{tag}{i:02}@acme.example.org")
        pair = make_pair(org, first, published=today - timedelta(days=40), program=program)
        with scope(organization=org):
            agreement = Agreement.objects.create(
                organization=org,
                match=pair.match,
                program=program,
                template=program.template,
                status=Agreement.Status.OPEN,
            )
            Agreement.objects.filter(pk=agreement.pk).update(
                created_at=timezone.now() - timedelta(days=10)
            )
        pairs.append(pair)
    with scope(organization=org):
        opt_out_give(
            match=pairs[-1].match,
            user=pairs[-1].people[0],
            reason=OptOut.Reason.NO_TIME,
            notice="notice-sentinel-todo",
        )
        ApplicationFactory(
            program=program,
            user=person(org, f"{tag}-wait@acme.example.org"),
            status=Application.Status.ACCEPTED,
        )
    return pairs


def concern(org, author, text="concern-sentinel-todo"):
    with scope(organization=org):
        return Concern.objects.create(
            organization=org, author=author, category=Concern.Category.OTHER, body=text
        )


def test_the_home_lists_what_waits_with_counts_and_links(org, coordinator, participant, client_for):
    handles_concerns(org, coordinator)
    program = running(org, "Fortnightly term")
    busy(org, program, 3, "a")
    concern(org, participant)
    opened = concern(org, participant)
    with scope(organization=org):
        ConcernAccess.objects.create(
            organization=org, concern=opened, user=coordinator, action="viewed"
        )

    response = client_for(coordinator).get(home(org))
    assert response.status_code == 200
    page = response.content.decode()
    assert "not part of this version yet" not in page
    rows = response.context["todo"]
    found = {(t.key, t.program.pk if t.program else None): (t.count, t.url) for t in rows}
    base = f"/o/acme/programs/{program.pk}"
    assert found == {
        ("concerns", None): (1, "/o/acme/concerns/"),
        ("opt_outs", program.pk): (1, f"{base}/opt-outs/"),
        ("waiting", program.pk): (1, f"{base}/pairing/"),
        ("agreements", program.pk): (2, f"{base}/agreements/"),
        ("reports", program.pk): (2, f"{base}/reports/"),
        ("at_risk", program.pk): (2, f"{base}/dashboard/#at-risk"),
    }
    for t in rows:
        assert f'href="{t.url}"' in page
    assert 'data-testid="todo-no-handler"' not in page
    assert "Concerns are handled by:" in page
    assert coordinator.display_name in page
    # Counts and names only: nothing anyone wrote.
    assert "sentinel" not in page


def test_concerns_are_counted_only_for_those_who_handle_them(
    org, coordinator, participant, client_for
):
    other = person(org, "boss@acme.example.org")
    with scope(organization=org):
        Membership.objects.filter(organization=org, user=other).update(
            role=Membership.Role.COORDINATOR, handles_concerns=True
        )
    concern(org, participant)

    response = client_for(coordinator).get(home(org))
    assert [t.key for t in response.context["todo"]] == []
    assert 'data-testid="todo-concerns"' not in response.content.decode()
    assert other.display_name in response.content.decode()  # who handles them is said


def test_nobody_handles_concerns_is_a_warning_with_the_way_to_fix_it(org, coordinator, client_for):
    handles_concerns(org, coordinator, False)

    page = client_for(coordinator).get(home(org)).content.decode()
    assert 'data-testid="todo-no-handler"' in page
    assert "/o/acme/settings/#program-team" in page
    assert "Nobody handles concerns at the moment." in page


def test_nothing_to_do_says_so(org, coordinator, client_for):
    handles_concerns(org, coordinator)
    running(org, "Quiet term")

    page = client_for(coordinator).get(home(org)).content.decode()
    assert 'data-testid="todo-empty"' in page


def test_waiting_counts_only_programs_being_paired_or_running(org, coordinator, client_for):
    handles_concerns(org, coordinator)
    open_program = running(org, "Still open")
    with scope(organization=org):
        Program.objects.filter(pk=open_program.pk).update(status=Program.Status.OPEN)
        ApplicationFactory(
            program=open_program,
            user=person(org, "early@acme.example.org"),
            status=Application.Status.ACCEPTED,
        )

    assert client_for(coordinator).get(home(org)).context["todo"] == []


# With programs and a concern handler: session, user, membership, two-factor check,
# member counts, invitation count, the current programs with their counts (read once for
# the list, the to-do list and the pairs at risk), opt-outs, people waiting, the pairs at
# risk (active pairs, members, pauses, signed agreements, last sessions, reported periods,
# unsigned agreements and their signatures, recent ratings), unopened concerns, concern
# handlers, switcher. 23 before issue 18 (the programs were read three times).
CONSOLE_BOUND = 21


def test_the_home_runs_as_many_queries_for_many_programs_as_for_one(
    org, coordinator, participant, client_for, settings
):
    settings.FRAGMENT_CACHE = False  # the pages as built; cached: tests/tenancy/test_pages.py
    handles_concerns(org, coordinator)
    concern(org, participant)
    first = running(org, "First term")
    busy(org, first, 2, "a")  # one pair active, one opted out
    client = client_for(coordinator)
    count_queries(client, home(org))  # warm-up
    small, response = count_queries(client, home(org))
    assert len(response.context["todo"]) == 6

    for name in ("Second term", "Third term"):
        busy(org, running(org, name), 4, name[:2])
    busy(org, first, 5, "b")
    concern(org, participant)
    count_queries(client, home(org))
    large, response = count_queries(client, home(org))
    assert len(response.context["todo"]) == 1 + 3 * 5
    assert len(large) == len(small), describe(large)
    assert len(large) <= CONSOLE_BOUND, f"{len(large)} queries:\n" + describe(large)


def test_waiting_leaves_out_who_opted_out_without_asking_for_a_new_partner(
    org, coordinator, client_for
):
    """The count follows the pairing pool: someone who opted out and asked for no new
    partner is not waiting (issue 15); someone who asked for one is."""
    handles_concerns(org, coordinator)
    program = running(org, "After an opt-out")
    with scope(organization=org):
        for tag, opted_out, wants in (
            ("never-left", None, False),
            ("asked-again", timezone.now(), True),
            ("left-for-good", timezone.now(), False),
        ):
            ApplicationFactory(
                program=program,
                user=person(org, f"{tag}@acme.example.org"),
                status=Application.Status.ACCEPTED,
                opted_out_at=opted_out,
                wants_new_partner=wants,
            )

    rows = client_for(coordinator).get(home(org)).context["todo"]
    assert {(t.key, t.count) for t in rows} == {("waiting", 2)}


def test_a_cached_home_drops_a_concern_once_someone_opened_it(
    org, coordinator, participant, client_for
):
    """The home is cached until the organisation's next write; reading a concern writes
    only its access log, which leaves the stamp alone, so the count is part of the key."""
    handles_concerns(org, coordinator)
    raised = concern(org, participant)
    client = client_for(coordinator)
    assert [t.key for t in client.get(home(org)).context["todo"]] == ["concerns"]
    assert client.get(home(org)).context is None  # from the cache
    with scope(organization=org):
        ConcernAccess.objects.create(
            organization=org, concern=raised, user=coordinator, action="viewed"
        )
    after = client.get(home(org))
    assert after.context is not None and after.context["todo"] == []
