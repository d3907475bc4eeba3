"""Keyboard use: the first Tab reaches a skip link that moves focus to the content."""

import pytest

from tests.factories import TEST_PASSWORD

from .conftest import sign_in

pytestmark = pytest.mark.e2e

FOCUSED = """() => {
  const el = document.activeElement;
  return {tag: el.tagName, text: el.textContent.trim(), href: el.getAttribute("href"), id: el.id};
}"""


def tab_once_then_follow_skip_link(page):
    page.keyboard.press("Tab")
    first = page.evaluate(FOCUSED)
    assert first == {
        "tag": "A",
        "text": "Skip to main content",
        "href": "#main",
        "id": "",
    }
    assert page.get_by_role("link", name="Skip to main content").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate(FOCUSED)["id"] == "main"


@pytest.mark.parametrize("path", ["/", "/accounts/login/"])
def test_skip_link_is_the_first_stop_for_visitors(live_server, page, path):
    page.goto(f"{live_server.url}{path}")
    tab_once_then_follow_skip_link(page)


def test_skip_link_is_the_first_stop_inside_the_organisation(live_server, page, org, participant):
    sign_in(page, live_server.url, email=participant.email, password=TEST_PASSWORD)
    page.wait_for_url(f"{live_server.url}/o/{org.slug}/")
    # A fresh load, so focus starts at the top of the document as for a new visit.
    page.goto(f"{live_server.url}/o/{org.slug}/")
    tab_once_then_follow_skip_link(page)
