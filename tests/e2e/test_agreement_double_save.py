"""Two partners edit the same agreement field; typing then clicking Save loses nothing.

The defect (issue 15, seen 2 of 2 times in Chromium): Ben saved "Where we meet"; Ana, whose
page still showed the field's old revision, typed her own text and clicked the field's
Save button. That sent two saves (the change event as the input lost focus, then the
submit); the second overwrote Ben's newer text and Ana saw "Saved.". Here Ana's single
click sends one save, is refused, and she sees Ben's text next to hers; Ben's text stays
until she chooses "Replace theirs with mine".
"""

import re

import pytest
from django_scopes import scope
from playwright.sync_api import expect

from agreements.models import AgreementValue
from tests.factories import TEST_PASSWORD

from .conftest import sign_in
from .test_agreement_flow import Fill, open_context, save, setup, shot  # noqa: F401 - `setup` is a fixture

pytestmark = pytest.mark.e2e

FIELD = "Where we meet"
BENS = "The small meeting room on the 3rd floor"
ANAS = "The café downstairs, by the window"


def stored(org, agreement, item):
    with scope(organization=org):
        row = AgreementValue.objects.get(agreement=agreement, item=item, party=None)
        return row.value, row.revision, row.updated_by_id


def test_typing_then_clicking_save_never_overwrites_the_partners_newer_text(
    live_server,
    browser,
    page,
    browser_log,
    org,
    setup,  # noqa: F811 - the fixture
):
    ana, ben, items, agreement = setup["ana"], setup["ben"], setup["items"], setup["agreement"]
    detail_url = f"{live_server.url}/o/{org.slug}/agreements/{agreement.pk}/"
    item = items[FIELD]

    sign_in(page, live_server.url, email=ana.email, password=TEST_PASSWORD)
    page.goto(detail_url)
    ben_context, ben_page = open_context(browser, browser_log)
    sign_in(ben_page, live_server.url, email=ben.email, password=TEST_PASSWORD)
    ben_page.goto(detail_url)

    # Both pages show the field at revision 0. Ben saves his text first.
    Fill(ben_page, items, ben).text(FIELD, BENS)
    assert stored(org, agreement, item) == (BENS, 1, ben.pk)

    # Ana, on her stale page, types her text and clicks the field's Save button.
    saves = []
    page.on(
        "request",
        lambda request: (
            saves.append(request)
            if request.method == "POST" and re.search(r"/fields/\d+/$", request.url)
            else None
        ),
    )
    a = Fill(page, items, ana)
    field = a.item(FIELD).get_by_label(FIELD, exact=True)
    field.fill(ANAS)
    with page.expect_response(lambda r: r.request.method == "POST" and "/fields/" in r.url):
        a.item(FIELD).get_by_role("button", name=re.compile(r"^Save")).click()
    warning = a.status(FIELD)
    expect(warning).to_contain_text("Ben Novak saved this field at")
    expect(warning.locator(".pc-value")).to_have_text(BENS)
    # Give a second save every chance to arrive: none comes, and nothing changed.
    page.wait_for_timeout(1500)
    expect(warning).not_to_contain_text("Saved.")
    assert len(saves) == 1, [s.post_data for s in saves]
    assert stored(org, agreement, item) == (BENS, 1, ben.pk)
    expect(field).to_have_value(ANAS)  # her text is still there
    shot(page, "agreement-double-save-conflict")

    # Saving again through the form is refused again: the Save button, and Enter in the
    # field (the form's default button must stay Save, not "Replace theirs with mine").
    a.item(FIELD).get_by_role("button", name=re.compile(r"^Save")).click()
    page.wait_for_timeout(500)
    assert stored(org, agreement, item) == (BENS, 1, ben.pk)
    field.fill(ANAS + "!")
    with page.expect_response(lambda r: r.request.method == "POST" and "/fields/" in r.url):
        field.press("Enter")
    page.wait_for_timeout(1500)  # a queued save would have been sent and answered by now
    expect(warning).to_contain_text("Ben Novak saved this field at")
    assert all("replace=" not in (s.post_data or "") for s in saves)
    assert stored(org, agreement, item) == (BENS, 1, ben.pk)

    # Only her explicit choice replaces Ben's text, and she is told it was saved.
    save(page, a.item(FIELD).get_by_role("button", name="Replace theirs with mine").click)
    expect(warning).to_contain_text("Saved.")
    assert stored(org, agreement, item) == (ANAS + "!", 2, ana.pk)

    # An edit and the replace in one motion: the save keeps its "replace" although the
    # answer to the change event replaced the button.
    b = Fill(ben_page, items, ben)  # Ben's page is still on revision 1
    ben_field = b.item(FIELD).get_by_label(FIELD, exact=True)
    ben_field.fill(BENS + ", again")
    with ben_page.expect_response(lambda r: "/fields/" in r.url):
        ben_field.press("Tab")
    ben_warning = b.status(FIELD)
    expect(ben_warning).to_contain_text("Ana Okafor saved this field at")
    ben_field.fill(BENS + ", and again")
    ben_page.get_by_test_id("replace").click()
    expect(ben_warning).to_contain_text("Saved.")
    assert stored(org, agreement, item) == (BENS + ", and again", 3, ben.pk)

    ben_context.close()
    assert browser_log.page_errors == [], browser_log.page_errors
    assert browser_log.csp_violations == [], browser_log.csp_violations
    assert [m for m in browser_log.console if "error" in m.lower()] == []


def test_without_javascript_a_stale_save_is_refused_and_replacing_is_a_choice(
    live_server,
    browser,
    browser_log,
    org,
    setup,  # noqa: F811 - the fixture
):
    """The plain form post (no JavaScript at all): the same promise."""
    ana, ben, items, agreement = setup["ana"], setup["ben"], setup["items"], setup["agreement"]
    detail_url = f"{live_server.url}/o/{org.slug}/agreements/{agreement.pk}/"
    item = items[FIELD]
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    sign_in(page, live_server.url, email=ana.email, password=TEST_PASSWORD)
    page.goto(detail_url)
    ben_context, ben_page = open_context(browser, browser_log)
    sign_in(ben_page, live_server.url, email=ben.email, password=TEST_PASSWORD)
    ben_page.goto(detail_url)
    Fill(ben_page, items, ben).text(FIELD, BENS)

    a = Fill(page, items, ana)
    field = a.item(FIELD).get_by_label(FIELD, exact=True)
    field.fill(ANAS)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        a.item(FIELD).get_by_role("button", name=re.compile(r"^Save")).click()
    assert answer.value.status == 409
    warning = a.status(FIELD)
    expect(warning).to_contain_text("Ben Novak saved this field at")
    expect(warning.locator(".pc-value")).to_have_text(BENS)
    field = a.item(FIELD).get_by_label(FIELD, exact=True)
    expect(field).to_have_value(ANAS)
    assert stored(org, agreement, item) == (BENS, 1, ben.pk)
    # The page again is a form on the revision Ana saw: Save, or Enter, is refused again.
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        field.press("Enter")
    assert answer.value.status == 409
    assert stored(org, agreement, item) == (BENS, 1, ben.pk)
    # Her explicit choice goes through.
    a.item(FIELD).get_by_role("button", name="Replace theirs with mine").click()
    expect(page).to_have_url(re.compile(rf"/agreements/{agreement.pk}/#item-{item.pk}$"))
    expect(page.locator(".pc-messages")).to_contain_text(f"Saved “{FIELD}”.")
    assert stored(org, agreement, item) == (ANAS, 2, ana.pk)
    context.close()
    ben_context.close()
