"""Browser tests: Playwright (sync API) driving the system's Debian Chromium, headless.

No browser is ever downloaded: Playwright launches /usr/bin/chromium. Tests use
pytest-django's `live_server`, so their database is transactional and the
server thread sees what the test wrote.
"""

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django_scopes import scope

from peercoach.tenancy.models import Membership
from tests.conftest import require_or_skip
from tests.factories import MembershipFactory, UserFactory, totp_activate

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS_DIR = Path("/tmp/peercoach-shots")  # noqa: S108 - a place the lead knows to look
# Chromium reports a blocked resource or inline script on the console; the listener
# added below also reports the DOM's securitypolicyviolation events, whatever Chromium
# chooses to log.
CSP_MARKERS = ("Content Security Policy", "Content-Security-Policy", "CSP violation")
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  const blocked = event.blockedURI || "inline";
  console.error(`CSP violation: ${event.violatedDirective} blocked ${blocked}`);
});
"""


@dataclass
class BrowserLog:
    """What the page said while a test drove it."""

    console: list = field(default_factory=list)
    page_errors: list = field(default_factory=list)
    documents: list = field(default_factory=list)

    @property
    def csp_violations(self):
        return [text for text in self.console if any(m in text for m in CSP_MARKERS)]


# One Chromium for the whole e2e package, not one per module: each launch (Chromium and
# Playwright's driver) cost about 0.6 s of CPU, 15 times a run. Package scope closes it,
# and its event loop, before the tests outside tests/e2e run.
@pytest.fixture(scope="package")
def browser():
    require_or_skip(CHROMIUM.exists(), f"Chromium ({CHROMIUM})")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop running in the test thread, and Django
    # refuses ORM calls from a thread with a running loop unless told that this is safe.
    # It is here: the test body is plain synchronous code that merely shares the thread.
    # Set only while the loop runs, so the rest of the suite keeps Django's guard.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser_log():
    return BrowserLog()


@pytest.fixture
def page(browser, browser_log):
    """A fresh browser context (no cookies) with its console and documents recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.on("console", lambda message: browser_log.console.append(message.text))
    page.on("pageerror", lambda error: browser_log.page_errors.append(str(error)))
    page.on(
        "response",
        lambda response: (
            browser_log.documents.append(response)
            if response.request.resource_type == "document"
            else None
        ),
    )
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    """Save a full-page screenshot to /tmp/peercoach-shots/ when PEERCOACH_SCREENSHOTS is set."""

    def take(name):
        if not os.environ.get("PEERCOACH_SCREENSHOTS"):
            return None
        SHOTS_DIR.mkdir(parents=True, exist_ok=True)
        path = SHOTS_DIR / f"{name}.png"
        # caret="initial": hiding the caret leaves style="" on inputs, which a later HTMX
        # swap copies and the CSP (no inline style attributes) then reports.
        page.screenshot(path=str(path), full_page=True, caret="initial")
        return path

    return take


@pytest.fixture
def mfa_coordinator(org):
    """A coordinator of `org` (which requires two-factor) and their TOTP secret."""
    with scope(organization=org):
        user = UserFactory(email="lead@acme.example.org", first_name="Lena", last_name="Lead")
        MembershipFactory(organization=org, user=user, role=Membership.Role.COORDINATOR)
    return user, totp_activate(user)


def totp_code(secret):
    """The authenticator code for now, waiting for a fresh period when this one is ending.

    allauth accepts only the current period (MFA_TOTP_TOLERANCE 0): a code computed in
    the last seconds of a period could expire before the server checks it.
    """
    period = mfa_settings.TOTP_PERIOD
    remaining = period - time.time() % period
    if remaining < 5:
        time.sleep(remaining + 0.2)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


def submit_form_with(page, field, value):
    """Fill `field` and press the submit button of the form that holds it."""
    form = page.locator(f"form:has(input[name={field}])")
    form.locator(f"input[name={field}]").fill(value)
    form.locator("[type=submit]").first.click()


def sign_in(page, base_url, *, email, password):
    """Through the real sign-in form (which may then ask for a second factor)."""
    page.goto(f"{base_url}/accounts/login/")
    page.locator("input[name=login]").fill(email)
    submit_form_with(page, "password", password)
