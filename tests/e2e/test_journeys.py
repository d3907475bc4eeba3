"""The five seed programs from first click to re-pairing, in Chromium, as their people would.

One journey per demo organisation (One IT, WIT, PeerSphere, ATC, Power of Peer Coaching
Circles), each in a fresh organisation made by the factories, with a small cohort whose
groups, communities and preferred roles follow the seed's shape:

 1. the coordinator signs in (with two-factor) and creates the program with the seed's
    format, rules and rhythm;
 2. starts the application form from the standard questions and gives the group
    question the seed's groups (and communities), picks the seed's agreement starter and
    opens applications;
 3. invites the cohort by uploading a CSV file;
 4. each participant, in a browser of their own, accepts the emailed invitation
    (creating an account) and applies;
 5. the coordinator accepts the applications and runs matching;
 6. swaps two people between proposals (an HTMX edit), then runs matching again: the
    page promises that hand-made pairs are kept, so the swapped groups must survive;
 7. publishes;
 8. the members of one pair or circle fill in their agreement (one field typed and then
    saved with its button, as people do) and all sign it;
 9. one of them logs a session and another ticks the first-session checklist;
10. one member opts out and asks for a new partner;
11. the coordinator follows "Re-pair" from the opt-out queue and re-pairs them: pairs by
    hand with the person left waiting, circles by accepting two late applicants and
    running matching again; then publishes, and the person sees the new partner.

After every page load and every HTMX swap the journey checks the browser's record: no
console error, no Content-Security-Policy violation, no page error, no answer >= 500.
Those checks, and the product promises the issue names (hand edits survive a re-run,
every count an HTMX answer changes is updated, one save per user action), are collected
per step rather than stopping the journey, so one run shows every broken promise; the
test fails at its end listing them all.

Screenshots of each step go to /tmp/shots-journeys/ when PEERCOACH_SCREENSHOTS is set.
"""

import os
import re
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from django_scopes import scope
from playwright.sync_api import expect

from agreements.models import Agreement
from peercoach.tenancy.models import Membership
from programs.models import Application, Match, MatchMember, Program, Question
from sessions.models import OptOut, Session
from tests.factories import (
    TEST_PASSWORD,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    totp_activate,
)

from .conftest import CSP_LISTENER, CSP_MARKERS, submit_form_with, totp_code

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/shots-journeys")  # noqa: S108 - where the lead looks for them
Cadence, Format = Program.Cadence, Program.Format


# --- The seeds, as small cohorts ------------------------------------------------------


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    group: str
    level: int = 2  # index into the standard role-level options
    role: str = "both"  # preferred role: coach, coachee or both
    late: bool = False  # applies, but is accepted only when the coordinator re-pairs


@dataclass(frozen=True)
class Seed:
    slug: str
    org_name: str
    program: dict
    group_label: str
    groups: tuple  # lines of the group question: "Group" or "Group | Community"
    starter: str
    people: tuple

    @property
    def is_circle(self):
        return self.program["format"] == Format.CIRCLE

    def email(self, person):
        return f"{person.first.lower()}@{self.slug}.example.org"


