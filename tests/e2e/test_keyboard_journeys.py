"""The main journeys without a mouse: only the keyboard, as a keyboard or switch user works.

Nothing here clicks or fills: every control is reached with Tab (or Shift+Tab) from
where focus was, and used with Enter, Space, the arrow keys or typing. Locators only
name the control a step means to reach; `tab_to` asserts that Tab got there, and that
the control showed where focus was (a visible focus indicator).

(a) Sign in (a coordinator with the second factor too); (b) two partners fill and sign
their agreement, hear each save and a conflict announced, and keep focus when the
conflict's "Replace theirs with mine" button goes; (c) a partner proposes a session, the
other accepts it, a held session is logged and a goal step marked done; (d) a
coordinator runs matching and swaps two people, and focus stays on the swap button after
the HTMX update. What a screen reader is given to read is #pc-announce, the page's live
region (static/js/peercoach.js copies each update's status into it).
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scope
from playwright.sync_api import expect

from agreements.models import (
    Agreement,
    AgreementItem,
    AgreementTemplate,
    AgreementValue,
    Signature,
)
from agreements.services.create import agreements_start_missing
from peercoach.tenancy.models import Membership
from programs.models import Match, Program
from sessions.models import Session
from sessions.models.goals import Goal, GoalStep, Plan
from tests.factories import (
    TEST_PASSWORD,
    ApplicationFactory,
    MembershipFactory,
    ProgramFactory,
    UserFactory,
    match_make,
)

from .conftest import CSP_LISTENER, totp_code

pytestmark = pytest.mark.e2e

TAB_LIMIT = 80  # more stops than any page has before the control a step wants

# Where focus is, and whether it shows: an outline or a box shadow (Bootstrap's ring).
FOCUS_SHOWN = """el => {
  if (el !== document.activeElement) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== "none";
  return {visible: el.matches(":focus-visible") && Boolean(outline || shadow)};
}"""
ACTIVE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "(nothing: the body)";
  const name = el.getAttribute("aria-label") || (el.labels && el.labels[0]
    ? el.labels[0].textContent : el.textContent) || el.getAttribute("name") || "";
  return `${el.tagName.toLowerCase()} "${name.trim().replace(/\\s+/g, " ").slice(0, 60)}"`;
}"""


def tab_to(page, target, *, back=False, limit=TAB_LIMIT):
    """Press Tab (Shift+Tab with `back`) until `target` has focus; fail if it never does."""
    key = "Shift+Tab" if back else "Tab"
    target.wait_for(state="visible")
    seen = []
    for _ in range(limit):
        page.keyboard.press(key)
        shown = target.evaluate(FOCUS_SHOWN)
        if shown is not None:
            assert shown["visible"], f"{target} has focus but shows no focus indicator"
            return
        seen.append(page.evaluate(ACTIVE))
    raise AssertionError(f"{key} never reached {target}; it went through: {seen}")


def type_into(page, target, text):
    tab_to(page, target)
    page.keyboard.type(text)


def focused(page):
    return page.evaluate(ACTIVE)


def announced(page):
    """What the page's live regions say now (what a screen reader was given to read)."""
    return page.locator("#pc-announce").inner_text()


def new_page(browser, browser_log):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.on("console", lambda message: browser_log.console.append(message.text))
    page.on("pageerror", lambda error: browser_log.page_errors.append(str(error)))
    return context, page


def keyboard_sign_in(page, base, *, email, secret=None):
    page.goto(f"{base}/accounts/login/")
    type_into(page, page.get_by_label("Email"), email)
    type_into(page, page.get_by_label("Password"), TEST_PASSWORD)
    page.keyboard.press("Enter")  # submits the form, as a keyboard user would
    if secret:
        code = page.get_by_label(re.compile("code", re.I))
        type_into(page, code, totp_code(secret))
        page.keyboard.press("Enter")


def follow(page, link):
    """Tab to a link and press Enter on it."""
    tab_to(page, link)
    page.keyboard.press("Enter")


def assert_clean(browser_log):
    assert browser_log.page_errors == []
    assert browser_log.csp_violations == []


# --- (a) signing in -----------------------------------------------------------------------


def test_sign_in_with_the_keyboard_participant_and_coordinator(
    live_server, page, browser_log, org, participant, mfa_coordinator
):
    base = live_server.url
    keyboard_sign_in(page, base, email=participant.email)
    expect(page).to_have_url(f"{base}/o/{org.slug}/")

    lead, secret = mfa_coordinator
    context, lead_page = new_page(page.context.browser, browser_log)
    keyboard_sign_in(lead_page, base, email=lead.email, secret=secret)
    expect(lead_page).to_have_url(f"{base}/o/{org.slug}/console/")
    context.close()
    assert_clean(browser_log)


