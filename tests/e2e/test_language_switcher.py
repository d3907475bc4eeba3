"""The language switcher in a real browser, keyboard and mouse alike: a visitor on the
sign-in page, and a signed-in person from the person menu (saved to their profile)."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import TEST_PASSWORD

from .conftest import sign_in

pytestmark = pytest.mark.e2e


def test_a_visitor_switches_on_the_sign_in_page(live_server, page, browser_log):
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("#pc-language-menu").click()
    page.get_by_role("button", name="Español").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    assert browser_log.csp_violations == [] and browser_log.page_errors == []


def test_a_member_switches_from_the_person_menu_with_the_keyboard(
    live_server, page, browser_log, org, participant
):
    sign_in(page, live_server.url, email=participant.email, password=TEST_PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/o/{org.slug}/")
    menu = page.locator("#pc-user-menu")
    menu.focus()
    page.keyboard.press("Enter")
    spanish = page.get_by_role("button", name="Español")
    expect(spanish).to_be_visible()
    spanish.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/o/{org.slug}/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    participant.refresh_from_db()
    assert participant.language == "es"
    assert browser_log.csp_violations == [] and browser_log.page_errors == []
