"""From an empty application form to published pairs, in Chromium, as the people would do it.

A coordinator builds the form and opens applications; three participants apply in their
own browser contexts; the coordinator accepts them, runs matching, swaps the waiting
person into the pair (an HTMX edit, no page reload), publishes; the participant who
was waiting then sees their partner.
"""

import re

import pytest
from django.core import mail
from django_scopes import scope
from playwright.sync_api import expect

from programs.models import Application, Match, Program
from tests.factories import TEST_PASSWORD, MembershipFactory, ProgramFactory, UserFactory

from .conftest import SHOTS_DIR, sign_in, submit_form_with, totp_code

pytestmark = pytest.mark.e2e

PEOPLE = [
    ("ana@acme.example.org", "Ana", "Networking"),
    ("ben@acme.example.org", "Ben", "Security"),
    ("cai@acme.example.org", "Cai", "Service desk"),
]


@pytest.fixture
def program(org):
    with scope(organization=org):
        return ProgramFactory(
            organization=org,
            name="Spring Peer Coaching",
            status=Program.Status.DRAFT,
            format=Program.Format.RECIPROCAL,
        )


@pytest.fixture
def applicants(org):
    with scope(organization=org):
        users = [
            UserFactory(email=email, first_name=first, last_name="Tester")
            for email, first, _group in PEOPLE
        ]
        for user in users:
            MembershipFactory(organization=org, user=user)
    return users


def add_question(page, base, kind_label, fill):
    page.goto(f"{base}form/new/")
    page.get_by_label(kind_label, exact=True).check()
    page.get_by_role("button", name="Continue").click()
    fill(page)
    page.get_by_role("button", name="Add question").click()
    expect(page).to_have_url(re.compile(r"/form/$"))


def test_coordinator_builds_form_people_apply_and_get_paired(
    live_server, browser, page, browser_log, screenshot, org, mfa_coordinator, program, applicants
):
    coordinator, secret = mfa_coordinator
    base = f"{live_server.url}/o/{org.slug}/programs/{program.pk}/"

    # The coordinator builds the form.
    sign_in(page, live_server.url, email=coordinator.email, password=TEST_PASSWORD)
    submit_form_with(page, "code", totp_code(secret))
    expect(page).to_have_url(f"{live_server.url}/o/{org.slug}/console/")

    def group_question(p):
        p.locator("#id_label").fill("Which team are you in?")
        p.locator("#id_options").fill("Networking\nSecurity\nService desk")

    def trait_question(p):
        p.locator("#id_label").fill("How far ahead do you plan?")
        p.locator("#id_scale_low_label").fill("Day by day")
        p.locator("#id_scale_high_label").fill("Months ahead")

    add_question(page, base, "Group or community", group_question)
    add_question(page, base, "Work-personality trait", trait_question)
    expect(page.get_by_role("row", name=re.compile("Which team are you in"))).to_be_visible()
    screenshot("e2e-form-builder")

    page.goto(base)
    page.get_by_role("button", name=re.compile("^Open applications")).click()
    expect(page.locator(".pc-messages")).to_be_visible()
    with scope(organization=org):
        assert Program.objects.get(pk=program.pk).status == Program.Status.OPEN

    # Three participants apply, each in a browser of their own.
    contexts = {}
    for (email, _first, group), plan in zip(PEOPLE, ["2", "3", "4"], strict=True):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        contexts[email] = context
        person = context.new_page()
        person.on("pageerror", lambda error: browser_log.page_errors.append(str(error)))
        sign_in(person, live_server.url, email=email, password=TEST_PASSWORD)
        person.goto(f"{base}apply/")
        person.get_by_label(group, exact=True).check()
        person.locator(f"input[type=radio][value='{plan}']").check()
        person.get_by_role("button", name="Submit application").click()
        expect(person.locator(".pc-messages")).to_contain_text("your application was submitted")
    screenshot("e2e-after-applications")

    # The coordinator accepts everyone and runs matching.
    page.goto(f"{base}applications/")
    for checkbox in page.locator("input[name=application]").all():
        checkbox.check()
    page.get_by_role("button", name="Accept", exact=True).click()
    expect(page.locator(".pc-messages")).to_contain_text("3 application(s) updated")

    page.goto(f"{base}pairing/")
    page.get_by_role("button", name="Run matching").click()
    expect(page.get_by_test_id("proposal-card")).to_have_count(1)
    expect(page.get_by_test_id("waiting")).to_contain_text("Tester")
    screenshot("e2e-proposal")

    with scope(organization=org):
        match = Match.objects.get(program=program)
        paired = set(match.members.values_list("user__email", flat=True))
        waiting = Application.objects.exclude(user__email__in=paired).get(program=program)
    outgoing = sorted(paired)[0]
    staying = sorted(paired)[1]

    # Swap the waiting person into the pair, in place (HTMX), without reloading the page.
    page.evaluate("() => { window.__samePage = true; }")
    page.get_by_label(re.compile(waiting.user.first_name)).check()
    outgoing_name = next(first for email, first, _ in PEOPLE if email == outgoing)
    page.get_by_test_id("proposal-card").get_by_label(re.compile(outgoing_name)).check()
    page.get_by_role("button", name="Swap (or pair) the two selected").click()
    expect(page.locator("#proposal .pc-messages")).to_contain_text("scores were recalculated")
    assert page.evaluate("() => window.__samePage === true"), "the swap reloaded the page"
    expect(page.get_by_test_id("proposal-card")).to_contain_text(waiting.user.first_name)
    expect(page.get_by_test_id("waiting")).to_contain_text(outgoing_name)
    screenshot("e2e-after-swap")

    # Publish; both partners are emailed.
    mail.outbox.clear()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile(r"^Publish 1 proposal")).click()
    expect(page).to_have_url(re.compile(r"/matches/$"))
    expect(page.get_by_test_id("active-match")).to_have_count(1)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([staying, waiting.user.email])

    # The person who was waiting now sees their partner on the program's page.
    person = contexts[waiting.user.email].pages[0]
    person.goto(base)
    card = person.get_by_test_id("my-match")
    expect(card).to_contain_text(staying)
    expect(card).not_to_contain_text(outgoing)
    if screenshot("e2e-participant-partner"):
        person.screenshot(path=str(SHOTS_DIR / "e2e-participant-partner.png"), full_page=True)

    for context in contexts.values():
        context.close()
    assert browser_log.page_errors == [], browser_log.page_errors
    assert browser_log.csp_violations == [], browser_log.csp_violations
