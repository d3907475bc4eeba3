"""Opting out and re-pairing in Chromium (issue 15): a promise kept to the person who left.

Ana and Ben are a published pair; Wen waits for a partner. Ana opts out and does not
ask for a new partner. The coordinator runs matching again: Ben and Wen are proposed,
Ana is in no proposal (she used to be: she and Wen were the best-scoring pair, so the
matcher put her back and emailed her "Meet your partner"), and publishing emails only
Ben and Wen. Every page says where Ana stands. A second test follows One IT's rule:
the opt-out form says before anything is sent that the team receives the notice.
"""

import re

import pytest
from django.core import mail
from django.utils import timezone
from django_scopes import scope
from playwright.sync_api import expect

from programs.models import Application, Match, Program
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

SHOTS = "/tmp/shots-optout"  # noqa: S108 - where the lead looks at this helper's screenshots
NOTICE = "Thank you, Ben. Our goals drifted apart; I will stop here."


def shot(page, name):
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True, caret="initial")


def _people(org):
    """Ana and Ben in a published pair, Wen waiting: Ana and Wen plan alike, Ben does not,
    so the best pairing of the three (were Ana in the pool) is Ana with Wen."""
    with scope(organization=org):
        program = ProgramFactory(
            organization=org,
            name="Autumn Peer Coaching",
            status=Program.Status.RUNNING,
            format=Program.Format.RECIPROCAL,
            opt_out_notice_to_team=False,
        )
        group = QuestionFactory(
            program=program, kind="group", label="Team", options=["Apps", "Infra", "Data"]
        )
        pace = QuestionFactory(program=program, kind="trait", label="Pace", trait_rule="similar")
        people = {}
        for first, team, plan in (("Ana", "Apps", 1), ("Ben", "Infra", 5), ("Wen", "Data", 1)):
            user = UserFactory(
                email=f"{first.lower()}@acme.example.org", first_name=first, last_name="Tester"
            )
            MembershipFactory(organization=org, user=user)
            ApplicationFactory(
                program=program, user=user, group=team, answers={group.key: team, pace.key: plan}
            )
            people[first] = user
        match = match_make(
            program=program, users=[people["Ana"], people["Ben"]], status=Match.Status.ACTIVE
        )
        match.published_at = timezone.now()
        match.save(update_fields=["published_at"])
    return program, match, people


def test_who_opted_out_without_asking_is_not_paired_again(
    live_server, browser, page, browser_log, org, mfa_coordinator
):
    program, match, people = _people(org)
    base = f"{live_server.url}/o/{org.slug}"

    # Ana opts out and leaves "I would like a new partner" unticked.
    ana_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    ana_context.set_default_timeout(15_000)
    ana = ana_context.new_page()
    ana.on("pageerror", lambda error: browser_log.page_errors.append(str(error)))
    ana.on("console", lambda message: browser_log.console.append(message.text))
    sign_in(ana, live_server.url, email="ana@acme.example.org", password=TEST_PASSWORD)
    ana.goto(f"{base}/pairs/{match.pk}/")
    ana.get_by_role("link", name="End this pair (opt out)").click()
    ana.get_by_label("Our goals or styles do not fit").check()
    ana.get_by_label(re.compile("Your written notice")).fill(NOTICE)
    expect(ana.get_by_label("I would like a new partner")).not_to_be_checked()
    ana.get_by_role("button", name="Review").click()
    expect(ana.get_by_test_id("opt-out-summary")).to_contain_text(
        "nobody will pair you again in this program"
    )
    shot(ana, "1-ana-confirm")
    ana.get_by_role("button", name="Yes, opt out").click()
    expect(ana.locator(".pc-messages")).to_contain_text("You have opted out")
    ana.goto(f"{base}/programs/{program.pk}/")
    expect(ana.get_by_test_id("my-pool-status")).to_contain_text("did not ask for a new partner")
    expect(ana.get_by_role("button", name="Ask for a new partner")).to_be_visible()
    shot(ana, "2-ana-program-page")

    # The coordinator sees it on the applications and runs matching again.
    coordinator, secret = mfa_coordinator
    sign_in(page, live_server.url, email=coordinator.email, password=TEST_PASSWORD)
    submit_form_with(page, "code", totp_code(secret))
    page.goto(f"{base}/programs/{program.pk}/applications/")
    ana_row = page.get_by_role("row", name=re.compile("Ana Tester"))
    expect(ana_row.get_by_test_id("pool-note")).to_have_text("Opted out; not to be paired again")
    # The status badge was white text on no background: present, but unreadable.
    badge = ana_row.get_by_test_id("application-status")
    expect(badge).to_have_text("Accepted")
    background = badge.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent"), background
    shot(page, "3-coordinator-applications")
    page.goto(f"{base}/programs/{program.pk}/pairing/")
    page.get_by_role("button", name="Run matching").click()
    expect(page.get_by_test_id("proposal-card")).to_have_count(1)
    card = page.get_by_test_id("proposal-card")
    expect(card).to_contain_text("Wen Tester")
    expect(card).to_contain_text("Ben Tester")
    expect(page.locator("#proposal")).not_to_contain_text("Ana Tester")
    shot(page, "4-coordinator-proposal")

    # Publishing tells Ben and Wen; Ana hears nothing.
    mail.outbox.clear()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile(r"^Publish 1 proposal")).click()
    expect(page).to_have_url(re.compile(r"/matches/$"))
    assert sorted(m.to[0] for m in mail.outbox) == ["ben@acme.example.org", "wen@acme.example.org"]
    with scope(organization=org):
        assert not Match.objects.filter(
            program=program, status__in=Match.CURRENT, members__user=people["Ana"]
        ).exists()

    # Her own word brings her back: she asks, and waits with a note for the team.
    ana.goto(f"{base}/programs/{program.pk}/")
    ana.get_by_role("button", name="Ask for a new partner").click()
    expect(ana.locator(".pc-messages")).to_contain_text("can pair you with someone new")
    page.goto(f"{base}/programs/{program.pk}/pairing/")
    waiting = page.get_by_test_id("waiting")
    expect(waiting).to_contain_text("Ana Tester")
    expect(waiting.get_by_test_id("asks-new-partner")).to_contain_text("asked for a new partner")
    shot(page, "5-coordinator-waiting-note")
    with scope(organization=org):
        assert Application.objects.get(program=program, user=people["Ana"]).wants_new_partner

    ana_context.close()
    assert browser_log.page_errors == [], browser_log.page_errors
    assert browser_log.csp_violations == [], browser_log.csp_violations


