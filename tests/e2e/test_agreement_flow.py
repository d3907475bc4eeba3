"""Two partners fill, sign and download their coaching agreement, in Chromium, together.

A published pair of a running program gets the PeerSphere starter's agreement. Each
partner signs in through the real form in a browser of their own and opens the agreement
from their page. They fill it together: shared fields by one or the other, each their own
per-party fields (the other's are read-only). Every field saves over HTMX without a
reload. Both save the same shared field from the same revision: the second sees the
first's value in a warning, keeps their own choice in the form, and wins only by choosing
"Replace theirs with mine" (a plain save again is refused: see test_agreement_double_save).
Both sign; the last signature renders the sealed PDF (Celery runs eagerly), which they
download and which holds both typed names, an objective and the SHA-256.
"""

import os
import re
import subprocess
import time

import pytest
from django_scopes import scope
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from agreements.models import Agreement, AgreementItem, AgreementValue, Signature
from agreements.services.create import agreements_start_missing
from agreements.services.templates import template_from_starter
from peercoach.tenancy.models import Membership
from programs.models import Match, Program
from tests.factories import (
    TEST_PASSWORD,
    MembershipFactory,
    ProgramFactory,
    UserFactory,
    match_make,
)

from .conftest import CSP_LISTENER, SHOTS_DIR, sign_in

pytestmark = pytest.mark.e2e

PDF_PATH = SHOTS_DIR / "agreement.pdf"
PDF_WAIT_SECONDS = 60
ANA_TYPED_NAME = "Ana M. Okafor"  # what she types to sign (her account says "Ana Okafor")
ANA_OBJECTIVE = "Delegate more of the release work to my team"
BEN_OBJECTIVE = "Speak up earlier in design reviews"
SOCIAL_CONTRACT = ["We come prepared", "We do what we said we would", "Cameras on for calls"]


@pytest.fixture
def setup(org):
    """A running reciprocal program, Ana and Ben published as a pair, their agreement open."""
    with scope(organization=org):
        lead = UserFactory(email="lead@acme.example.org", first_name="Lena", last_name="Lead")
        MembershipFactory(organization=org, user=lead, role=Membership.Role.COORDINATOR)
        ana = UserFactory(email="ana@acme.example.org", first_name="Ana", last_name="Okafor")
        ben = UserFactory(email="ben@acme.example.org", first_name="Ben", last_name="Novak")
        for user in (ana, ben):
            MembershipFactory(organization=org, user=user)
        program = ProgramFactory(
            organization=org,
            name="Spring Peer Coaching",
            status=Program.Status.RUNNING,
            format=Program.Format.RECIPROCAL,
        )
        match_make(program=program, users=[ana, ben], status=Match.Status.ACTIVE)
        template = template_from_starter(program=program, starter_key="peersphere", user=lead)
        assert agreements_start_missing(program=program) == 1
        agreement = Agreement.objects.get(organization=org, program=program)
        items = {
            item.title: item
            for item in AgreementItem.objects.filter(organization=org, template=template)
        }
    return {"program": program, "agreement": agreement, "items": items, "ana": ana, "ben": ben}


def shot(page, name):
    """A full-page screenshot of any context's page (like the `screenshot` fixture).

    With the caret left alone: hiding it (Playwright's default) leaves an empty `style`
    attribute on every input, which htmx's settle step then copies onto the elements it
    swaps in, and the policy (no style attributes) reports that as a violation.
    """
    if not os.environ.get("PEERCOACH_SCREENSHOTS"):
        return None
    SHOTS_DIR.mkdir(parents=True, exist_ok=True)
    path = SHOTS_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, caret="initial")
    return path


def is_field_save(response):
    return response.request.method == "POST" and re.search(r"/fields/\d+/$", response.url)


def save(page, action):
    """Run `action` (which changes a field) and wait for its HTMX save to be answered."""
    with page.expect_response(is_field_save) as answer:
        action()
    response = answer.value
    assert response.status == 200, f"{response.url}: {response.status}"
    assert response.request.headers.get("hx-request") == "true", "not an HTMX save"


