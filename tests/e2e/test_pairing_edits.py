"""Hand edits on the pairing page, in Chromium: they survive a new run, every count they
change is current without a reload, and no HTMX swap logs a console error (the
Content-Security-Policy refuses inline styles, which htmx would otherwise inject).

Six people with a "similar" pace question (1, 1, 3, 3, 5, 5): the best pairs are the equal
paces, so a run that ignored the coordinator's edits would put them back together.
"""

import re
from pathlib import Path

import pytest
from django_scopes import scope
from playwright.sync_api import expect

from programs.models import Program
from sessions.models import Checklist
from tests.factories import (
    TEST_PASSWORD,
    ApplicationFactory,
    MembershipFactory,
    ProgramFactory,
    QuestionFactory,
    UserFactory,
    match_make,
)

from .conftest import sign_in, submit_form_with, totp_code

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/shots-pairing")  # noqa: S108 - where this branch's screenshots go
PEOPLE = [("Ana", 1), ("Ben", 1), ("Cai", 3), ("Dee", 3), ("Eli", 5), ("Fay", 5)]


@pytest.fixture
def console_errors(page):
    """Every console message of type error (CSP reports among them) and uncaught error."""
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.fixture
def paced(org):
    with scope(organization=org):
        program = ProgramFactory(
            organization=org, name="Pace pairs", format=Program.Format.RECIPROCAL
        )
        pace = QuestionFactory(program=program, kind="trait", label="Pace", trait_rule="similar")
        for first, value in PEOPLE:
            user = UserFactory(
                email=f"{first.lower()}@acme.example.org", first_name=first, last_name="Tester"
            )
            MembershipFactory(organization=org, user=user)
            ApplicationFactory(program=program, user=user, answers={pace.key: value})
    return program


def card_with(page, *names):
    cards = page.get_by_test_id("proposal-card")
    for name in names:
        cards = cards.filter(has_text=f"{name} Tester")
    return cards


def tick(page, name):
    page.get_by_label(re.compile(rf"^{name} Tester")).check()


