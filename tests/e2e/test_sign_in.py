"""Signing in through the real forms, in Chromium, with the Content-Security-Policy enforced."""

import re

import pytest
from django.core import mail
from django_scopes import scope
from playwright.sync_api import expect

from peercoach.accounts.models import Invitation
from tests.factories import TEST_PASSWORD

from .conftest import sign_in, submit_form_with, totp_code

pytestmark = pytest.mark.e2e


def csp_directives(header):
    """{"script-src": ["'self'"], ...} from a Content-Security-Policy header value."""
    directives = {}
    for part in header.split(";"):
        tokens = part.split()
        if tokens:
            directives[tokens[0].lower()] = tokens[1:]
    return directives


def assert_strict_script_policy(log):
    """Every HTML page of the flow forbids inline script, and nothing was blocked."""
    pages = [
        response
        for response in log.documents
        if response.status == 200
        and response.all_headers().get("content-type", "").startswith("text/html")
    ]
    assert pages, "no HTML page was recorded"
    for response in pages:
        header = response.all_headers().get("content-security-policy")
        assert header, f"{response.url} has no Content-Security-Policy header"
        script_src = csp_directives(header).get("script-src")
        assert script_src is not None, f"{response.url}: no script-src in {header!r}"
        assert "'self'" in script_src, f"{response.url}: {header!r}"
        assert "'unsafe-inline'" not in script_src, f"{response.url}: {header!r}"
        assert "'unsafe-eval'" not in script_src, f"{response.url}: {header!r}"
    assert log.csp_violations == [], log.csp_violations
    assert log.page_errors == [], log.page_errors


def test_participant_signs_in_and_lands_on_their_organisation(
    live_server, page, browser_log, screenshot, org, participant
):
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Peer coaching")
    screenshot("landing")

    page.get_by_role("link", name="Sign in").first.click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    page.locator("input[name=login]").fill(participant.email)
    submit_form_with(page, "password", TEST_PASSWORD)

    expect(page).to_have_url(f"{live_server.url}/o/{org.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {participant.first_name}")
    expect(page.get_by_text(f"You are a participant in {org.name}.")).to_be_visible()
    expect(page.locator(".navbar-brand")).to_contain_text(org.name)
    expect(page.locator("#pc-user-menu")).to_have_text(participant.get_full_name())
    screenshot("participant-home")

    assert_strict_script_policy(browser_log)


def test_inline_script_is_blocked_and_would_be_reported(live_server, page, browser_log):
    """The policy is enforced and the console listener sees a violation (no false pass above)."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__inlineRan = true";
          document.body.append(script);
        }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.__inlineRan === true") is False
    assert any("script-src" in text for text in browser_log.csp_violations), browser_log.console


def test_coordinator_signs_in_with_totp_and_invites_someone(
    live_server, page, browser_log, screenshot, org, mfa_coordinator
):
    coordinator, secret = mfa_coordinator
    assert org.require_coordinator_mfa
    mail.outbox.clear()

    sign_in(page, live_server.url, email=coordinator.email, password=TEST_PASSWORD)
    # The password was right; allauth now asks for the authenticator code.
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    submit_form_with(page, "code", totp_code(secret))
    expect(page).to_have_url(f"{live_server.url}/o/{org.slug}/console/")

    page.get_by_role("link", name="People", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/o/{org.slug}/people/participants/")
    page.get_by_role("link", name="Invite someone", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/o/{org.slug}/people/invite/")
    page.get_by_label("Email address").fill("noor.newcomer@example.org")
    page.get_by_label("First name").fill("Noor")
    page.get_by_label("Role").select_option("participant")
    page.get_by_role("button", name="Send invitation").click()

    expect(page).to_have_url(f"{live_server.url}/o/{org.slug}/people/")
    expect(page.locator(".pc-messages")).to_contain_text(
        "Invitation sent to noor.newcomer@example.org."
    )
    expect(page.get_by_role("cell", name="noor.newcomer@example.org", exact=True)).to_be_visible()
    screenshot("people")

    with scope(organization=org):
        invitation = Invitation.objects.get(email="noor.newcomer@example.org")
    assert invitation.invited_by == coordinator
    # Celery runs eagerly in these tests: the email went out when the request committed.
    assert [m.to for m in mail.outbox] == [["noor.newcomer@example.org"]]
    assert_strict_script_policy(browser_log)