def test_a_program_that_asks_for_notices_to_the_team_says_so_before_sending(
    live_server, browser, page, browser_log, org, mfa_coordinator
):
    program, match, people = _people(org)
    base = f"{live_server.url}/o/{org.slug}"

    # The coordinator switches the rule on in the program's settings.
    coordinator, secret = mfa_coordinator
    sign_in(page, live_server.url, email=coordinator.email, password=TEST_PASSWORD)
    submit_form_with(page, "code", totp_code(secret))
    page.goto(f"{base}/programs/{program.pk}/edit/")
    setting = page.get_by_label("opt-out notices go to the program team", exact=False)
    expect(setting).not_to_be_checked()
    setting.check()
    setting.scroll_into_view_if_needed()
    shot(page, "6a-program-setting")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".pc-messages")).to_be_visible()
    with scope(organization=org):
        assert Program.objects.get(pk=program.pk).opt_out_notice_to_team

    # Ana is told before she writes a word, and again before she confirms.
    ana_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    ana = ana_context.new_page()
    ana.on("pageerror", lambda error: browser_log.page_errors.append(str(error)))
    ana.on("console", lambda message: browser_log.console.append(message.text))
    sign_in(ana, live_server.url, email="ana@acme.example.org", password=TEST_PASSWORD)
    ana.goto(f"{base}/pairs/{match.pk}/opt-out/")
    expect(ana.get_by_test_id("notice-to-team")).to_contain_text("the team receives your notice")
    expect(ana.get_by_label("Share my notice with the program team")).to_have_count(0)
    shot(ana, "6b-notice-to-team-form")
    ana.get_by_label("I no longer have the time").check()
    ana.get_by_label(re.compile("Your written notice")).fill(NOTICE)
    ana.get_by_role("button", name="Review").click()
    expect(ana.get_by_test_id("opt-out-summary")).to_contain_text("They also receive your notice")
    shot(ana, "6c-notice-to-team-confirm")
    ana.get_by_role("button", name="Yes, opt out").click()
    expect(ana.locator(".pc-messages")).to_contain_text("You have opted out")
    ana_context.close()

    # The team reads it in its queue.
    page.goto(f"{base}/programs/{program.pk}/opt-outs/")
    expect(page.get_by_test_id("opt-out")).to_contain_text(NOTICE)
    shot(page, "7-queue-with-notice")
    assert browser_log.page_errors == [], browser_log.page_errors
    assert browser_log.csp_violations == [], browser_log.csp_violations


def test_a_late_joiner_is_added_from_the_people_list_and_waits_for_a_partner(
    live_server, browser, page, browser_log, org, mfa_coordinator
):
    program, _match, _people_by_name = _people(org)
    with scope(organization=org):
        late = UserFactory(email="lou@acme.example.org", first_name="Lou", last_name="Later")
        MembershipFactory(organization=org, user=late)
    base = f"{live_server.url}/o/{org.slug}"

    # Lou finds applications closed, and is told who can add them.
    lou_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    lou = lou_context.new_page()
    lou.on("pageerror", lambda error: browser_log.page_errors.append(str(error)))
    lou.on("console", lambda message: browser_log.console.append(message.text))
    sign_in(lou, live_server.url, email=late.email, password=TEST_PASSWORD)
    lou.goto(f"{base}/programs/{program.pk}/apply/")
    expect(lou.get_by_test_id("apply-closed")).to_contain_text("Applications for this program")
    expect(lou.locator("form fieldset")).to_have_count(0)
    shot(lou, "8-apply-closed")

    # The coordinator adds Lou from the people list, with Lou's team.
    coordinator, secret = mfa_coordinator
    sign_in(page, live_server.url, email=coordinator.email, password=TEST_PASSWORD)
    submit_form_with(page, "code", totp_code(secret))
    page.goto(f"{base}/people/participants/?program={program.pk}&status=invited")
    page.get_by_role("row", name=re.compile("Lou Later")).get_by_test_id("add-to-program").click()
    expect(page.get_by_label("Email address")).to_have_value(late.email)
    page.get_by_label("Data", exact=True).check()
    shot(page, "9-add-late-joiner")
    page.get_by_role("button", name="Add to the program").click()
    expect(page.locator(".pc-messages")).to_contain_text("Lou Later is in")
    page.goto(f"{base}/programs/{program.pk}/pairing/")
    expect(page.get_by_test_id("waiting")).to_contain_text("Lou Later")
    shot(page, "10-late-joiner-waiting")
    with scope(organization=org):
        application = Application.objects.get(program=program, user=late)
        assert (application.status, application.group) == ("accepted", "Data")

    lou.goto(f"{base}/programs/{program.pk}/")
    expect(lou.get_by_test_id("my-application-status")).to_contain_text("Accepted")
    lou_context.close()
    assert browser_log.page_errors == [], browser_log.page_errors
    assert browser_log.csp_violations == [], browser_log.csp_violations
