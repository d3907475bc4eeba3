"""The coordinator's day in Chromium, on the demo data (issue 15): the ATC coordinator's
home is a to-do list whose items open the pages that resolve them, and says who handles
concerns; a participant's home tells when the next report falls due and what the next
reminder is, with the program's events as calendar files."""

import re

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from programs.models import Program

from .conftest import sign_in
from .test_dashboard_flow import _in_a_thread

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo(transactional_db):
    from peercoach.demo import DEMO_PASSWORD, demo_load

    _in_a_thread(demo_load)
    with scopes_disabled():
        program = Program.objects.get(organization__slug="atc")
    return program, DEMO_PASSWORD


def clean(browser_log):
    assert browser_log.csp_violations == []
    assert browser_log.page_errors == []
    assert all(response.status < 400 for response in browser_log.documents)


def test_the_coordinator_home_is_a_to_do_list_with_working_links(
    live_server, page, browser_log, screenshot, demo
):
    program, password = demo
    base = live_server.url
    sign_in(page, base, email="coordinator@atc.example.org", password=password)
    expect(page).to_have_url(f"{base}/o/atc/console/")

    todo = page.get_by_test_id("todo")
    expect(todo.get_by_role("heading", name="To do")).to_be_visible()
    expect(page.get_by_text("not part of this version yet")).to_have_count(0)
    # The demo: one opt-out in ATC, one concern nobody has opened, some pairs at risk.
    expect(todo.get_by_test_id("todo-opt_outs")).to_contain_text("Opt-outs to handle")
    expect(todo.get_by_test_id("todo-opt_outs").get_by_test_id("todo-count")).to_have_text("1")
    expect(todo.get_by_test_id("todo-concerns").get_by_test_id("todo-count")).to_have_text("1")
    at_risk = todo.get_by_test_id("todo-at_risk")
    expect(at_risk).to_contain_text("Pairs at risk")
    count = int(at_risk.get_by_test_id("todo-count").inner_text())
    with scopes_disabled():
        active = program.matches.filter(status="active").count()
    assert 0 < count < active  # a mix, not every pair
    expect(page.get_by_test_id("concern-handlers")).to_contain_text("Concerns are handled by:")
    screenshot("coordday-coordinator-home")

    at_risk.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/programs/{program.pk}/dashboard/#at-risk$"))
    expect(page.get_by_test_id("risk-row")).to_have_count(count)

    page.go_back()
    todo.get_by_test_id("todo-opt_outs").get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/programs/{program.pk}/opt-outs/$"))

    page.goto(f"{base}/o/atc/")
    todo.get_by_test_id("todo-concerns").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/o/atc/concerns/$"))
    # Opened now: it leaves the to-do list.
    page.locator("table a").first.click()
    expect(page).to_have_url(re.compile(r"/o/atc/concerns/\d+/$"))
    page.goto(f"{base}/o/atc/")
    expect(page.get_by_test_id("todo-concerns")).to_have_count(0)
    clean(browser_log)


def test_the_participant_home_tells_what_comes_next(
    live_server, page, browser_log, screenshot, demo
):
    _program, password = demo
    base = live_server.url
    # WIT: the pair chooses its rhythm; the group meets three times, the next one ahead.
    sign_in(page, base, email="participant01@wit.example.org", password=password)
    expect(page).to_have_url(f"{base}/o/wit/")

    card = page.get_by_test_id("pair-card").first
    expect(card.get_by_test_id("next-reminder")).to_contain_text(re.compile(r"\d"))
    expect(card.get_by_test_id("home-report-due").or_(card.get_by_test_id("home-report-next")))
    events = page.get_by_test_id("home-events")
    link = events.get_by_test_id("event-ics").first
    expect(link).to_have_attribute("href", re.compile(r"/events/\d+/calendar\.ics$"))
    screenshot("coordday-participant-home")
    response = page.request.get(f"{base}{link.get_attribute('href')}")
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in response.text()
    clean(browser_log)
