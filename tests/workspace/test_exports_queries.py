"""N+1 guards for the exports: the page and every file run as many queries for 50 pairs
as for one, the file read to its end (it is streamed, so its queries run then)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from programs.models import Match, MatchMember, Program
from sessions.models import OptOut, SessionPart
from tests.agreements.conftest import template_make
from tests.factories import ApplicationFactory, ProgramFactory, match_make
from tests.sessions.conftest import person
from tests.test_query_counts import describe

from .test_exports import export_url, held, page_url, report, signed_agreement

pytestmark = pytest.mark.django_db

SMALL, LARGE = 1, 50
# Middleware (session, user, membership, two-factor), the program, the filter choices,
# then the count and audit row (download) or the four counts (page), and the rows.
BOUND = 16


def grow(org, program, n):
    """Pairs (or circles of three) in `program` until there are `n`, each with
    applications, a held session, a report, a signed agreement and an opt-out."""
    size = 3 if program.format == Program.Format.CIRCLE else 2
    role = MatchMember.Role.MEMBER if size == 3 else MatchMember.Role.PARTNER
    with scope(organization=org):
        template = template_make(program) if n == SMALL else None
        have = Match.objects.filter(program=program).count()
        for i in range(have, n):
            users = [person(org, f"q{program.pk}-{i}-{k}@acme.example.org") for k in range(size)]
            for k, user in enumerate(users):
                ApplicationFactory(
                    program=program, user=user, group="Finance" if k else "Sales", community="N"
                )
            match = match_make(
                program=program, users=users, status=Match.Status.ACTIVE, roles=[role] * size
            )
            session = held(match, logged_by=users[0])
            for k, user in enumerate(users):
                SessionPart.objects.create(
                    organization=org, session=session, coachee=user, minutes=10, position=k
                )
            report(match, users[0])
            signed_agreement(match, template=template or program_template(program))
            OptOut.objects.create(
                organization=org, match=match, program=program, user=users[1], reason="no_time"
            )


def program_template(program):
    from agreements.models import AgreementTemplate

    return AgreementTemplate.objects.filter(program=program).first()


def count_queries(client, url, params):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
        body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200, f"GET {url} answered {response.status_code}"
    return captured, body


CASES = [
    (kind, params)
    for kind in ("page", "applications", "pairs", "sessions", "opt-outs")
    for params in ({}, {"group": "Finance", "community": "N"})
]


@pytest.mark.parametrize("format", [Program.Format.RECIPROCAL, Program.Format.CIRCLE])
def test_query_count_does_not_grow_with_pairs(format, org, coordinator, client_for):
    with scope(organization=org):
        program = ProgramFactory(organization=org, format=format, status=Program.Status.RUNNING)
    client = client_for(coordinator)

    def measure():
        found = {}
        for kind, params in CASES:
            url = page_url(program) if kind == "page" else export_url(program, kind)
            found[(kind, bool(params))] = count_queries(client, url, params)
        return found

    grow(org, program, SMALL)
    measure()  # warm-up: per-organisation caches filled once
    small = measure()
    grow(org, program, LARGE)
    large = measure()

    for case, (queries, body) in large.items():
        small_queries, small_body = small[case]
        assert len(body) > len(small_body), f"{case}: the larger program's rows are missing"
        assert len(small_queries) == len(queries), (
            f"{case}: {len(small_queries)} queries for {SMALL} pair(s), {len(queries)} for "
            f"{LARGE}:\n" + describe(queries)
        )
        assert len(queries) <= BOUND, f"{case}:\n" + describe(queries)