SEEDS = [
    Seed(
        slug="one-it",
        org_name="One IT",
        program={
            "name": "One IT Peer Coaching",
            "description": "A coach from another IT unit works with a peer, monthly.",
            "format": Format.ONE_WAY,
            "cadence_days": Cadence.MONTHLY,
            "session_minutes": 60,
            "different_group": True,
            "weight_roles": 5,
        },
        group_label="Which IT unit do you work in?",
        groups=("Service Desk", "Infrastructure", "Security", "Research Computing", "Web"),
        starter="one_way",
        people=(
            Person("Amira", "Haddad", "Service Desk", role="coach"),
            Person("Bruno", "Keller", "Infrastructure", role="coachee"),
            Person("Chloe", "Martin", "Security", role="coach"),
            Person("Dev", "Patel", "Research Computing", role="coachee"),
            Person("Elif", "Yilmaz", "Web", role="both"),
        ),
    ),
    Seed(
        slug="wit",
        org_name="WIT Peer Mentoring Group",
        program={
            "name": "WIT Peer Coaching",
            "description": "Colleagues from different groups coach each other.",
            "format": Format.RECIPROCAL,
            "cadence_days": Cadence.PAIR_CHOOSES,
            "session_minutes": 60,
            "different_group": True,
            "seniority_rule": Program.Seniority.DIFFERENT,
            "weight_traits": 8,
        },
        group_label="Which group do you work in?",
        groups=("Academic Technology", "Enterprise Systems", "Networking", "Client Services")
        + ("Information Security",),
        starter="reciprocal",
        people=(
            Person("Farah", "Ali", "Academic Technology", level=0),
            Person("Goran", "Nilsen", "Enterprise Systems", level=3),
            Person("Hana", "Sato", "Networking", level=1),
            Person("Ivo", "Horvat", "Client Services", level=2),
            Person("Jade", "Moreau", "Information Security", level=3),
        ),
    ),
    Seed(
        slug="peersphere",
        org_name="PeerSphere",
        program={
            "name": "PeerSphere Coaching Pairs",
            "description": "Every member meets a counterpart from the other campus.",
            "format": Format.RECIPROCAL,
            "cadence_days": Cadence.PAIR_CHOOSES,
            "session_minutes": 60,
            "different_group": True,
            "cross_community": True,
        },
        group_label="Which campus and section do you work in?",
        groups=(
            "Riverside – Early years | Riverside campus",
            "Hillside – Early years | Hillside campus",
            "Riverside – Primary | Riverside campus",
            "Hillside – Primary | Hillside campus",
            "Riverside – Secondary | Riverside campus",
        ),
        starter="peersphere",
        people=(
            Person("Kofi", "Mensah", "Riverside – Early years"),
            Person("Lena", "Vogel", "Hillside – Early years"),
            Person("Mei", "Chen", "Riverside – Primary"),
            Person("Nils", "Berg", "Hillside – Primary"),
            Person("Olga", "Ivanova", "Riverside – Secondary"),
        ),
    ),
    Seed(
        slug="atc",
        org_name="ATC Peer Coaching",
        program={
            "name": "ATC Peer Coaching",
            "description": "Partners take turns, at least 45 minutes each way, every two weeks.",
            "format": Format.RECIPROCAL,
            "cadence_days": Cadence.FORTNIGHTLY,
            "session_minutes": 90,
            "min_minutes_each": 45,
            "different_group": True,
        },
        group_label="Which sector is your organisation in?",
        groups=("Health", "Housing", "Youth", "Environment", "Arts and culture"),
        starter="reciprocal",
        people=(
            Person("Pia", "Larsen", "Health"),
            Person("Quinn", "Byrne", "Housing"),
            Person("Rosa", "Silva", "Youth"),
            Person("Sami", "Koski", "Environment"),
            Person("Tara", "Walsh", "Arts and culture"),
        ),
    ),
    Seed(
        slug="power-circles",
        org_name="Power of Peer Coaching Circles",
        program={
            "name": "Peer Coaching Circles",
            "description": "Circles of five meet monthly for two and a half hours.",
            "format": Format.CIRCLE,
            "cadence_days": Cadence.MONTHLY,
            "session_minutes": 150,
            "min_minutes_each": 25,
            # The seed's circles have five members; three here, so that six people
            # make two circles and a hand edit can move someone between them.
            "circle_size": 3,
            "different_group": True,
        },
        group_label="Which service area do you work in?",
        groups=(
            "Early learning",
            "Family services",
            "Youth programs",
            "Community health",
            "Adult education",
            "Disability services",
        ),
        starter="circle",
        people=(
            Person("Uma", "Rao", "Early learning", level=0),
            Person("Viktor", "Lind", "Family services", level=1),
            Person("Wren", "Hughes", "Youth programs", level=2),
            Person("Xia", "Wang", "Community health", level=3),
            Person("Yusuf", "Demir", "Adult education", level=1),
            Person("Zoe", "Fischer", "Disability services", level=2),
            # Two late applicants: they form a new circle with whoever leaves one.
            Person("Cyrus", "Nazari", "Youth programs", late=True),
            Person("Dana", "Okoye", "Community health", late=True),
        ),
    ),
]


# --- The journey's record -------------------------------------------------------------


