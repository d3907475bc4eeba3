"""Publishing pairs when the program has no agreement, and starting theirs later (issue 15)."""

import pytest
from django.urls import reverse

from agreements.models import Agreement, AgreementTemplate
from programs.models import Match, Program
from tests.factories import ProgramFactory, match_make

pytestmark = pytest.mark.django_db


def program_url(name, program):
    return reverse(name, kwargs={"org_slug": program.organization.slug, "pk": program.pk})


@pytest.fixture
def bare(org, participant, partner, in_scope):
    """A program without any agreement template and one proposed pair."""
    program = ProgramFactory(
        organization=org, status=Program.Status.OPEN, format=Program.Format.RECIPROCAL
    )
    match = match_make(program=program, users=[participant, partner])
    return program, match


def test_the_publish_step_warns_and_offers_a_starter_only_without_an_agreement(
    bare, pair, coordinator, client_for
):
    client = client_for(coordinator)
    program, _match = bare
    page = client.get(program_url("programs:pairing", program)).text
    assert 'data-testid="no-agreement-warning"' in page
    assert "The program has no coaching agreement yet: they will get none" in page  # confirm
    assert 'name="starter"' in page and 'value="reciprocal" selected' in page
    # An empty template is no agreement either.
    AgreementTemplate.objects.create(organization=program.organization, program=program)
    assert (
        'data-testid="no-agreement-warning"'
        in client.get(program_url("programs:pairing", program)).text
    )
    # A program whose template has items publishes agreements: nothing to warn about.
    page = client.get(program_url("programs:pairing", pair.program)).text
    assert 'data-testid="no-agreement-warning"' not in page
    assert "they will get none" not in page


def test_publishing_without_an_agreement_says_so_afterwards(bare, coordinator, client_for):
    program, match = bare
    response = client_for(coordinator).post(
        program_url("programs:pairing_publish", program), follow=True
    )
    assert "1 pair published; its members were emailed." in response.text
    assert "They have no coaching agreement yet" in response.text
    match.refresh_from_db()
    assert match.status == Match.Status.ACTIVE
    assert not Agreement.objects.filter(match=match).exists()


def test_the_starter_picked_at_the_publish_step_returns_there(bare, coordinator, client_for):
    program, _match = bare
    client = client_for(coordinator)
    response = client.post(
        program_url("agreements:template_starter", program),
        {"starter": "reciprocal", "then": "pairing"},
    )
    assert response.status_code == 302
    assert response["Location"] == program_url("programs:pairing", program)
    assert 'data-testid="no-agreement-warning"' not in client.get(response["Location"]).text
    # Anything but the known pages goes to the builder: never a URL from the request.
    response = client.post(
        program_url("agreements:template_starter", program),
        {"starter": "circle", "replace": "on", "then": "https://evil.example/"},
    )
    assert response["Location"] == program_url("agreements:template", program)


def test_the_program_page_starts_missing_agreements_once(bare, coordinator, client_for):
    program, match = bare
    client = client_for(coordinator)
    client.post(program_url("programs:pairing_publish", program))
    page = client.get(program_url("programs:detail", program)).text
    assert 'data-testid="agreement-missing-template"' in page
    assert "1 active pair or circle has no agreement, because the program has none" in page
    # Without items, starting says what to do first and starts nothing.
    response = client.post(
        program_url("agreements:start", program), {"then": "program"}, follow=True
    )
    assert "Write the template first" in response.text
    assert not Agreement.objects.filter(match=match).exists()
    client.post(program_url("agreements:template_starter", program), {"starter": "reciprocal"})
    page = client.get(program_url("programs:detail", program)).text
    assert 'data-testid="agreement-start"' in page
    assert "Start the agreement for this pair or circle" in page
    response = client.post(program_url("agreements:start", program), {"then": "program"})
    assert response["Location"] == program_url("programs:detail", program)
    assert [a.number for a in Agreement.objects.filter(match=match)] == [1]
    # Again (a second tab, a double click): nothing more.
    response = client.post(
        program_url("agreements:start", program), {"then": "program"}, follow=True
    )
    assert "Every active pair or circle already has an agreement." in response.text
    assert Agreement.objects.filter(match=match).count() == 1
    assert 'data-testid="agreement-start"' not in response.text
