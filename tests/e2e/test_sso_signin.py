"""The email-first sign-in page in Chromium: an address of an organisation with single
sign-on goes to its start page; a password is refused where single sign-on is mandatory.
(The providers themselves answer in h-oidc's and h-saml's browser tests.)"""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import TEST_PASSWORD
from tests.sso_signin.conftest import confirm_domain, make_idp

from .conftest import sign_in

pytestmark = pytest.mark.e2e


def test_email_first_goes_to_the_organisations_sign_in(live_server, page, screenshot, org):
    make_idp(org, button_label="Sign in with your Acme account")
    confirm_domain(org, "acme.example.org")
    page.goto(f"{live_server.url}/accounts/login/?next=/o/acme/programs/")
    page.locator("#id_login").fill("someone@acme.example.org")
    page.locator("#id_login").press("Enter")
    expect(page).to_have_url(re.compile(r"/o/acme/sso/\?next=%2Fo%2Facme%2Fprograms%2F$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Acme University")
    button = page.get_by_role("button", name="Sign in with your Acme account")
    expect(button).to_be_focused()
    form = page.locator("form#sso-start")
    expect(form).to_have_attribute("action", "/accounts/oidc/acme/login/")
    expect(form.locator("input[name=next]")).to_have_value("/o/acme/programs/")
    screenshot("sso-start")


def test_mandatory_sso_refuses_the_password_with_a_link(
    live_server, page, screenshot, org, participant
):
    make_idp(org, required_for="everyone")
    sign_in(page, live_server.url, email=participant.email, password=TEST_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in refused")
    expect(page.get_by_text("your password is not accepted here")).to_be_visible()
    screenshot("sso-password-refused")
    page.get_by_role("link", name="Sign in through Acme University").click()
    expect(page).to_have_url(f"{live_server.url}/o/acme/sso/")