@dataclass
class Journey:
    """What the browsers did, step by step, and every promise the product broke."""

    seed: Seed
    base: str
    browser: object
    browser_log: object
    step: str = "start"
    problems: list = field(default_factory=list)  # (step, text) not yet checked
    failures: list = field(default_factory=list)  # (step, text)
    contexts: list = field(default_factory=list)
    shots: int = 0
    timings: list = field(default_factory=list)  # (step, seconds it started at)

    # Browsers ---------------------------------------------------------------------------

    def open(self):
        """A new person's browser, every console line, page error and answer recorded."""
        context = self.browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        context.set_default_timeout(15_000)
        context.add_init_script(CSP_LISTENER)
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)
        page.on("response", self._on_response)
        page.on("dialog", lambda dialog: dialog.accept())  # data-confirm's confirm()
        return page

    def _on_console(self, message):
        self.browser_log.console.append(message.text)
        if message.type == "error" or any(m in message.text for m in CSP_MARKERS):
            self.problems.append((self.step, f"console {message.type}: {message.text}"))

    def _on_page_error(self, error):
        self.browser_log.page_errors.append(str(error))
        self.problems.append((self.step, f"page error: {error}"))

    def _on_response(self, response):
        if response.request.resource_type == "document":
            self.browser_log.documents.append(response)
        if response.status >= 500:
            self.problems.append((self.step, f"HTTP {response.status} {response.url}"))

    def close(self):
        for context in self.contexts:
            context.close()

    # Checks -----------------------------------------------------------------------------

    def at(self, step):
        self.step = step
        self.timings.append((step, time.monotonic()))

    def timing_report(self):
        marks = [*self.timings, ("end", time.monotonic())]
        return ", ".join(
            f"{step.split()[0]}: {later - at:.1f}s"
            for (step, at), (_next, later) in zip(marks, marks[1:], strict=False)
        )

    def clean(self, where):
        """After a page load or an HTMX swap: nothing went wrong in any browser."""
        for page in self._pages():
            page.wait_for_load_state("load")
        if self.problems:
            for step, text in self.problems:
                self.failures.append((step, f"{where}: {text}"))
            self.problems.clear()

    def _pages(self):
        return [page for context in self.contexts for page in context.pages]

    def check(self, ok, text):
        """A promise the product makes; recorded, and the journey goes on."""
        if not ok:
            self.failures.append((self.step, text))
        return ok

    def goto(self, page, path, where=None):
        response = page.goto(f"{self.base}{path}")
        self.check(response is not None and response.status < 400, f"GET {path}: {response}")
        self.clean(where or f"GET {path}")
        return response

    def shot(self, page, name):
        if not os.environ.get("PEERCOACH_SCREENSHOTS"):
            return
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.shots += 1
        path = SHOTS / f"{self.seed.slug}-{self.shots:02d}-{name}.png"
        # caret="initial": hiding the caret leaves style="" on inputs, which a later swap
        # copies and the policy (no inline styles) then reports.
        page.screenshot(path=str(path), full_page=True, caret="initial")


# --- Helpers ----------------------------------------------------------------------------


def messages(page):
    return page.locator(".pc-messages")


def invitation_paths():
    """The /invite/<token>/ path of every invitation email sent, by address."""
    paths = {}
    for message in mail.outbox:
        found = re.search(r"/invite/[^/\s]+/", message.body)
        if found:
            paths[message.to[0]] = found.group(0)
    return paths


def fill_program_form(page, seed):
    spec = seed.program
    today = timezone.localdate()
    page.locator("#id_name").fill(spec["name"])
    page.locator("#id_description").fill(spec["description"])
    page.locator(f"input[name=format][value={spec['format']}]").check()
    page.locator("#id_term_start").fill(today.isoformat())
    page.locator("#id_term_end").fill((today + timedelta(days=180)).isoformat())
    page.locator("#id_cadence_days").select_option(str(int(spec["cadence_days"])))
    page.locator("#id_session_minutes").fill(str(spec["session_minutes"]))
    page.locator("#id_min_minutes_each").fill(str(spec.get("min_minutes_each", 0)))
    if "circle_size" in spec:
        page.locator("#id_circle_size").fill(str(spec["circle_size"]))
    page.locator("#id_different_group").set_checked(spec["different_group"])
    page.locator("#id_cross_community").set_checked(spec.get("cross_community", False))
    if "seniority_rule" in spec:
        page.locator("#id_seniority_rule").select_option(spec["seniority_rule"])
    for weight in ("weight_traits", "weight_roles"):
        if weight in spec:
            page.locator(f"#id_{weight}").fill(str(spec[weight]))


def answer_application(page, seed, person, questions, index):
    """Fill the application form as `person`: their group, level and preferred role, the
    middle of each scale (so no two people sit at an extreme), one or two choices."""
    for question in questions:
        if not question.required:
            continue
        name = f"q{question.pk}"
        options = question.options
        if question.kind == Question.Kind.GROUP:
            value = person.group
        elif question.kind == Question.Kind.ROLE_LEVEL:
            value = options[person.level]
        elif question.kind == Question.Kind.PREFERRED_ROLE:
            value = person.role
        elif question.kind == Question.Kind.TRAIT and question.is_scale:
            value = str(question.scale_low + 1 + index % 3)
        elif question.is_multiple:
            for option in {options[index % len(options)], options[0]}:
                page.locator(f"input[name={name}][value='{option}']").check()
            continue
        elif question.kind in {Question.Kind.GOALS, Question.Kind.TEXT}:
            page.locator(f"textarea[name={name}]").fill(f"{person.first} wants to listen better.")
            continue
        elif options:
            value = options[index % len(options)]
        else:
            page.locator(f"input[name={name}]").fill("Something")
            continue
        control = page.locator(f"[name={name}]")
        if control.first.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            page.locator(f"input[name={name}][value='{value}']").check()


def run_matching(page):
    """Click "Run matching" and wait for the page that follows (the run is over by then:
    the task runs eagerly before the redirect), not the one the click was made on."""
    with page.expect_navigation():
        page.get_by_role("button", name="Run matching").click()
    expect(page.get_by_test_id("last-run")).to_be_visible()