def test_hand_edits_survive_a_rerun_and_every_count_follows(
    live_server, page, console_errors, browser_log, screenshot, org, mfa_coordinator, paced
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    coordinator, secret = mfa_coordinator
    sign_in(page, live_server.url, email=coordinator.email, password=TEST_PASSWORD)
    submit_form_with(page, "code", totp_code(secret))
    expect(page).to_have_url(f"{live_server.url}/o/{org.slug}/console/")
    page.goto(f"{live_server.url}/o/{org.slug}/programs/{paced.pk}/pairing/")

    page.get_by_role("button", name="Run matching").click()
    expect(page.get_by_test_id("proposal-card")).to_have_count(3)
    for pair in (("Ana", "Ben"), ("Cai", "Dee"), ("Eli", "Fay")):
        expect(card_with(page, *pair)).to_have_count(1)
    publish = page.get_by_test_id("publish")
    expect(publish).to_have_text("Publish 3 proposals")
    expect(page.get_by_test_id("kept-summary")).to_contain_text("none is locked")
    expect(page.get_by_test_id("last-run")).to_contain_text("checked, no better pairing exists")
    expect(page.get_by_test_id("last-run")).not_to_contain_text("blossom")
    page.evaluate("() => { window.__samePage = true; }")

    # Lock a proposal with its own control.
    card_with(page, "Eli", "Fay").get_by_role("button", name=re.compile("^Lock")).click()
    expect(card_with(page, "Eli", "Fay")).to_contain_text("locked: a new run keeps it")
    expect(page.get_by_test_id("kept-summary")).to_contain_text("keeps the 1 locked proposal")

    # Swap Ben and Cai: both pairs change and are locked. The screenshot first, as a
    # coordinator's tools do: hiding the caret leaves style="" on the ticked inputs, and htmx
    # copied such attributes into the swapped content, which the CSP then refused.
    tick(page, "Ben")
    tick(page, "Cai")
    page.screenshot(path=str(SHOTS / "pairing-before-swap.png"), caret="hide")
    page.get_by_role("button", name="Swap (or pair) the two selected").click()
    expect(page.locator("#proposal .pc-messages")).to_contain_text("scores were recalculated")
    expect(card_with(page, "Ana", "Cai")).to_contain_text("locked")
    expect(card_with(page, "Ben", "Dee")).to_contain_text("locked")
    expect(page.get_by_test_id("kept-summary")).to_contain_text("every proposal below")

    # Take Eli out: the pair dissolves and the publish button follows at once.
    tick(page, "Eli")
    page.get_by_role("button", name="Take the selected person out").click()
    expect(page.get_by_test_id("proposal-card")).to_have_count(2)
    expect(publish).to_have_text("Publish 2 proposals")
    expect(page.get_by_test_id("waiting")).to_contain_text("Eli Tester")
    expect(page.get_by_test_id("held-apart")).to_contain_text("Eli Tester and Fay Tester")
    screenshot("pairing-after-take-out")

    # Pair the two by hand after all: three proposals again, without a reload.
    tick(page, "Eli")
    tick(page, "Fay")
    page.get_by_role("button", name="Swap (or pair) the two selected").click()
    expect(card_with(page, "Eli", "Fay")).to_contain_text("made by hand")
    expect(publish).to_have_text("Publish 3 proposals")
    assert page.evaluate("() => window.__samePage === true"), "an edit reloaded the page"

    # A new run keeps every hand edit.
    page.get_by_role("button", name="Run matching").click()
    expect(page.get_by_test_id("last-run")).to_be_visible()
    expect(page.get_by_test_id("proposal-card")).to_have_count(3)
    expect(card_with(page, "Ana", "Cai")).to_have_count(1)
    expect(card_with(page, "Ben", "Dee")).to_have_count(1)
    expect(card_with(page, "Eli", "Fay")).to_have_count(1)
    expect(card_with(page, "Ana", "Ben")).to_have_count(0)
    screenshot("pairing-after-rerun")

    assert console_errors == [], console_errors
    assert browser_log.csp_violations == [], browser_log.csp_violations


def test_ticking_the_first_session_checklist_logs_no_console_error(
    live_server, page, console_errors, org
):
    with scope(organization=org):
        program = ProgramFactory(organization=org, status=Program.Status.RUNNING)
        ana = UserFactory(email="ana@acme.example.org", first_name="Ana")
        ben = UserFactory(email="ben@acme.example.org", first_name="Ben")
        for user in (ana, ben):
            MembershipFactory(organization=org, user=user)
        match = match_make(program=program, users=[ana, ben], status="active")
    sign_in(page, live_server.url, email=ana.email, password=TEST_PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/o/{org.slug}/")
    page.goto(f"{live_server.url}/o/{org.slug}/pairs/{match.pk}/checklist/")
    boxes = page.get_by_test_id("checklist-form").locator("input[type=checkbox]")
    SHOTS.mkdir(parents=True, exist_ok=True)
    for index in range(2):
        # As on the pairing page: a screenshot leaves style="" on the inputs before the swap.
        page.screenshot(path=str(SHOTS / f"checklist-{index}.png"), caret="hide")
        boxes.nth(index).check()
        expect(page.get_by_test_id("checklist-form")).to_contain_text("Saved.")
        expect(
            page.get_by_test_id("checklist-form").locator("input[type=checkbox]").nth(index)
        ).to_be_checked()
    with scope(organization=org):
        assert Checklist.objects.filter(match=match).exists()
    assert console_errors == [], console_errors


def test_a_new_circle_program_starts_with_rules_that_fit_circles(
    live_server, page, console_errors, org, mfa_coordinator
):
    coordinator, secret = mfa_coordinator
    sign_in(page, live_server.url, email=coordinator.email, password=TEST_PASSWORD)
    submit_form_with(page, "code", totp_code(secret))
    expect(page).to_have_url(f"{live_server.url}/o/{org.slug}/console/")
    page.goto(f"{live_server.url}/o/{org.slug}/programs/new/")
    different_groups = page.get_by_label("partners must come from different groups")
    page.get_by_role("radio", name=re.compile("Reciprocal pairs")).check()
    expect(different_groups).to_be_checked()
    page.get_by_role("radio", name=re.compile("Circles of 3 to 8")).check()
    expect(different_groups).not_to_be_checked()
    expect(
        page.get_by_label("Never with someone they were paired with in this program")
    ).to_be_checked()
    # A rule the coordinator set by hand stays as they set it.
    different_groups.check()
    page.get_by_role("radio", name=re.compile("Reciprocal pairs")).check()
    page.get_by_role("radio", name=re.compile("Circles of 3 to 8")).check()
    expect(different_groups).to_be_checked()
    assert console_errors == [], console_errors
