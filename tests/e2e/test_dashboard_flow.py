"""The program dashboard in Chromium, on the demo data: the ATC coordinator opens the
dashboard from the program's page, follows the link to the pairs at risk, nudges one
(and sees it said, and the row marked), then opens the exports page and downloads
"Pairs (CSV)", whose rows are the program's pairs and hold no private content.

The demo (peercoach.demo.demo_load) builds the ATC program as `make run` does: reciprocal
pairs every two weeks, published five weeks ago, every third pair without a session, so
there are pairs at risk whatever the day the test runs.
"""

import csv
import io
import re
import threading
from pathlib import Path

import pytest
from django.db import connections
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from peercoach.notifications.models import Delivery, Kind
from programs.models import Match, Program
from sessions.demo import PRIVATE_NOTE

from .conftest import sign_in

pytestmark = pytest.mark.e2e


def _in_a_thread(function):
    """Run `function` in a thread of its own: the browser fixture keeps an asyncio loop
    running in the test's thread, and the demo seals PDFs with pyHanko, which starts one."""
    failures = []

    def run():
        try:
            function()
        except Exception as exc:  # noqa: BLE001 - handed to the test's thread
            failures.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failures:
        raise failures[0]


@pytest.fixture
def atc(transactional_db):
    from peercoach.demo import DEMO_PASSWORD, demo_load

    _in_a_thread(demo_load)
    with scopes_disabled():
        program = Program.objects.get(organization__slug="atc")
    return program, DEMO_PASSWORD


def test_coordinator_nudges_a_pair_at_risk_and_exports_the_pairs(
    live_server, page, browser_log, screenshot, atc
):
    program, password = atc
    base = live_server.url
    sign_in(page, base, email="coordinator@atc.example.org", password=password)
    expect(page).to_have_url(f"{base}/o/atc/console/")

    page.goto(f"{base}/o/atc/programs/{program.pk}/")
    page.get_by_test_id("dashboard-link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dashboard")
    expect(page.get_by_test_id("funnel-paired-pairs")).to_contain_text("pairs")
    expect(page.get_by_role("img", name=re.compile("Held sessions per pair"))).to_be_visible()
    screenshot("dashboard-top")

    page.get_by_test_id("at-risk-link").click()
    expect(page).to_have_url(re.compile(r"#at-risk$"))
    rows = page.get_by_test_id("risk-row")
    expect(rows.first).to_be_visible()
    row = page.locator("[data-testid=risk-row]:has(button)").first
    match_id = row.get_attribute("data-match")
    names = row.locator("th").inner_text()
    expect(row.locator("li").first).to_contain_text(re.compile(r"No session|report|Agreement"))

    row.get_by_role("button", name=re.compile(r"^Nudge")).click()

    expect(page).to_have_url(re.compile(r"/dashboard/#at-risk$"))
    expect(page.locator(".alert-success")).to_contain_text("Nudge sent to")
    nudged = page.locator(f"[data-testid=risk-row][data-match='{match_id}']")
    expect(nudged.get_by_test_id("nudged")).to_have_text("Nudged today")
    screenshot("dashboard-nudged")
    with scopes_disabled():
        match = Match.objects.get(pk=match_id)
        ledger = list(Delivery.objects.filter(match=match, kind=Kind.NUDGE))
        members = {m.user.display_name for m in match.members.filter(is_current=True)}
    assert len(ledger) == len(members) == 2
    assert all(name in names for name in members)

    page.get_by_test_id("exports-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Exports")
    with page.expect_download() as download:
        page.get_by_role("link", name="Pairs (CSV)").click()
    content = Path(download.value.path()).read_text(encoding="utf-8-sig")
    table = list(csv.reader(io.StringIO(content)))
    assert table[0][0] == "Pair"  # the header is in the person's language (English here)
    with scopes_disabled():
        published = set(
            Match.objects.filter(
                program=program, status__in=[Match.Status.ACTIVE, Match.Status.ENDED]
            ).values_list("pk", flat=True)
        )
    assert {int(line[0]) for line in table[1:]} == published
    assert match_id in {line[0] for line in table[1:]}
    assert PRIVATE_NOTE not in content

    assert browser_log.csp_violations == []
    assert browser_log.page_errors == []
    assert all(response.status < 400 for response in browser_log.documents)
