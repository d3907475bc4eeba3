"""Publishing pairs of a program that has no agreement yet, in Chromium (issue 15).

Before, the pairs were published with no agreement and nobody was told. Now the publish
step says so (on the page and in its confirmation) and offers a starter; published anyway,
the program page says which pairs have none and, once the agreement exists, starts theirs
with one button, which does nothing twice.
"""

import re

import pytest
from django_scopes import scope
from playwright.sync_api import expect

from agreements.models import Agreement
from programs.models import Match, Program
from tests.factories import (
    TEST_PASSWORD,
    MembershipFactory,
    ProgramFactory,
    UserFactory,
    match_make,
)

from .conftest import sign_in, submit_form_with, totp_code

pytestmark = pytest.mark.e2e


@pytest.fixture
def proposed(org):
    """A program with one proposed pair and no agreement template at all."""
    with scope(organization=org):
        program = ProgramFactory(
            organization=org,
            name="Autumn Peer Coaching",
            status=Program.Status.OPEN,
            format=Program.Format.RECIPROCAL,
        )
        users = [
            UserFactory(
                email=f"{name.lower()}@acme.example.org", first_name=name, last_name="Tester"
            )
            for name in ("Ana", "Ben")
        ]
        for user in users:
            MembershipFactory(organization=org, user=user)
        match = match_make(program=program, users=users, status=Match.Status.PROPOSED)
    return program, match


def test_publishing_without_an_agreement_warns_and_the_program_page_starts_it_later(
    live_server, page, browser_log, screenshot, org, mfa_coordinator, proposed
):
    program, match = proposed
    coordinator, secret = mfa_coordinator
    base = f"{live_server.url}/o/{org.slug}/programs/{program.pk}/"
    sign_in(page, live_server.url, email=coordinator.email, password=TEST_PASSWORD)
    submit_form_with(page, "code", totp_code(secret))
    expect(page).to_have_url(f"{live_server.url}/o/{org.slug}/console/")

    # The publish step says there is no agreement, and offers the suggested starter.
    page.goto(f"{base}pairing/")
    warning = page.get_by_test_id("no-agreement-warning")
    expect(warning).to_contain_text("This program has no coaching agreement yet.")
    expect(warning.get_by_label("Starter agreement")).to_have_value(re.compile(r".+"))
    screenshot("publish-no-agreement")
    # The confirmation says it too; the coordinator publishes anyway.
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.once("dialog", answer)
    page.get_by_role("button", name=re.compile(r"^Publish 1 proposal")).click()
    expect(page).to_have_url(re.compile(r"/matches/$"))
    assert "no coaching agreement yet" in dialogs[0], dialogs
    expect(page.locator(".pc-messages")).to_contain_text("They have no coaching agreement yet")
    with scope(organization=org):
        assert not Agreement.objects.filter(match=match).exists()

    # The program page says which pairs have none.
    page.goto(base)
    missing = page.get_by_test_id("agreement-missing-template")
    expect(missing).to_contain_text("1 active pair or circle has no agreement")

    # The coordinator picks the starter from the pairing page's warning and comes back.
    page.goto(f"{base}pairing/")
    page.get_by_test_id("no-agreement-warning").get_by_role(
        "button", name="Use this starter"
    ).click()
    expect(page).to_have_url(re.compile(r"/pairing/$"))
    expect(page.get_by_text(re.compile(r"The template now follows"))).to_be_visible()
    expect(page.get_by_test_id("no-agreement-warning")).to_have_count(0)

    # The program page now starts the missing agreement, once.
    page.goto(base)
    start = page.get_by_test_id("agreement-start")
    expect(start).to_contain_text("1 active pair or circle has no agreement yet")
    screenshot("program-start-agreements")
    start.get_by_role("button", name="Start the agreement for this pair or circle").click()
    expect(page).to_have_url(base)
    expect(page.locator(".pc-messages")).to_contain_text("1 agreement was started")
    expect(page.get_by_test_id("agreement-start")).to_have_count(0)
    expect(page.get_by_test_id("agreement-missing-template")).to_have_count(0)
    with scope(organization=org):
        agreements = list(Agreement.objects.filter(match=match))
        assert [a.number for a in agreements] == [1]

    assert browser_log.page_errors == [], browser_log.page_errors
    assert browser_log.csp_violations == [], browser_log.csp_violations
    assert not [d for d in browser_log.documents if d.status >= 500]