def publish_button(page):
    return page.get_by_role("button", name=re.compile(r"^Publish \d+ proposals?$"))


def published_count_shown(page):
    return int(re.search(r"\d+", publish_button(page).inner_text()).group(0))


def check_publish_count(journey, page, where):
    """Every count an HTMX answer changes is updated: the Publish button included."""
    cards = page.get_by_test_id("proposal-card").count()
    shown = published_count_shown(page)
    journey.check(
        shown == cards,
        f"{where}: the Publish button says {shown} while the page shows {cards} proposal(s)",
    )
    journey.check(
        publish_button(page).is_enabled() == (cards > 0),
        f"{where}: the Publish button is {'enabled' if cards == 0 else 'disabled'} "
        f"with {cards} proposal(s)",
    )


def proposed_groups(org, program):
    """{frozenset of application ids} of the program's proposals, from the database."""
    with scope(organization=org):
        return {
            frozenset(m.members.values_list("application_id", flat=True))
            for m in Match.objects.filter(program=program, status=Match.Status.PROPOSED)
        }


def applications_of(org, program):
    with scope(organization=org):
        return {a.pk: a for a in Application.objects.filter(program=program).select_related("user")}


def allowed_together(program, applications):
    """The hard rules a hand edit must keep: different groups, different communities."""
    groups = [a.group for a in applications]
    if program.different_group and len(set(groups)) < len(groups):
        return False
    if program.cross_community:
        communities = [a.community for a in applications]
        if len(set(communities)) < len(communities):
            return False
    return True


def check_seed_shape(journey, program, proposals, apps):
    """Every proposal keeps the seed's hard rules; one-way pairs have a coach and a peer."""
    for group in proposals:
        people = [apps[i] for i in group]
        names = sorted(a.user.display_name for a in people)
        journey.check(allowed_together(program, people), f"{names} break a hard rule")
        size_ok = len(group) == 2 if program.is_pairs else 3 <= len(group) <= 8
        journey.check(size_ok, f"{names}: a group of {len(group)} in a {program.format} program")
    if program.format == Format.ONE_WAY:
        with scope(organization=program.organization):
            for match in Match.objects.filter(program=program, status=Match.Status.PROPOSED):
                roles = sorted(match.members.values_list("role", flat=True))
                journey.check(roles == ["coach", "coachee"], f"a one-way pair with roles {roles}")


def swap_candidates(program, proposals, apps):
    """Two people in two different proposals whose exchange keeps every hard rule (and,
    in one-way pairs, each their role)."""
    groups = [sorted(group) for group in proposals]
    roles = {}
    with scope(organization=program.organization):
        for member in MatchMember.objects.filter(program=program, match__status="proposed"):
            roles[member.application_id] = (member.match_id, member.role)
    for i, first in enumerate(groups):
        for second in groups[i + 1 :]:
            for a in first:
                for b in second:
                    if roles[a][1] != roles[b][1]:
                        continue
                    one = [apps[x] for x in first if x != a] + [apps[b]]
                    two = [apps[x] for x in second if x != b] + [apps[a]]
                    if allowed_together(program, one) and allowed_together(program, two):
                        return (roles[a][0], a), (roles[b][0], b)
    return None


def fill_agreement(journey, page, me, *, with_button):
    """Fill every required field still missing that is `me`'s to fill, one save each.

    With `with_button`, the first text field is typed and then saved with its own Save
    button, as people do: that must be one save, not two.
    """
    filled = 0
    missing = page.get_by_test_id("missing")
    if missing.count() == 0:
        return filled
    entries = []
    for item in missing.get_by_role("listitem").all():
        href = item.get_by_role("link").get_attribute("href")
        text = item.inner_text()
        owner = re.search(r"\(([^()]*)\)\s*$", text)
        if owner and owner.group(1) != me.display_name:
            continue
        entries.append(href)
    for href in entries:
        form = page.locator(f"{href} form.pc-field")
        if form.count() == 0:
            continue
        with_button = _fill_cell(journey, page, form.first, with_button) and with_button
        filled += 1
    return filled


def _is_field_save(response):
    return response.request.method == "POST" and re.search(r"/fields/\d+/$", response.url)


