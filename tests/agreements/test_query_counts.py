"""N+1 guards for the parties' pages: an agreement of 7 items vs 57, same query count."""

import pytest
from django.urls import reverse

from agreements.models import AgreementItem
from tests.test_query_counts import count_queries, describe

pytestmark = pytest.mark.django_db

PAGES = ("agreements:detail", "agreements:sign", "agreements:history")
BOUND = 16


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
def test_agreement_page_queries_do_not_grow(url_name, pair, client_for):
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
    assert len(large) <= BOUND, f"{url_name}: {len(large)} queries:\n" + describe(large)
