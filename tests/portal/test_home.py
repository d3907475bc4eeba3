"""The participant's home: their pairs at a glance (partners, sessions, goals, reports),
the pairs they left, their programs' events and resources, the surveys waiting for them,
the coordinators sent on to their console, and the query count for 1 and 20 pairs.

(The cadence and reminder rules the cards show are tested with the hub:
tests/sessions/test_home.py, tests/sessions/test_next_reminder.py.)
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from programs.models import MatchMember, Program
from sessions.models import Goal, Plan, Session
from tests.factories import ProgramEventFactory, ResourceFactory
from tests.sessions.conftest import pair_make
from tests.sessions.test_home import home_url, link, published, session_make, signed_agreement
from tests.test_query_counts import LARGE, count_queries, describe

pytestmark = pytest.mark.django_db


def test_a_coordinator_is_sent_to_the_console(org, coordinator, client_for):
    response = client_for(coordinator).get(home_url(org))
    assert response.status_code == 302
    assert response["Location"] == reverse("workspace:home", kwargs={"org_slug": org.slug})


def test_signing_in_lands_each_member_on_their_home(org, coordinator, participant, client_for):
    for user, name in ((coordinator, "workspace:home"), (participant, "portal:home")):
        response = client_for(user).get(reverse("home"))
        assert response["Location"] == reverse(name, kwargs={"org_slug": org.slug})


# --- The participant's home ------------------------------------------------------------------


def test_home_shows_partner_sessions_goals_and_reports(org, pair, client_for):
    published(pair, 45)  # a 30-day reporting period is over: a report is due
    nxt = session_make(pair, status=Session.Status.SCHEDULED, days=2)
    last = session_make(pair, days=-4)
    session_make(pair, status=Session.Status.PROPOSED, days=9, proposed_by=pair.partner)
    with scope(organization=org):
        plan = Plan.objects.create(organization=org, program=pair.program, user=pair.me)
        Goal.objects.create(organization=org, plan=plan, title="Delegate the weekly report")
    content = client_for(pair.me).get(home_url(org)).content
    assert b"Session logs are not part of this version yet" not in content
    assert pair.partner.display_name.encode() in content
    assert link("sessions:pair", org_slug=org.slug, pk=pair.match.pk) in content
    assert (
        nxt.starts_at.astimezone(timezone.get_current_timezone())
        .strftime("%d")
        .lstrip("0")
        .encode()
        in content
    )
    assert link("sessions:detail", org_slug=org.slug, pk=last.pk) in content
    assert b'data-testid="home-waiting"' in content
    assert b"Delegate the weekly report" in content
    assert b'data-testid="home-report-due"' in content
    assert link("sessions:report", org_slug=org.slug, pk=pair.match.pk) in content
    assert link("accounts:my_data", org_slug=org.slug) in content
    assert link("accounts:delete_account", org_slug=org.slug) in content


def test_home_leaves_out_a_circle_the_person_left_and_ended_pairs(org, circle, client_for):
    with scope(organization=org):
        MatchMember.objects.filter(match=circle.match, user=circle.me).update(is_current=False)
    content = client_for(circle.me).get(home_url(org)).content
    assert b'data-testid="pair-card"' not in content


def test_home_shows_upcoming_events_in_the_persons_zone_and_resources(org, pair, client_for):
    me = pair.me
    me.time_zone = "America/New_York"
    me.save(update_fields=["time_zone"])
    starts = timezone.now().replace(microsecond=0) + timedelta(days=10)
    starts = starts.replace(hour=15, minute=30)  # UTC
    with scope(organization=org):
        ProgramEventFactory(program=pair.program, title="Spring debrief", starts_at=starts)
        ProgramEventFactory(
            program=pair.program, title="Old kick-off", starts_at=timezone.now() - timedelta(days=3)
        )
        ResourceFactory(program=pair.program, title="Open questions")
        other = Program.objects.create(
            organization=org,
            name="Someone else's program",
            format=Program.Format.RECIPROCAL,
            status=Program.Status.RUNNING,
            term_start=timezone.localdate(),
            term_end=timezone.localdate() + timedelta(days=90),
        )
        ProgramEventFactory(program=other, title="Not my event", starts_at=starts)
    content = client_for(me).get(home_url(org)).content
    assert b"Spring debrief" in content
    local = starts.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    assert local.strftime("%H:%M").encode() in content  # 10:30 or 11:30, not 15:30
    assert b"Old kick-off" not in content
    assert b"Not my event" not in content
    assert b"Open questions" in content


# --- Query counts ------------------------------------------------------------------------


def grow_home(org, me, n):
    """`me` in n active pairs (one per program), each with a held, a scheduled and a
    proposed session, a goal and an event and a resource."""
    with scope(organization=org):
        have = MatchMember.objects.filter(user=me).count()
    for i in range(have, n):
        p = pair_make(org, me, cadence_days=14)
        published(p, 40)
        session_make(p, days=-3)
        session_make(p, status=Session.Status.SCHEDULED, days=4)
        session_make(p, status=Session.Status.PROPOSED, days=6, proposed_by=p.partner)
        with scope(organization=org):
            p.partner.first_name, p.partner.last_name = "Partner", f"{i:02}"
            p.partner.save()
            plan = Plan.objects.create(organization=org, program=p.program, user=me)
            Goal.objects.create(organization=org, plan=plan, title=f"Goal {i:02}")
            ProgramEventFactory(program=p.program, title=f"Event {i:02}")
            ResourceFactory(program=p.program, title=f"Guide {i:02}")
        if i % 2:
            signed_agreement(p, {me: "1", p.partner: "2"})


def test_home_queries_do_not_grow_with_pairs_sessions_and_goals(org, participant, client_for):
    client = client_for(participant)
    url = home_url(org)
    grow_home(org, participant, 1)
    count_queries(client, url)
    small, _ = count_queries(client, url)
    grow_home(org, participant, LARGE)
    large, response = count_queries(client, url)
    assert f"Partner {LARGE - 1:02}".encode() in response.content
    assert f"Goal {LARGE - 1:02}".encode() in response.content
    assert f"Guide {LARGE - 1:02}".encode() in response.content
    assert len(large) == len(small), describe(large)


def test_home_warm_is_three_queries_and_the_same_for_twenty_pairs(org, participant, client_for):
    """Cached on the version stamp: session, user, the person's memberships (the tenant
    middleware's, and the switcher's); the content
    comes from the cache however many pairs the person has."""
    client = client_for(participant)
    url = home_url(org)
    grow_home(org, participant, LARGE)
    cold, first = count_queries(client, url)
    warm, second = count_queries(client, url, cold=False)
    assert len(warm) == 3, describe(warm)
    assert len(cold) > len(warm)
    main = re.compile(rb"<main.*</main>", re.S)  # outside it, the nonce and CSRF token differ
    assert main.search(second.content)[0] == main.search(first.content)[0]
