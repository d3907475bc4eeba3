"""N+1 guards for the parties' pages: an agreement of 7 items vs 57, same query count."""

import pytest
from django.urls import reverse

from agreements.models import AgreementItem
from tests.test_query_counts import count_queries, describe

pytestmark = pytest.mark.django_db

# The most queries each page may run. detail and sign: session, user, membership, the
# agreement with its program, pair and template, whether I am a party, the parties, the
# items, the values, the signatures, the numbers of the pair's agreements, switcher (12
# before issue 18: the template's organisation was read for its items).
BOUNDS = {"agreements:detail": 11, "agreements:sign": 11, "agreements:history": 7}
PAGES = tuple(BOUNDS)


def grow(pair, n):
    """`n` more fields (half per-party), each filled by one party, and a clause each."""
    start = pair.template.items.count()
    for i in range(n):
        per_party = i % 2 == 0
        AgreementItem.objects.create(
            organization=pair.org,
            template=pair.template,
            position=start + 2 * i,
            kind=AgreementItem.Kind.SHORT_TEXT,
            title=f"Extra field {i}",
            per_party=per_party,
            required=False,
        )
        AgreementItem.objects.create(
            organization=pair.org,
            template=pair.template,
            position=start + 2 * i + 1,
            kind=AgreementItem.Kind.CLAUSE,
            title=f"Extra clause {i}",
            body=f"Clause text {i}.",
        )
        pair.save(pair.a if i % 3 else pair.b, f"Extra field {i}", value=f"answer {i}")


@pytest.mark.parametrize("url_name", PAGES)
def test_agreement_page_queries_do_not_grow(url_name, pair, client_for, settings):
    settings.FRAGMENT_CACHE = False  # the pages as built; cached: tests/tenancy/test_pages.py
    client = client_for(pair.a)
    url = reverse(url_name, kwargs={"org_slug": pair.org.slug, "pk": pair.agreement.pk})
    pair.save(pair.a, "Where we meet", value="Zoom")
    count_queries(client, url)  # warm-up
    small, _ = count_queries(client, url)
    grow(pair, 25)
    large, response = count_queries(client, url)
    assert b"answer 24" in response.content
    assert len(large) == len(small), (
        f"{url_name}: {len(small)} queries before, {len(large)} after 50 more items:\n"
        + describe(large)
    )
    assert len(large) <= BOUNDS[url_name], f"{url_name}: {len(large)} queries:\n" + describe(large)


def test_starting_agreements_takes_the_same_queries_for_2_or_40_pairs(pair, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from agreements.models import Agreement
    from agreements.services.create import agreements_create_for_matches
    from programs.models import Match
    from tests.factories import MembershipFactory, UserFactory, match_make

    def publish(n, start):
        users = [UserFactory(email=f"s{start + i:03}@acme.example.org") for i in range(2 * n)]
        for user in users:
            MembershipFactory(organization=org, user=user)
        matches = [
            match_make(program=pair.program, users=users[i : i + 2], status=Match.Status.ACTIVE)
            for i in range(0, len(users), 2)
        ]
        with CaptureQueriesContext(connection) as captured:
            assert agreements_create_for_matches(program=pair.program, matches=matches) == n
        return captured

    small, large = publish(2, 0), publish(40, 100)
    assert len(small) == len(large), describe(large)
    assert Agreement.objects.filter(program=pair.program).count() == 1 + 2 + 40
    # Each new agreement got its parties' names prefilled and its "created" event.
    latest = Agreement.objects.filter(program=pair.program).order_by("-id").first()
    assert latest.values.count() == 2 and latest.events.get().kind == "created"