# --- (b) filling and signing an agreement -------------------------------------------------


@pytest.fixture
def agreement_setup(org):
    """Ana and Ben, a published pair with a short agreement: a clause, one shared choice,
    one field each fills for themselves."""
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
        template = AgreementTemplate.objects.create(
            organization=org, program=program, title="Our agreement", created_by=lead
        )
        for position, (kind, title, extra) in enumerate(
            [
                (AgreementItem.Kind.CLAUSE, "Confidentiality", {"body": "What we say stays."}),
                (
                    AgreementItem.Kind.SINGLE_CHOICE,
                    "Type of meeting",
                    {"choices": ["Zoom", "In person", "Phone"]},
                ),
                (AgreementItem.Kind.SHORT_TEXT, "My primary objective", {"per_party": True}),
            ],
            start=1,
        ):
            AgreementItem.objects.create(
                organization=org,
                template=template,
                position=position,
                kind=kind,
                title=title,
                **extra,
            )
        assert agreements_start_missing(program=program) == 1
        agreement = Agreement.objects.get(organization=org, program=program)
    return {"agreement": agreement, "ana": ana, "ben": ben}


def open_agreement(page, base, org, person):
    keyboard_sign_in(page, base, email=person.email)
    expect(page).to_have_url(f"{base}/o/{org.slug}/")
    follow(page, page.get_by_role("link", name="Fill in and sign the agreement"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Our agreement")


def saving(page):
    return page.expect_response(lambda r: r.request.method == "POST")


def meeting_field(page):
    return page.locator("li", has=page.get_by_role("heading", name="Type of meeting"))


def choose_meeting(page):
    """A radio group is one Tab stop; Space picks the focused option, the arrows move and
    pick. Each pick saves over HTMX and is announced."""
    with saving(page):
        tab_to(page, meeting_field(page).get_by_label("Zoom", exact=True))
        page.keyboard.press("Space")
    expect(page.locator("#pc-announce")).to_have_text("Saved.")
    with saving(page):
        page.keyboard.press("ArrowDown")
    expect(meeting_field(page).get_by_label("In person", exact=True)).to_be_checked()
    expect(page.locator("#pc-announce")).to_have_text("Saved.")


def fill_my_objective(page, person, objective):
    mine = page.get_by_label(f"{person.get_full_name()} (you)", exact=True)
    with page.expect_response(lambda r: r.request.method == "POST"):
        type_into(page, mine, objective)
        page.keyboard.press("Tab")  # leaving the field saves it
    expect(page.locator("#pc-announce")).to_have_text("Saved.")
    # Focus went on, to the field's Save button; nothing was lost to the page's top.
    assert focused(page).startswith('button "Save'), focused(page)


def sign(page, typed_name):
    """From the agreement page (fresh: focus at its top) to the signature."""
    follow(page, page.get_by_role("link", name="Review and sign"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Review and sign")
    tab_to(page, page.get_by_label("Type your full name"))  # filled from the account
    page.keyboard.press("Control+A")
    page.keyboard.type(typed_name)
    for box in (
        page.get_by_label(re.compile(r"^I agree to sign this agreement electronically")),
        page.get_by_label("I have read this agreement and I intend to be bound by it."),
    ):
        tab_to(page, box)
        page.keyboard.press("Space")
        expect(box).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Sign the agreement"))
    page.keyboard.press("Enter")
    # The last signature renders the sealed PDF before it answers (Celery runs eagerly).
    expect(page.locator(".pc-messages")).to_contain_text(
        "You signed the agreement.", timeout=30_000
    )


def test_partners_fill_and_sign_the_agreement_with_the_keyboard(
    live_server, page, browser_log, org, agreement_setup
):
    base = live_server.url
    ana, ben = agreement_setup["ana"], agreement_setup["ben"]
    agreement = agreement_setup["agreement"]

    # Both open the agreement; Ana picks the meeting type and fills her objective.
    open_agreement(page, base, org, ana)
    context, ben_page = new_page(page.context.browser, browser_log)
    open_agreement(ben_page, base, org, ben)
    choose_meeting(page)
    fill_my_objective(page, ana, "Delegate more")

    # Ben's page still shows the meeting type empty: his pick conflicts with Ana's, and
    # he hears the warning...
    with saving(ben_page):
        tab_to(ben_page, meeting_field(ben_page).get_by_label("Zoom", exact=True))
        ben_page.keyboard.press("Space")
    expect(ben_page.locator("#pc-announce")).to_contain_text("Ana Okafor saved this field at")
    expect(ben_page.locator("#pc-announce")).to_contain_text("Their version: In person")
    # ...reaches "Replace theirs with mine" with Tab, and keeps his. The button goes with
    # the warning; focus goes back to his choice, not to the top of the page.
    with saving(ben_page):
        tab_to(ben_page, ben_page.get_by_role("button", name="Replace theirs with mine"))
        ben_page.keyboard.press("Enter")
    expect(ben_page.locator("#pc-announce")).to_have_text("Saved.")
    assert focused(ben_page) == 'input "Zoom"', focused(ben_page)
    fill_my_objective(ben_page, ben, "Speak up earlier")
    # Both sign: Ana from a fresh load of the page (Ben's field completed it meanwhile).
    sign(ben_page, "Ben Novak")
    page.reload()
    sign(page, "Ana M. Okafor")
    expect(page.locator(".lead")).to_contain_text("Signed by everyone")
    context.close()
    with scope(organization=org):
        agreement.refresh_from_db()
        assert agreement.status == Agreement.Status.SIGNED
        assert Signature.objects.filter(agreement=agreement, voided_at=None).count() == 2
        meeting = AgreementValue.objects.get(agreement=agreement, item__title="Type of meeting")
        assert (meeting.value, meeting.updated_by_id) == ("Zoom", ben.pk)
    assert_clean(browser_log)


# --- (c) scheduling and logging a session -------------------------------------------------


@pytest.fixture
def pair_setup(org):
    with scope(organization=org):
        ana = UserFactory(email="ana@acme.example.org", first_name="Ana", last_name="Okafor")
        ben = UserFactory(email="ben@acme.example.org", first_name="Ben", last_name="Novak")
        for user in (ana, ben):
            MembershipFactory(organization=org, user=user)
        today = timezone.localdate()
        program = ProgramFactory(
            organization=org,
            name="Winter Reciprocal Coaching",
            status=Program.Status.RUNNING,
            format=Program.Format.RECIPROCAL,
            term_start=today - timedelta(days=20),
            term_end=today + timedelta(days=200),
            session_minutes=60,
            min_minutes_each=30,
        )
        match = match_make(program=program, users=[ana, ben], status=Match.Status.ACTIVE)
        plan = Plan.objects.create(organization=org, program=program, user=ana)
        goal = Goal.objects.create(organization=org, plan=plan, title="Delegate the release")
        GoalStep.objects.create(organization=org, goal=goal, text="Write the hand-over list")
    return {"match": match, "ana": ana, "ben": ben, "program": program}


def type_date(page, target, day):
    """A date input takes its parts as typed digits, in the order of the browser's locale
    (this Chromium's: month, day, year, whatever the page's language)."""
    type_into(page, target, day.strftime("%m%d%Y"))
    expect(target).to_have_value(day.isoformat())


def type_time(page, target, hour, minute):
    """The same for a time input: hours, minutes and, in a 12-hour locale, A or P."""
    type_into(page, target, f"{hour % 12 or 12:02d}{minute:02d}{'P' if hour >= 12 else 'A'}")
    expect(target).to_have_value(f"{hour:02d}:{minute:02d}")


def test_pair_schedules_accepts_and_logs_a_session_with_the_keyboard(
    live_server, page, browser_log, org, pair_setup
):
    base = live_server.url
    ana, ben, match = pair_setup["ana"], pair_setup["ben"], pair_setup["match"]
    today = timezone.localdate()

    keyboard_sign_in(page, base, email=ana.email)
    expect(page).to_have_url(f"{base}/o/{org.slug}/")
    follow(page, page.get_by_test_id("pair-card").get_by_role("link", name="Ben Novak"))
    follow(page, page.get_by_role("link", name="Schedule sessions"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Schedule sessions")
    type_date(page, page.get_by_label("Date 1", exact=True), today + timedelta(days=7))
    type_time(page, page.get_by_label("Start time 1", exact=True), 10, 0)
    tab_to(page, page.get_by_role("button", name="Propose these sessions"))
    page.keyboard.press("Enter")
    expect(page.locator(".pc-messages")).to_contain_text("You proposed a session.")

    context, ben_page = new_page(page.context.browser, browser_log)
    keyboard_sign_in(ben_page, base, email=ben.email)
    follow(ben_page, ben_page.get_by_test_id("home-waiting"))
    accept = ben_page.get_by_test_id("waiting-for-me").get_by_role("button", name="Accept")
    tab_to(ben_page, accept)
    ben_page.keyboard.press("Enter")
    expect(ben_page.locator(".pc-messages")).to_contain_text("Accepted: the session is scheduled.")
    context.close()
    with scope(organization=org):
        assert Session.objects.get(match=match).status == Session.Status.SCHEDULED

    # Ana logs yesterday's meeting.
    page.goto(f"{base}/o/{org.slug}/pairs/{match.pk}/")
    follow(page, page.get_by_role("link", name="Log a session"))
    form = page.get_by_test_id("log-form")
    type_date(page, form.get_by_label("Date"), today - timedelta(days=1))
    type_time(page, form.get_by_label("Start time"), 16, 0)
    length = form.get_by_label("Length (minutes)")
    tab_to(page, length)
    page.keyboard.press("Control+A")
    page.keyboard.type("60")
    halves = form.get_by_test_id("halves")
    type_into(page, halves.get_by_label("Ana Okafor coached Ben Novak (minutes)"), "30")
    type_into(page, halves.get_by_label("Ben Novak coached Ana Okafor (minutes)"), "30")
    type_into(page, form.get_by_label("Shared notes"), "We mapped the release checklist.")
    tab_to(page, form.get_by_role("button", name="Log the session"))
    page.keyboard.press("Enter")
    expect(page.locator(".pc-messages")).to_contain_text("The session is logged.")
    with scope(organization=org):
        assert Session.objects.filter(match=match, status=Session.Status.HELD).count() == 1

    # A step of her plan marked done: the button is replaced by its "Done" state, which
    # keeps focus (the first control of the new content), not the top of the page.
    page.goto(f"{base}/o/{org.slug}/programs/{pair_setup['program'].pk}/plan/")
    step = "Write the hand-over list"  # the button says "Mark done", then its name
    tab_to(page, page.get_by_role("button", name=re.compile(rf"^Mark done\s*: {step}$")))
    with page.expect_response(lambda r: r.url.endswith("/toggle/")):
        page.keyboard.press("Enter")
    done = page.get_by_role("button", name=re.compile(rf"^Done\s*: {step}$"))
    expect(done).to_have_attribute("aria-pressed", "true")
    expect(done).to_be_focused()
    assert_clean(browser_log)


# --- (d) pairing and swapping -------------------------------------------------------------


@pytest.fixture
def pairing_setup(org, mfa_coordinator):
    lead, secret = mfa_coordinator
    with scope(organization=org):
        program = ProgramFactory(
            organization=org,
            name="Spring Peer Coaching",
            status=Program.Status.OPEN,
            format=Program.Format.RECIPROCAL,
        )
        people = []
        for first in ("Ana", "Ben", "Cai"):
            user = UserFactory(
                email=f"{first.lower()}@acme.example.org", first_name=first, last_name="Tester"
            )
            MembershipFactory(organization=org, user=user)
            ApplicationFactory(program=program, user=user)
            people.append(user)
    return {"program": program, "lead": lead, "secret": secret, "people": people}


def test_coordinator_runs_matching_and_swaps_two_people_with_the_keyboard(
    live_server, page, browser_log, org, pairing_setup
):
    base = live_server.url
    program, lead = pairing_setup["program"], pairing_setup["lead"]
    keyboard_sign_in(page, base, email=lead.email, secret=pairing_setup["secret"])
    expect(page).to_have_url(f"{base}/o/{org.slug}/console/")
    page.goto(f"{base}/o/{org.slug}/programs/{program.pk}/pairing/")

    tab_to(page, page.get_by_role("button", name="Run matching"))
    page.keyboard.press("Enter")
    card = page.get_by_test_id("proposal-card")
    expect(card).to_have_count(1)
    waiting = page.get_by_test_id("waiting")
    with scope(organization=org):
        match = Match.objects.get(program=program)
        paired = sorted(match.members.values_list("user__first_name", flat=True))
    outgoing = paired[0]
    waiting_name = ({"Ana", "Ben", "Cai"} - set(paired)).pop()

    # Tick one member of the pair and the waiting person, then go back to "Swap".
    member_box = card.get_by_label(re.compile(outgoing))
    tab_to(page, member_box)
    page.keyboard.press("Space")
    waiting_box = waiting.get_by_label(re.compile(waiting_name))
    tab_to(page, waiting_box)
    page.keyboard.press("Space")
    expect(member_box).to_be_checked()
    expect(waiting_box).to_be_checked()
    swap = page.get_by_role("button", name="Swap (or pair) the two selected")
    tab_to(page, swap, back=True)
    page.evaluate("() => { window.__samePage = true; }")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("waiting")).to_contain_text(outgoing)
    expect(page.get_by_test_id("proposal-card")).to_contain_text(waiting_name)
    assert page.evaluate("() => window.__samePage === true"), "the swap reloaded the page"
    # Heard, and focus is back where it was: on the (new) swap button, not the page's top.
    expect(page.locator("#pc-announce")).to_contain_text("scores were recalculated")
    assert focused(page) == 'button "Swap (or pair) the two selected"', focused(page)
    assert_clean(browser_log)
