"""The dashboard runs as many queries for 50 pairs as for 1, and for a pair with many
sessions as with one: filtered or not, with every kind of activity to read."""

import hashlib
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from agreements.models import Agreement, Signature
from programs.models import Application, Program
from sessions.models import Feedback, OptOut, Pause, ProgressReport, Session
from sessions.services.endings import opt_out_give
from tests.agreements.conftest import template_make
from tests.factories import ApplicationFactory, ProgramFactory
from tests.notifications.test_rules import make_pair
from tests.sessions.conftest import person
from tests.test_query_counts import count_queries, describe

pytestmark = pytest.mark.django_db

SMALL, LARGE = 1, 50
# 26 today: session, user, membership, two-factor check, program, filter options; the
# funnel: participants, invitations, applications, people, pairs, opted-out people; the
# pairs at risk: pairs, members, pauses, signed agreements, last sessions, reports, open
# agreements, their signatures, latest ratings; sessions per day, opt-outs by reason,
# ratings by period, nudged today, switcher. (One more, once per process, for signed
# agreement texts it has not read yet: the warm-up request reads them.)
BOUND = 28


@pytest.fixture
def program(org):
    today = timezone.localdate(timezone=org.tzinfo)
    with scope(organization=org):
        program = ProgramFactory(
            organization=org,
            name="Counted term",
            status=Program.Status.RUNNING,
            cadence_days=14,
            term_start=today - timedelta(days=90),
            term_end=today + timedelta(days=90),
        )
        program.template = template_make(program)
    return program


def grow(org, program, n):
    """Pairs up to `n` in `program`, each with applications (three groups), a held session
    with feedback, a report, a scheduled session and an agreement; some paused, some with
    an agreement left unsigned, some opted out."""
    today = timezone.localdate(timezone=org.tzinfo)
    with scope(organization=org):
        have = Application.objects.filter(program=program).count() // 2
    for i in range(have, n):
        first = person(org, f"q{i:02}@acme.example.org")
        pair = make_pair(org, first, published=today - timedelta(days=40), program=program)
        with scope(organization=org):
            for k, user in enumerate(pair.people):
                ApplicationFactory(
                    program=program, user=user, group=f"Group {(i + k) % 3}", community="All"
                )
            held = Session.objects.create(
                organization=org,
                program=program,
                match=pair.match,
                status=Session.Status.HELD,
                starts_at=timezone.now() - timedelta(days=30 - i % 20),
                time_zone=org.time_zone,
                duration_minutes=60,
            )
            Session.objects.create(
                organization=org,
                program=program,
                match=pair.match,
                status=Session.Status.SCHEDULED,
                starts_at=timezone.now() + timedelta(days=3),
                time_zone=org.time_zone,
                duration_minutes=60,
            )
            Feedback.objects.create(
                organization=org,
                session=held,
                author=pair.partner,
                coach=pair.me,
                rating=1 + i % 5,
            )
            ProgressReport.objects.create(
                organization=org,
                match=pair.match,
                program=program,
                author=pair.me,
                period=1,
                period_end=today,
                working="yes",
                beneficial="yes",
                rating=1 + i % 5,
            )
            if i % 4 == 1:
                Pause.objects.create(
                    organization=org,
                    match=pair.match,
                    requested_by=pair.me,
                    starts_on=today - timedelta(days=1),
                    ends_on=today + timedelta(days=10),
                )
            signed = i % 2 == 1  # the first pair has an open one: every query runs at 1 too
            text = f'{{"items": [], "pair": {pair.match.pk}}}'
            agreement = Agreement.objects.create(
                organization=org,
                match=pair.match,
                program=program,
                template=program.template,
                status=Agreement.Status.SIGNED if signed else Agreement.Status.OPEN,
                signed_content=text if signed else "",
                content_sha256=hashlib.sha256(text.encode()).hexdigest() if signed else "",
            )
            Agreement.objects.filter(pk=agreement.pk).update(
                created_at=timezone.now() - timedelta(days=20)
            )
            Signature.objects.create(
                organization=org,
                agreement=agreement,
                signer=pair.me,
                typed_name="Signer",
                consent_text="I agree.",
                intent_text="I sign.",
                content_sha256="0" * 64,
                signed_at=timezone.now(),
            )
            if i % 7 == 3:
                opt_out_give(
                    match=pair.match, user=pair.partner, reason=OptOut.Reason.MISMATCH, notice="x"
                )


def counted(client, url):
    count_queries(client, url)  # warm-up: signed texts new to this process are read once
    return count_queries(client, url)


@pytest.mark.parametrize("query", ["", "?group=Group+1", "?community=All&page=2"])
def test_dashboard_queries_do_not_grow_with_the_pairs(org, coordinator, program, client_for, query):
    client = client_for(coordinator)
    url = reverse("workspace:dashboard", kwargs={"org_slug": "acme", "pk": program.pk}) + query
    grow(org, program, SMALL)
    small, _ = counted(client, url)
    grow(org, program, LARGE)
    large, response = counted(client, url)

    html = response.content.decode()
    assert 'data-testid="funnel-paired-pairs"' in html
    if not query:
        assert f'data-testid="funnel-applied-people">{2 * LARGE}<' in html
        assert html.count('data-testid="risk-row"') == 25  # a page of them
    assert len(large) == len(small), (
        f"{len(small)} queries with {SMALL} pair, {len(large)} with {LARGE}:\n" + describe(large)
    )
    assert len(large) <= BOUND, describe(large)


def test_dashboard_queries_do_not_grow_with_the_sessions(org, coordinator, program, client_for):
    client = client_for(coordinator)
    url = reverse("workspace:dashboard", kwargs={"org_slug": "acme", "pk": program.pk})
    grow(org, program, 2)
    few, _ = counted(client, url)
    with scope(organization=org):
        match = program.matches.first()
        for day in range(60):
            session = Session.objects.create(
                organization=org,
                program=program,
                match=match,
                status=Session.Status.HELD,
                starts_at=timezone.now() - timedelta(days=day, hours=1),
                time_zone=org.time_zone,
                duration_minutes=60,
            )
            Feedback.objects.create(
                organization=org, session=session, author=match.members.first().user, rating=3
            )
    many, response = counted(client, url)

    assert len(many) == len(few), describe(many)
    assert b"62 sessions held by 2 pairs" in response.content