def _fill_cell(journey, page, form, with_button):
    """Fill one field's form; returns True when the Save button was not used yet."""
    saves = []

    def count(response):
        if _is_field_save(response):
            saves.append(response)

    page.on("response", count)
    try:
        text = form.locator("textarea, input[type=text]:not([name=other]), input[type=date]")
        if form.locator("input[type=radio][name=every]").count():
            radio = form.locator("input[type=radio][name=every]:not([value=other])").first
            with page.expect_response(_is_field_save):
                radio.check()
            used_button = False
        elif form.locator("input[type=radio], input[type=checkbox]").count():
            with page.expect_response(_is_field_save):
                form.locator("input[type=radio], input[type=checkbox]").first.check()
            used_button = False
        else:
            control = text.first
            kind = control.get_attribute("type") or "textarea"
            hint = form.inner_text()
            if kind == "date":
                value = (timezone.localdate() + timedelta(days=150)).isoformat()
            elif control.get_attribute("inputmode") == "decimal":
                value = "2"
            elif "Minutes, e.g." in hint:
                value = "60"
            else:
                value = "We agree on this together."
            control.fill(value)
            if with_button:
                # Typing, then the Save button: the way most people save a text.
                with page.expect_response(_is_field_save):
                    form.get_by_role("button", name=re.compile(r"^Save")).click()
                used_button = True
            else:
                with page.expect_response(_is_field_save):
                    control.press("Tab")  # leaving the field fires "change"
                used_button = False
        status = form.locator(".pc-status")
        expect(status).to_contain_text("Saved.")
        if used_button:
            page.wait_for_timeout(300)  # a second save, if any, would be under way by now
    finally:
        page.remove_listener("response", count)
    journey.check(
        len(saves) == 1,
        f"one action on an agreement field sent {len(saves)} saves"
        + (" (typed, then its Save button)" if used_button else ""),
    )
    journey.clean("agreement field saved (HTMX)")
    return not used_button


def sign_agreement(journey, page, typed_name):
    page.get_by_role("link", name="Review and sign").click()
    journey.clean("sign page")
    page.get_by_label("Type your full name").fill(typed_name)
    page.get_by_label(re.compile(r"^I agree to sign this agreement electronically")).check()
    page.get_by_label("I have read this agreement and I intend to be bound by it.").check()
    page.get_by_role("button", name="Sign the agreement").click()
    expect(messages(page)).to_contain_text("You signed the agreement.")
    journey.clean("signed")


# --- Fixtures -----------------------------------------------------------------------------


@pytest.fixture
def journey(live_server, browser, browser_log, request):
    seed = request.param
    made = Journey(seed=seed, base=live_server.url, browser=browser, browser_log=browser_log)
    yield made
    made.close()


# --- The test -----------------------------------------------------------------------------