class Fill:
    """One party's view of the agreement page."""

    def __init__(self, page, items, me):
        self.page = page
        self.items = items
        self.me = me

    def item(self, title):
        return self.page.locator(f"#item-{self.items[title].pk}")

    def status(self, title, user=None):
        item = self.items[title]
        return self.page.locator(f"#status-{item.pk}-{user.pk if user else 0}")

    def _saved(self, title, user, action):
        save(self.page, action)
        expect(self.status(title, user)).to_contain_text("Saved.")

    def _type(self, locator):
        def action(value):
            locator.fill(value)
            locator.press("Tab")  # leaving the field fires "change"

        return action

    # Shared fields (labelled by their title; the label is visually hidden).
    def text(self, title, value):
        field = self.item(title).get_by_label(title, exact=True)
        self._saved(title, None, lambda: self._type(field)(value))

    def choose(self, title, option):
        radio = self.item(title).get_by_label(option, exact=True)
        self._saved(title, None, radio.check)

    def other_frequency(self, title, how_often):
        field = self.item(title).get_by_label("If other, how often:", exact=True)
        self._saved(title, None, lambda: self._type(field)(how_often))

    # The viewer's own per-party fields (labelled "<name> (you)").
    def my_text(self, title, value):
        field = self.item(title).get_by_label(f"{self.me.get_full_name()} (you)", exact=True)
        self._saved(title, self.me, lambda: self._type(field)(value))

    def my_choice(self, title, option):
        group = self.item(title).get_by_role(
            "group", name=f"{self.me.get_full_name()} (you)", exact=True
        )
        self._saved(title, self.me, group.get_by_label(option, exact=True).check)

    def assert_read_only(self, title, other, shown):
        """`other`'s cell of a per-party field: text, no input, no "(you)" label."""
        item = self.item(title)
        other_name = other.get_full_name()
        expect(item.get_by_text(f"{other_name}:", exact=True)).to_be_visible()
        expect(item).to_contain_text(f"{other_name}: {shown}")
        expect(item.locator(f"[id^='f-{self.items[title].pk}-{other.pk}']")).to_have_count(0)
        expect(self._mine(item, other)).to_have_count(0)
        expect(item.locator("form")).to_have_count(1)  # the viewer's own cell only
        expect(self._mine(item, self.me)).to_have_count(1)

    @staticmethod
    def _mine(item, user):
        """The input (or, for choices, the group) labelled "<user's name> (you)"."""
        name = f"{user.get_full_name()} (you)"
        return item.get_by_label(name, exact=True).or_(
            item.get_by_role("group", name=name, exact=True)
        )


def open_context(browser, browser_log):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.on("console", lambda message: browser_log.console.append(message.text))
    page.on("pageerror", lambda error: browser_log.page_errors.append(str(error)))
    return context, page


def mark_page(page):
    page.evaluate("() => { window.__samePage = true; }")


def assert_same_page(page):
    assert page.evaluate("() => window.__samePage === true"), "a save reloaded the page"


def sign(page, *, typed_name):
    page.get_by_role("link", name="Review and sign").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review and sign")
    page.get_by_label("Type your full name").fill(typed_name)
    page.get_by_label(re.compile(r"^I agree to sign this agreement electronically")).check()
    page.get_by_label("I have read this agreement and I intend to be bound by it.").check()
    page.get_by_role("button", name="Sign the agreement").click()
    expect(page).to_have_url(re.compile(r"/agreements/\d+/#signatures$"))
    expect(page.locator(".pc-messages")).to_contain_text("You signed the agreement.")


def download_pdf(page, detail_url):
    """Click "Download the signed PDF"; while the PDF is being prepared, refresh (bounded)."""
    deadline = time.monotonic() + PDF_WAIT_SECONDS
    link = page.get_by_role("link", name=re.compile(r"^(Download the signed PDF|Refresh)$"))
    while True:
        try:
            with page.expect_download(timeout=10_000) as info:
                link.first.click()
            return info.value
        except PlaywrightTimeoutError:
            text = page.locator("main, body").first.inner_text()
            if "could not be prepared" in text or "cannot be found" in text:
                pytest.fail(f"the PDF failed: {text}")
            if time.monotonic() > deadline:
                pytest.fail(f"no PDF after {PDF_WAIT_SECONDS}s; the page says: {text[:500]}")
            time.sleep(2)
            if not page.url.rstrip("/").endswith("/pdf"):
                page.goto(detail_url)


def pdf_text(path):
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def pdf_render_pages(path):
    """Page 1 and the last page as PNGs (60 dpi) next to the PDF; returns their paths."""
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))
    rendered = []
    for number, name in ((1, "agreement-page-1"), (pages, "agreement-page-last")):
        prefix = SHOTS_DIR / name
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-f", str(number), "-l", str(number)]
            + ["-singlefile", str(path), str(prefix)],
            check=True,
            capture_output=True,
        )
        rendered.append(prefix.with_suffix(".png"))
    return pages, rendered


