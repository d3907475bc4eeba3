"""Agreements are numbered per pair: a pair's first agreement is No. 1, its amendment No. 2,
whatever other pairs' agreements exist; pages and the PDF say so (issue 15)."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from agreements.models import Agreement
from agreements.services.amend import agreement_amend
from agreements.services.common import Actor
from agreements.services.create import agreements_create_for_matches
from programs.models import Match
from tests.agreements.test_documents import (  # noqa: F401 - fixtures and helpers
    _files,
    issue,
    pdf_bytes,
    pdf_pages,
    sign_both,
    signed,
)
from tests.factories import UserFactory, match_make

pytestmark = pytest.mark.django_db


def other_pair(pair):
    """Another pair of the same program, published after, with its own agreement."""
    users = [UserFactory(), UserFactory()]
    match = match_make(program=pair.program, users=users, status=Match.Status.ACTIVE)
    assert agreements_create_for_matches(program=pair.program, matches=[match]) == 1
    return Agreement.objects.get(match=match)


def test_each_pair_starts_at_no_1_and_an_amendment_is_the_next_number(signed):  # noqa: F811
    pair = signed
    first = other_pair(pair)
    assert first.pk != 1 or pair.agreement.pk != 1  # ids are global...
    assert (pair.agreement.number, first.number) == (1, 1)  # ...numbers are the pair's
    amendment = agreement_amend(agreement=pair.agreement, actor=Actor(user=pair.a))
    assert amendment.number == 2 and amendment.match_id == pair.match.pk
    # The number is the pair's own: a second "No. 2" for the same pair cannot exist.
    with pytest.raises(IntegrityError), transaction.atomic():
        Agreement.objects.create(
            organization=pair.org,
            match=pair.match,
            program=pair.program,
            template=pair.template,
            number=2,
            status=Agreement.Status.WITHDRAWN,
        )
    assert str(amendment).endswith("No. 2")


def test_pages_show_the_pairs_own_number(signed, client_for, coordinator):  # noqa: F811
    pair = signed
    other_pair(pair)  # takes a global id of its own
    amendment = agreement_amend(agreement=pair.agreement, actor=Actor(user=pair.a))
    client = client_for(pair.a)
    page = client.get(pair.agreement.get_absolute_url()).text
    assert "No. 1" in page and "No. 2" in page  # itself, and the amendment in "Versions"
    page = client.get(amendment.get_absolute_url()).text
    assert "No. 2 (amendment)" in page
    page = client.get(
        reverse("agreements:history", kwargs={"org_slug": pair.org.slug, "pk": amendment.pk})
    ).text
    assert "Agreement No. 2" in page  # the breadcrumb
    assert "Amends No. 1" in page
    status = (
        client_for(coordinator)
        .get(
            reverse(
                "agreements:status_list", kwargs={"org_slug": pair.org.slug, "pk": pair.program.pk}
            )
        )
        .text
    )
    assert "No. 2 (amendment)" in status and "No. 1 stays in force meanwhile." in status
    assert status.count("No. 1") >= 2  # the other pair's first agreement too


def test_the_pdf_of_an_amendment_says_no_2(signed, tmp_path):  # noqa: F811
    pair = signed
    first = issue(pair)
    text = " ".join("\n".join(pdf_pages(pdf_bytes(first), tmp_path)).split())
    assert "No. 1, from template version 1" in text
    assert "Coaching agreement · agreement No. 1" in text  # the running header
    amendment = agreement_amend(agreement=pair.agreement, actor=Actor(user=pair.a))
    pair.agreement = amendment
    sign_both(pair)
    text = " ".join("\n".join(pdf_pages(pdf_bytes(issue(pair)), tmp_path)).split())
    assert "No. 2, from template version 1" in text
    assert "agreement No. 2" in text and "Amends No. 1" in text