@pytest.mark.parametrize("journey", SEEDS, ids=[s.slug for s in SEEDS], indirect=True)
def test_seed_program_journey(journey, transactional_db):
    j, seed = journey, journey.seed
    org = OrganizationFactory(slug=seed.slug, name=seed.org_name)
    with scope(organization=org):
        lead = UserFactory(
            email=f"lead@{seed.slug}.example.org", first_name="Lee", last_name="Lead"
        )
        MembershipFactory(organization=org, user=lead, role=Membership.Role.COORDINATOR)
    secret = totp_activate(lead)
    tenant = f"/o/{org.slug}"

    # 1. The coordinator signs in and creates the program. ------------------------------
    j.at("1 create the program")
    c = j.open()
    j.goto(c, "/accounts/login/")
    c.locator("input[name=login]").fill(lead.email)
    submit_form_with(c, "password", TEST_PASSWORD)
    submit_form_with(c, "code", totp_code(secret))
    expect(c).to_have_url(f"{j.base}{tenant}/console/")
    j.clean("signed in")
    j.goto(c, f"{tenant}/programs/new/")
    fill_program_form(c, seed)
    c.get_by_role("button", name="Create the program").click()
    expect(messages(c)).to_contain_text("The program was created as a draft")
    j.clean("program created")
    program_pk = int(re.search(r"/programs/(\d+)/", c.url).group(1))
    with scope(organization=org):
        program = Program.objects.get(pk=program_pk)
    assert program.format == seed.program["format"]
    assert program.cross_community == seed.program.get("cross_community", False)
    j.shot(c, "program-created")
    program_path = f"{tenant}/programs/{program_pk}/"

    # 2. The application form, the agreement, open applications. -----------------------
    j.at("2 form, agreement, open")
    j.goto(c, f"{program_path}form/")
    c.get_by_role("button", name="Start with the standard questions").click()
    j.clean("standard questions added")
    c.get_by_role("link", name=re.compile(r"^Edit\s+“Which group do you work in\?”")).click()
    j.clean("group question")
    c.locator("#id_label").fill(seed.group_label)
    c.locator("#id_options").fill("\n".join(seed.groups))
    c.get_by_role("button", name="Save question").click()
    expect(c.get_by_role("row", name=re.compile(re.escape(seed.group_label)))).to_be_visible()
    j.clean("group question saved")
    j.shot(c, "form-builder")

    j.goto(c, f"{program_path}agreement/")
    c.locator(f"#starter-{seed.starter}").check()
    c.get_by_role("button", name="Use this starter").click()
    expect(messages(c)).to_contain_text("The template now follows")
    j.clean("agreement starter chosen")
    j.shot(c, "agreement-template")

    j.goto(c, program_path)
    c.get_by_role("button", name=re.compile(r"^Open applications")).click()
    expect(messages(c)).to_contain_text("Applications open")
    j.clean("applications opened")

    # 3. Invite the cohort by CSV. --------------------------------------------------------
    j.at("3 invite by CSV")
    j.goto(c, f"{tenant}/people/participants/")
    c.get_by_role("link", name="Invite from a CSV file").click()
    j.clean("CSV page")
    rows = ["email,role,first_name,last_name"]
    rows += [f"{seed.email(p)},participant,{p.first},{p.last}" for p in seed.people]
    mail.outbox.clear()
    c.locator("input[type=file]").set_input_files(
        files=[{"name": "cohort.csv", "mimeType": "text/csv", "buffer": "\n".join(rows).encode()}]
    )
    c.get_by_role("button", name="Check and invite").click()
    expect(messages(c)).to_contain_text(f"{len(seed.people)} invitations created and sent.")
    j.clean("invitations sent")
    j.shot(c, "people-invited")
    links = invitation_paths()
    assert sorted(links) == sorted(seed.email(p) for p in seed.people), sorted(links)

    # 4. Everyone accepts and applies, each in their own browser. ------------------------
    j.at("4 accept and apply")
    with scope(organization=org):
        questions = list(Question.objects.filter(program=program).order_by("position"))
    pages = {}
    for index, person in enumerate(seed.people):
        p = j.open()
        pages[person] = p
        j.goto(p, links[seed.email(person)])
        expect(p.locator("#id_first_name")).to_have_value(person.first)
        p.locator("#id_password1").fill(TEST_PASSWORD)
        p.locator("#id_password2").fill(TEST_PASSWORD)
        p.get_by_role("button", name="Create account and join").click()
        expect(messages(p)).to_contain_text(f"Welcome to {seed.org_name}")
        j.clean("account created")
        j.goto(p, f"{program_path}apply/")
        answer_application(p, seed, person, questions, index)
        if index == 0:
            j.shot(p, "apply")
        p.get_by_role("button", name="Submit application").click()
        expect(messages(p)).to_contain_text("your application was submitted")
        j.clean("application submitted")
    apps = applications_of(org, program)
    by_email = {a.user.email: a for a in apps.values()}
    assert len(apps) == len(seed.people)

    # 5. Accept (all but the late ones) and run matching. -------------------------------
    j.at("5 accept and run matching")
    j.goto(c, f"{program_path}applications/")
    for person in seed.people:
        if not person.late:
            c.locator(f"input[name=application][value='{by_email[seed.email(person)].pk}']").check()
    c.get_by_role("button", name="Accept", exact=True).click()
    on_time = sum(not p.late for p in seed.people)
    expect(messages(c)).to_contain_text(f"{on_time} application(s) updated")
    j.clean("accepted")
    j.goto(c, f"{program_path}pairing/")
    run_matching(c)
    j.clean("matching ran")
    first_run = proposed_groups(org, program)
    expect(c.get_by_test_id("proposal-card")).to_have_count(len(first_run))
    assert len(first_run) >= 2, f"matching proposed {len(first_run)} group(s): nothing to swap"
    check_publish_count(j, c, "after the first run")
    check_seed_shape(j, program, first_run, apps)
    j.shot(c, "first-run")

    # 6. A hand edit (swap), then a re-run that must keep it. ---------------------------
    j.at("6 swap and re-run")
    with scope(organization=org):
        program.refresh_from_db()
    swap = swap_candidates(program, first_run, apps)
    assert swap, f"no swap keeps the hard rules in {first_run}"
    (match_a, app_a), (match_b, app_b) = swap
    c.evaluate("() => { window.__samePage = true; }")
    c.locator(f"input[name=slot][value='m:{match_a}:{app_a}']").check()
    c.locator(f"input[name=slot][value='m:{match_b}:{app_b}']").check()
    c.get_by_role("button", name="Swap (or pair) the two selected").click()
    expect(c.locator("#proposal .pc-messages")).to_contain_text("scores were recalculated")
    assert c.evaluate("() => window.__samePage === true"), "the swap reloaded the page"
    j.clean("swapped (HTMX)")
    after_swap = proposed_groups(org, program)
    swapped = after_swap - first_run
    assert len(swapped) == 2, (first_run, after_swap)
    check_publish_count(j, c, "after the swap")
    j.shot(c, "after-swap")

    run_matching(c)
    j.clean("matching ran again")
    after_rerun = proposed_groups(org, program)
    names = {a.pk: a.user.display_name for a in apps.values()}
    lost = [sorted(names[i] for i in group) for group in swapped - after_rerun]
    j.check(
        not lost,
        f"the re-run threw away the hand-swapped group(s) {lost}; the page says hand-made "
        "pairs are kept",
    )
    expect(c.get_by_test_id("proposal-card")).to_have_count(len(after_rerun))
    check_publish_count(j, c, "after the re-run")
    check_seed_shape(j, program, after_rerun, apps)
    j.shot(c, "after-rerun")

    # 7. Publish. --------------------------------------------------------------------------
    j.at("7 publish")
    mail.outbox.clear()
    publish_button(c).click()
    expect(c).to_have_url(re.compile(r"/matches/$"))
    expect(c.get_by_test_id("active-match")).to_have_count(len(after_rerun))
    j.clean("published")
    j.shot(c, "published")
    with scope(organization=org):
        active = list(
            Match.objects.filter(program=program, status=Match.Status.ACTIVE).order_by("pk")
        )
        members = {
            m.pk: list(m.members.select_related("user", "application").order_by("position"))
            for m in active
        }
        agreements = {a.match_id: a for a in Agreement.objects.filter(program=program)}
    assert set(agreements) == {m.pk for m in active}, "a published group has no agreement"

    # Whom the journey follows: a group with a member who can be re-paired afterwards.
    paired = {m.application_id for ms in members.values() for m in ms}
    with scope(organization=org):
        waiting = list(
            Application.objects.filter(program=program, status=Application.Status.ACCEPTED)
            .exclude(pk__in=paired)
            .order_by("pk")
        )
    target, leaver = None, None
    for match in active:
        for member in members[match.pk]:
            if seed.is_circle:
                late = [by_email[seed.email(p)] for p in seed.people if p.late]
                ok = allowed_together(program, [member.application, *late])
            else:
                ok = bool(waiting) and allowed_together(program, [member.application, waiting[0]])
            if ok and target is None:
                target, leaver = match, member
    assert target, "no member of a published group can be re-paired with those waiting"
    group = members[target.pk]

    # 8. The group fills in and signs its agreement. ----------------------------------
    j.at("8 fill and sign the agreement")
    agreement = agreements[target.pk]
    pair_path = f"{tenant}/pairs/{target.pk}/"
    for turn, member in enumerate(group):
        p = pages[_person(seed, member.user.email)]
        j.goto(p, pair_path)
        p.get_by_test_id("agreement-status").get_by_role("link").click()
        expect(p).to_have_url(f"{j.base}{tenant}/agreements/{agreement.pk}/")
        j.clean("agreement page")
        fill_agreement(j, p, member.user, with_button=turn == 0)
        if turn == 0:
            j.shot(p, "agreement-filled")
    for member in group:
        p = pages[_person(seed, member.user.email)]
        p.reload()
        j.clean("agreement page reloaded")
        expect(p.get_by_test_id("missing")).to_have_count(0)
        sign_agreement(j, p, member.user.display_name)
    with scope(organization=org):
        agreement.refresh_from_db()
    j.check(agreement.status == Agreement.Status.SIGNED, f"agreement is {agreement.status}")
    j.shot(p, "agreement-signed")

    # 9. A session is logged; the first-session checklist is ticked. -------------------
    j.at("9 log a session")
    first = pages[_person(seed, group[0].user.email)]
    j.goto(first, pair_path)
    first.get_by_role("link", name="Log a session").click()
    j.clean("log form")
    form = first.get_by_test_id("log-form")
    form.get_by_label(re.compile(r"^\s*Date\s*\*?\s*$")).fill(
        (timezone.localdate() - timedelta(days=1)).isoformat()
    )
    form.get_by_label(re.compile(r"^\s*Start time\s*\*?\s*$")).fill("10:00")
    form.get_by_label(re.compile(r"^\s*Shared notes")).fill("We agreed how we work together.")
    form.get_by_role("button", name="Log the session").click()
    expect(messages(first)).to_contain_text("The session is logged.")
    j.clean("session logged")
    j.shot(first, "session-logged")
    with scope(organization=org):
        assert Session.objects.filter(match=target, status=Session.Status.HELD).count() == 1

    second = pages[_person(seed, group[1].user.email)]
    j.goto(second, f"{pair_path}checklist/")
    checklist = second.get_by_test_id("checklist-form")
    for ticked in (1, 2):
        with second.expect_response(lambda r: r.request.method == "POST"):
            checklist.locator("input[name=items]:not(:checked)").first.check()
        expect(checklist.locator("input[name=items]:checked")).to_have_count(ticked)
        expect(checklist.get_by_role("status")).to_have_text("Saved.")
        j.clean("checklist ticked (HTMX)")
    j.shot(second, "checklist")

    # 10. One member opts out and asks for a new partner. -------------------------------
    j.at("10 opt out")
    out = pages[_person(seed, leaver.user.email)]
    j.goto(out, pair_path)
    out.get_by_role("link", name=re.compile(r"\(opt out\)$")).click()
    j.clean("opt-out form")
    out.get_by_role("group", name=re.compile(r"^Which reason fits best")).get_by_role(
        "radio"
    ).first.check()
    out.get_by_label(re.compile(r"^\s*Your written notice")).fill("Thank you; my role changed.")
    out.get_by_label("I would like a new partner").check()
    out.get_by_role("button", name="Review").click()
    expect(out.get_by_role("heading", level=1)).to_have_text("Please confirm")
    j.clean("opt-out review")
    out.get_by_role("button", name="Yes, opt out").click()
    expect(messages(out)).to_contain_text("You have")
    j.clean("opted out")
    j.shot(out, "opted-out")
    with scope(organization=org):
        opt_out = OptOut.objects.get(match=target, user=leaver.user)
    assert opt_out.wants_new_partner

    # 11. The coordinator re-pairs. -------------------------------------------------------
    j.at("11 re-pair")
    j.goto(c, program_path)
    c.get_by_role("link", name="Opt-outs and pauses").click()
    j.clean("opt-out queue")
    row = c.get_by_test_id("opt-out").filter(has_text=leaver.user.display_name)
    expect(row).to_have_count(1)
    j.shot(c, "opt-out-queue")
    if seed.is_circle:
        # Two late applicants are accepted now; a run forms a new circle with the leaver.
        j.goto(c, f"{program_path}applications/")
        for person in seed.people:
            if person.late:
                value = by_email[seed.email(person)].pk
                c.locator(f"input[name=application][value='{value}']").check()
        c.get_by_role("button", name="Accept", exact=True).click()
        expect(messages(c)).to_contain_text("2 application(s) updated")
        j.clean("late applicants accepted")
        j.goto(c, program_path)
        c.get_by_role("link", name="Opt-outs and pauses").click()
        row = c.get_by_test_id("opt-out").filter(has_text=leaver.user.display_name)
    row.get_by_role("link", name="Re-pair").click()
    expect(c).to_have_url(re.compile(r"/pairing/$"))
    j.clean("pairing page for re-pairing")
    leaver_app = leaver.application_id
    if seed.is_circle:
        run_matching(c)
        j.clean("matching ran for the re-pair")
        expected = {leaver_app} | {by_email[seed.email(p)].pk for p in seed.people if p.late}
    else:
        partner = waiting[0]
        c.evaluate("() => { window.__samePage = true; }")
        c.locator(f"input[name=slot][value='p:{leaver_app}']").check()
        c.locator(f"input[name=slot][value='p:{partner.pk}']").check()
        c.get_by_role("button", name="Swap (or pair) the two selected").click()
        expect(c.get_by_test_id("proposal-card")).to_have_count(1)
        j.clean("paired by hand (HTMX)")
        check_publish_count(j, c, "after pairing by hand")
        expected = {leaver_app, partner.pk}
    j.shot(c, "re-pair-proposal")
    j.check(
        expected in proposed_groups(org, program),
        f"the re-pair proposes {proposed_groups(org, program)}, not {expected}",
    )
    if not publish_button(c).is_enabled():
        c.reload()  # what a coordinator does when the button stays disabled
        j.clean("pairing page reloaded")
    mail.outbox.clear()
    publish_button(c).click()
    expect(c).to_have_url(re.compile(r"/matches/$"))
    j.clean("re-pair published")
    with scope(organization=org):
        new = MatchMember.objects.get(
            program=program, user=leaver.user, is_current=True, match__status="active"
        ).match
        new_members = set(new.members.values_list("application_id", flat=True))
    j.check(new_members == expected, f"re-paired as {new_members}, expected {expected}")
    j.goto(out, program_path)
    cards = out.get_by_test_id("my-match")
    j.check(
        cards.count() == 1,
        f"the leaver's program page shows {cards.count()} pairs or circles as theirs, "
        "not just the new one",
    )
    card = cards.filter(has_text=apps[min(expected - {leaver_app})].user.display_name)
    for app_id in expected - {leaver_app}:
        expect(card).to_contain_text(apps[app_id].user.display_name)
    j.clean("the leaver sees the new partner")
    j.shot(out, "new-partner")
    if seed.is_circle:
        # The circle they left goes on; those who stay no longer see them in it.
        stayer = pages[_person(seed, next(m for m in group if m != leaver).user.email)]
        j.goto(stayer, program_path)
        expect(stayer.get_by_test_id("my-match")).to_have_count(1)
        j.check(
            leaver.user.display_name not in stayer.get_by_test_id("my-match").inner_text(),
            "the circle's other members still see the leaver in their circle",
        )
    assert any(leaver.user.email in m.to for m in mail.outbox), "no email about the new partner"

    # Everything the browsers saw, and every promise, step by step. ----------------------
    j.clean("end")
    print(f"{seed.slug}: {j.timing_report()}")
    assert not j.failures, "\n".join(f"[{step}] {text}" for step, text in j.failures)


def _person(seed, email):
    return next(p for p in seed.people if seed.email(p) == email)