def test_partners_fill_sign_and_download_their_agreement(
    live_server, browser, page, browser_log, screenshot, org, setup
):
    ana, ben, items = setup["ana"], setup["ben"], setup["items"]
    program, agreement = setup["program"], setup["agreement"]
    detail_url = f"{live_server.url}/o/{org.slug}/agreements/{agreement.pk}/"

    # Ana signs in and follows the link on her home page.
    sign_in(page, live_server.url, email=ana.email, password=TEST_PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/o/{org.slug}/")
    expect(page.get_by_test_id("home-agreement")).to_contain_text("Agreement: signed by 0 of 2")
    page.get_by_role("link", name="Fill in and sign the agreement").click()
    expect(page).to_have_url(detail_url)

    # Ben, in a browser of his own, follows the link on the program's page.
    ben_context, ben_page = open_context(browser, browser_log)
    sign_in(ben_page, live_server.url, email=ben.email, password=TEST_PASSWORD)
    expect(ben_page).to_have_url(f"{live_server.url}/o/{org.slug}/")
    ben_page.goto(f"{live_server.url}/o/{org.slug}/programs/{program.pk}/")
    ben_page.get_by_test_id("my-match").get_by_role(
        "link", name="Fill in and sign the agreement"
    ).click()
    expect(ben_page).to_have_url(detail_url)

    for p in (page, ben_page):
        expect(p.get_by_role("heading", level=1)).to_have_text("Coaching partnership agreement")
        expect(p.locator(".lead")).to_contain_text("Signed by 0 of 2")
        expect(p.get_by_test_id("agreement-number")).to_have_text("No. 1")  # the pair's own
        expect(p.get_by_test_id("missing")).to_be_visible()
        mark_page(p)
    a = Fill(page, items, ana)
    b = Fill(ben_page, items, ben)

    # Names and emails start from the accounts; the other party's are read-only.
    expect(a.item("Name").get_by_label("Ana Okafor (you)")).to_have_value("Ana Okafor")
    a.assert_read_only("Name", ben, "Ben Novak")
    b.assert_read_only("Email", ana, "ana@acme.example.org")
    a.assert_read_only("My primary objective", ben, "(not filled in yet)")
    b.assert_read_only("My primary objective", ana, "(not filled in yet)")

    # Both have "Type of meeting" loaded at revision 0. Ana saves first...
    a.choose("Type of meeting", "Zoom")
    # ...then Ben, from his stale form, picks something else: he is warned, nothing lost.
    meeting = b.item("Type of meeting")
    save(ben_page, meeting.get_by_label("In person", exact=True).check)
    warning = b.status("Type of meeting")
    expect(warning).to_contain_text("Ana Okafor saved this field at")
    expect(warning).to_contain_text("while you were editing. Their version:")
    expect(warning.locator(".pc-value")).to_have_text("Zoom")
    expect(warning).to_contain_text("Yours was not saved; it is still in the form.")
    expect(meeting.get_by_label("In person", exact=True)).to_be_checked()
    expect(meeting.get_by_label("Zoom", exact=True)).not_to_be_checked()
    shot(ben_page, "agreement-conflict")
    with scope(organization=org):
        row = AgreementValue.objects.get(agreement=agreement, item=items["Type of meeting"])
        assert (row.value, row.revision, row.updated_by_id) == ("Zoom", 1, ana.pk)
    # Ben chooses to replace Ana's choice with his.
    save(ben_page, meeting.get_by_role("button", name="Replace theirs with mine").click)
    expect(warning).to_contain_text("Saved.")
    expect(warning).not_to_contain_text("while you were editing")
    with scope(organization=org):
        row.refresh_from_db()
        assert (row.value, row.revision, row.updated_by_id) == ("In person", 2, ben.pk)

    # Shared fields, by one or the other.
    a.text("Confidentiality", "What we say stays between us, unless the law requires otherwise.")
    b.choose("How often we meet", "Every two weeks")
    a.text("How long a meeting lasts", "1:00")
    b.text("Where we meet", "The small meeting room on the 3rd floor, phones away")
    a.text("If one of us has to cancel", "A day's notice by text message; we rebook that week.")
    # "Other" needs its text: first the message, then the save.
    review = b.item("How often we review our progress")
    save(ben_page, review.get_by_label("Other (say which)", exact=True).check)
    expect(b.status("How often we review our progress")).to_contain_text("Say how often")
    b.other_frequency("How often we review our progress", "After every second meeting")
    a.text("Our partnership ends on", "2026-06-30")
    b.text("Our social contract", "\n".join(SOCIAL_CONTRACT))

    # Each their own fields.
    a.my_text("Office phone", "+49 30 1234 5678")
    a.my_text("Mobile phone (calls or texts)", "+49 170 555 0101")
    a.my_choice("Best way to reach me", "Text message")
    a.my_text("Best time to reach me", "Weekday mornings")
    a.my_text("My primary objective", ANA_OBJECTIVE)
    b.my_text("Mobile phone (calls or texts)", "+49 171 555 0202")
    b.my_choice("Best way to reach me", "Email")
    b.my_text("Best time to reach me", "After 3 pm")
    expect(b.item("My primary objective").get_by_label("Ben Novak (you)")).to_be_visible()
    expect(ben_page.get_by_test_id("missing")).to_contain_text("My primary objective (Ben Novak)")
    expect(ben_page.get_by_role("link", name="Review and sign")).to_have_count(0)
    # Ben fills the last required field: "Review and sign" appears without a reload.
    b.my_text("My primary objective", BEN_OBJECTIVE)
    expect(ben_page.get_by_test_id("missing")).to_have_count(0)
    expect(ben_page.get_by_role("link", name="Review and sign")).to_be_visible()
    for p in (page, ben_page):
        assert_same_page(p)

    # After a reload each sees the other's answers, read-only.
    page.reload()
    expect(page.get_by_role("link", name="Review and sign")).to_be_visible()
    a.assert_read_only("My primary objective", ben, BEN_OBJECTIVE)
    a.assert_read_only("Best way to reach me", ben, "Email")
    expect(a.item("Type of meeting").get_by_label("In person", exact=True)).to_be_checked()
    expect(a.item("Our social contract").get_by_role("textbox")).to_have_value(
        "\n".join(SOCIAL_CONTRACT)
    )
    screenshot("agreement-filled")
    ben_page.reload()
    b.assert_read_only("My primary objective", ana, ANA_OBJECTIVE)
    b.assert_read_only("Office phone", ana, "+49 30 1234 5678")
    shot(ben_page, "agreement-filled-ben")

    with scope(organization=org):
        values = {
            (row.item.title, row.party_id): row.value
            for row in AgreementValue.objects.filter(agreement=agreement).select_related("item")
        }
    assert values[("How often we meet", None)] == {"every": "fortnightly", "other": ""}
    assert values[("How long a meeting lasts", None)] == 60
    assert values[("Our partnership ends on", None)] == "2026-06-30"
    assert values[("Our social contract", None)] == SOCIAL_CONTRACT
    assert values[("How often we review our progress", None)] == {
        "every": "other",
        "other": "After every second meeting",
    }
    assert values[("My primary objective", ana.pk)] == ANA_OBJECTIVE
    assert values[("My primary objective", ben.pk)] == BEN_OBJECTIVE
    assert values[("Best way to reach me", ana.pk)] == "Text message"
    assert ("Office phone", ben.pk) not in values

    # Both sign.
    sign(page, typed_name=ANA_TYPED_NAME)
    expect(page.locator(".lead")).to_contain_text("Signed by 1 of 2")
    expect(page.locator("#signatures")).to_contain_text("You have signed. Waiting for: Ben Novak")
    ben_page.reload()
    expect(ben_page.locator("#signatures")).to_contain_text(f"{ANA_TYPED_NAME} signed on")
    sign(ben_page, typed_name="Ben Novak")
    expect(ben_page.locator(".lead")).to_contain_text("Signed by everyone")
    expect(ben_page.locator("#signatures")).to_contain_text("Signed by everyone on")
    shot(ben_page, "agreement-signed-ben")
    page.reload()
    expect(page.locator(".lead")).to_contain_text("Signed by everyone")
    expect(page.locator("#signatures")).to_contain_text("SHA-256")
    screenshot("agreement-signed")

    with scope(organization=org):
        agreement.refresh_from_db()
        assert agreement.status == Agreement.Status.SIGNED
        signatures = Signature.objects.filter(agreement=agreement, voided_at__isnull=True)
        assert sorted(signatures.values_list("typed_name", flat=True)) == [
            ANA_TYPED_NAME,
            "Ben Novak",
        ]
        assert {s.content_sha256 for s in signatures} == {agreement.content_sha256}

    # The signed PDF, downloaded from the agreement page.
    download = download_pdf(page, detail_url)
    SHOTS_DIR.mkdir(parents=True, exist_ok=True)
    download.save_as(PDF_PATH)
    data = PDF_PATH.read_bytes()
    assert data.startswith(b"%PDF"), data[:40]
    with scope(organization=org):
        agreement.refresh_from_db()
        assert agreement.pdf_sealed and agreement.pdf_error == ""
    text = " ".join(pdf_text(PDF_PATH).split())
    squeezed = "".join(text.split())
    for expected in (ANA_TYPED_NAME, "Ben Novak", ANA_OBJECTIVE, BEN_OBJECTIVE, "SHA-256", "No. 1"):
        assert expected in text, f"{expected!r} is not in the PDF"
    assert agreement.content_sha256 in squeezed
    pages, pngs = pdf_render_pages(PDF_PATH)
    assert pages >= 2 and all(png.exists() for png in pngs), (pages, pngs)

    ben_context.close()
    assert browser_log.page_errors == [], browser_log.page_errors
    assert browser_log.csp_violations == [], browser_log.csp_violations
