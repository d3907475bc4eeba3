"""WCAG 2.1 AA on every page, checked by axe-core in Chromium.

The pages are the isolation matrix's (tests/test_isolation.py and tests/isolation_rows/):
every URL pattern with a GET row, opened by every actor the row lets in (200), as that
actor, over the matrix's own world (`Target`). A new URL gets a row there, so it is
scanned here without anyone adding it to a second list. Beside them: the sample page of
each prefix rule (allauth's sign-in) and the allauth pages of the person menu.

axe-core 4.12.1 comes from the PyPI package axe-playwright-python (its axe.min.js). The
script is added to each signed-in context as an init script, so every document has `axe`
before its own scripts run and the page's Content-Security-Policy (no inline scripts) does
not apply to it; `axe.run` is then called directly with the WCAG 2.0/2.1 A and AA tags.
(The package's own `Axe.run` evaluates the 570 kB script again on every page and returns
violations only; calling axe ourselves keeps the "incomplete" results for review.)

Expected: no violation of impact critical or serious. Moderate and minor ones and axe's
"incomplete" (needs review) items are written to PEERCOACH_AXE_REPORT (a JSON file) when
that variable is set, for a person to look at.

On every page, besides axe: the border of every form control is 3:1 or more against what
is behind it (1.4.11, measured as tests/e2e/test_a11y_contrast.py does; axe checks text
contrast only); every visible control shows a keyboard focus outline of 3:1 or more
against its background (2.4.7, 1.4.11), and once per signed-in person the person menu
opens from the keyboard with the same focus on its items.

Two passes: English at desktop width over every page and role; Spanish (the person's
language where the user model has one, and the browser asks for `es`, which
LocaleMiddleware honours) at phone width (390x844) over the main pages of each role,
where nothing may be wider than the screen (1.4.10) and the collapsed navigation must open
by keyboard. With PEERCOACH_SCREENSHOTS set, the phone pages are saved to
/tmp/peercoach-shots/axe-phone-*.png.

Time (--durations, 131 page visits, 7 contexts, the world built once in ~2 s): 75-86 s on
the shared 2-CPU machine at load 4-5, 110-117 s at load 7-10; about half is axe.run, 40%
loading the pages, 8% the focus checks.
"""

import json
import os
import threading
from pathlib import Path

import axe_playwright_python
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import resolve, reverse

from tests.test_isolation import (
    ACTORS,
    PREFIX_RULES,
    TABLE,
    Target,
    url_for,
)

from .conftest import SHOTS_DIR
from .test_a11y_contrast import CONTROL_MINIMUM, CONTROLS, blend, contrast, measured, parse

pytestmark = pytest.mark.e2e

AXE_JS = Path(axe_playwright_python.__file__).with_name("axe.min.js")
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations", "incomplete"],
}
BLOCKING = ("critical", "serious")
NODES_SHOWN = 3
MESSAGES_SHOWN = 60

# Rows whose 200 is no page of its own: a download, or a piece of a page that htmx swaps
# in (scanned inside its page). A row answering something other than HTML, or HTML without
# the layout's <main>, that is missing here fails the scan, so the list cannot go stale.
NOT_PAGES = {
    "healthz": "plain-text health check for the load balancer",
    "tenancy:logo": "the organisation's logo, an image",
    "agreements:pdf": "the signed agreement, a PDF download",
    "workspace:export": "a CSV download",
    "workspace:audit_export": "the audit log, a CSV download",
    "accounts:my_data": "the person's data, a download",
    "sessions:ics": "a session's calendar file (ICS)",
    "sessions:event_ics": "a program event's calendar file (ICS)",
    "sessions:feed": "the private calendar feed (ICS)",
    "programs:resource_file": "a resource's file, a download",
    "programs:applications_export": "the applications, a CSV download",
    "programs:pairing_progress": "htmx fragment: the pairing run's progress bar, polled "
    "by the pairing page",
}
# Redirects (302) and refusals (403, 404, 405, 410) are not pages of the row: only the
# actors a row answers 200 are scanned.

# Global pages outside the matrix's rows that signed-in people reach from the person menu
# (allauth's, covered in the matrix by the `accounts/` prefix rule and its sample).
PERSON_MENU = ("mfa_index", "account_change_password")

# The main pages of each role, for the Spanish pass at phone width.
MAIN_PAGES = {
    "anonymous": ("accounts/login/", "agreements:verify"),
    "coordinator": (
        "workspace:home",
        "accounts:people",
        "programs:detail",
        "programs:pairing",
        "agreements:status_list",
        "workspace:settings",
        "workspace:dashboard",
    ),
    "participant": (
        "portal:home",
        "sessions:pair",
        "agreements:detail",
        "agreements:sign",
        "sessions:session_list",
        "accounts:profile",
    ),
    "stranger": ("programs:detail", "programs:list", "surveys:mine"),
}
# Focus visible on every control (WCAG 2.4.7) with 3:1 against what is behind it (1.4.11):
# each visible, enabled control of the page is focused in turn (after a Tab, so Chromium
# treats focus as keyboard focus and :focus-visible applies) and its outline is read.
FOCUSABLE = (
    "a[href], button, input:not([type=hidden]), select, textarea, summary, "
    '[tabindex]:not([tabindex="-1"])'
)
FOCUS_STYLES = """
(selector) => {
  const found = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.disabled || !el.checkVisibility({visibilityProperty: true})) continue;
    el.focus({preventScroll: true});
    if (document.activeElement !== el) continue;
    const style = getComputedStyle(el);
    const behind = [];
    for (let node = el.parentElement; node; node = node.parentElement) {
      const colour = getComputedStyle(node).backgroundColor;
      behind.push(colour);
      if (!colour.startsWith("rgba") || colour.endsWith(", 1)")) break;
    }
    behind.push("rgb(255, 255, 255)");
    const name = el.id || el.name || el.textContent.trim().replace(/\\s+/g, " ").slice(0, 30);
    found.push({what: `${el.tagName.toLowerCase()}${el.type ? "[" + el.type + "]" : ""} ${name}`,
                visible: el.matches(":focus-visible"), style: style.outlineStyle,
                width: parseFloat(style.outlineWidth), colour: style.outlineColor, behind});
  }
  if (document.activeElement) document.activeElement.blur();
  return found;
}
"""
FOCUS_MINIMUM = 3.0
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def role_of(actor, row):
    """The person who opens the page: `owner` is the row's owner role."""
    return row.owner if actor == "owner" else actor


def plan(target, actors):
    """{role: {label: url}} for every HTML page the matrix lets each role open."""
    pages = {}
    for key, row in TABLE.items():
        expect = row.checks.get("GET")
        if expect is None or key in NOT_PAGES or row.debug_only:
            continue
        for actor in ACTORS:
            if getattr(expect, actor) != 200:
                continue
            pages.setdefault(role_of(actor, row), {})[key] = url_for(key, row, target)
    for rule in PREFIX_RULES:
        for actor in ACTORS:
            if getattr(rule.sample, actor) == 200:  # the matrix samples them as a coordinator
                role = "coordinator" if actor == "owner" else actor
                pages.setdefault(role, {})[resolve(rule.sample_path).view_name] = rule.sample_path
    for role, urls in pages.items():
        if role != "anonymous":
            urls.update({name: reverse(name) for name in PERSON_MENU})
    return pages


def build_world(org, actors):
    """The matrix's objects and the URLs that point at them, in a thread of its own: signing
    the agreement seals its PDF with pyHanko, which runs asyncio, and this thread already
    runs Playwright's event loop."""
    result = {}

    def build():
        try:
            result["pages"] = plan(Target(org, actors), actors)
        except BaseException as error:  # re-raised in the test's thread
            result["error"] = error
        finally:
            connection.close()

    builder = threading.Thread(target=build)
    builder.start()
    builder.join()
    if "error" in result:
        raise result["error"]
    return result["pages"]


def signed_in_context(browser, base_url, user, *, locale, viewport):
    """A browser context with `user`'s session cookie (as after a completed sign-in, second
    factor included: the matrix's force_login) and axe in every document."""
    context = browser.new_context(viewport=viewport, locale=locale)
    context.set_default_timeout(15_000)
    context.add_init_script(path=str(AXE_JS))
    if user is not None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": base_url}]
        )
    return context


def scan(page, url):
    """axe's results for `url`, or an error string when it is no HTML page."""
    try:
        response = page.goto(url, wait_until="load")
    except Exception as error:  # noqa: BLE001 - Playwright says "Download is starting"
        first_line = str(error).splitlines()[0]
        return f"could not be opened as a page ({first_line}); a download belongs in NOT_PAGES"
    status = response.status if response else None
    kind = response.headers.get("content-type", "") if response else ""
    if status != 200:
        return f"answered {status}, the matrix says 200"
    if not kind.startswith("text/html"):
        return f"answered {kind!r}: add the row to NOT_PAGES with the reason"
    if not page.locator("main").count():
        return "has no <main>: a fragment belongs in NOT_PAGES, a page extends base.html"
    return page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)


def focus_problems(page, selector=FOCUSABLE):
    """The controls of the page whose keyboard focus is not clearly visible."""
    page.keyboard.press("Tab")
    problems = []
    for control in page.evaluate(FOCUS_STYLES, selector):
        background = (255.0, 255.0, 255.0)
        for colour in reversed(control["behind"]):
            background = blend(parse(colour), background)
        outline = blend(parse(control["colour"]), background)
        ratio = contrast(outline, background)
        if not control["visible"] or control["style"] == "none" or control["width"] < 2:
            problems.append(f"{control['what']}: no focus outline ({control['style']})")
        elif ratio < FOCUS_MINIMUM:
            problems.append(f"{control['what']}: focus outline {ratio:.2f}:1")
    return problems


def person_menu_problems(page):
    """The person menu opens from the keyboard (Enter on its button, then the arrow keys
    move through its items) and each item shows its focus."""
    button = page.locator("#pc-user-menu")
    button.focus()
    page.keyboard.press("Enter")
    items = page.locator(".dropdown-menu.show .dropdown-item")
    try:
        items.first.wait_for(state="visible", timeout=3_000)
    except Exception:  # noqa: BLE001 - Playwright's TimeoutError
        return ["Enter on the person menu's button does not open it"]
    page.keyboard.press("ArrowDown")
    problems = []
    if not page.evaluate("() => document.activeElement.matches('.dropdown-menu.show *')"):
        problems.append("the arrow keys do not move into the open person menu")
    problems += focus_problems(page, ".dropdown-menu.show .dropdown-item")
    page.keyboard.press("Escape")
    return problems


OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


def phone_problems(page, name):
    """At phone width: nothing wider than the screen, and the collapsed navigation opens
    from the keyboard (Enter on its toggler, then Tab into its links)."""
    problems = []
    if os.environ.get("PEERCOACH_SCREENSHOTS"):
        SHOTS_DIR.mkdir(parents=True, exist_ok=True)
        path = SHOTS_DIR / f"axe-phone-{name.replace(':', '-')}.png"
        page.screenshot(path=str(path), full_page=True, caret="initial")
    overflow = page.evaluate(OVERFLOW)
    if overflow > 0:
        problems.append(f"{overflow}px wider than the 390px screen (horizontal scrolling)")
    toggler = page.locator(".navbar-toggler")
    if not toggler.is_visible():
        return [*problems, "the navigation is not collapsed behind its toggler"]
    toggler.focus()
    page.keyboard.press("Enter")
    menu = page.locator("#pc-nav")
    try:
        menu.locator("a, button").first.wait_for(state="visible", timeout=3_000)
    except Exception:  # noqa: BLE001 - Playwright's TimeoutError
        return [*problems, "Enter on the navigation toggler does not open the menu"]
    page.keyboard.press("Tab")
    if not page.evaluate("() => document.activeElement.closest('#pc-nav') !== null"):
        problems.append("Tab after opening the menu does not reach its first link")
    if os.environ.get("PEERCOACH_SCREENSHOTS"):
        page.screenshot(path=str(SHOTS_DIR / f"axe-phone-{name.replace(':', '-')}-menu.png"))
    return problems


def describe(where, violation):
    targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:NODES_SHOWN]]
    more = len(violation["nodes"]) - NODES_SHOWN
    return (
        f"{where}: {violation['id']} ({violation['impact']}, {len(violation['nodes'])} nodes) "
        f"{violation['help']}\n      "
        + "\n      ".join(targets)
        + (f"\n      +{more} more" if more > 0 else "")
    )


class Scanner:
    def __init__(self, browser, base_url):
        self.browser, self.base_url = browser, base_url
        self.failures, self.report, self.pages, self.menus = [], [], 0, 0
        self.controls = 0

    def run(self, role, user, urls, *, locale, viewport, label):
        context = signed_in_context(
            self.browser, self.base_url, user, locale=locale, viewport=viewport
        )
        page = context.new_page()
        menu_checked = user is None or viewport == PHONE  # on phones: in the collapsed nav
        try:
            for name, path in urls.items():
                where = f"{path} [{name}, {role}, {label}]"
                results = scan(page, self.base_url + path)
                self.pages += 1
                if isinstance(results, str):
                    self.failures.append(f"{where}: {results}")
                    page.close()  # a failed navigation can leave the tab stuck: a fresh one
                    page = context.new_page()
                    continue
                # What marks a control (an empty box's border, an unticked radio's ring):
                # 3:1 against what is behind it (1.4.11), before the focus check moves focus.
                borders = measured(page, CONTROLS, "borderTopColor")
                self.controls += len(borders)
                self.failures += [
                    f"{where}: border of {what} at {ratio:.2f}:1, below {CONTROL_MINIMUM}:1"
                    for what, ratio in borders
                    if ratio < CONTROL_MINIMUM
                ]
                if locale.startswith("es") and "es" in dict(settings.LANGUAGES):
                    lang = page.locator("html").get_attribute("lang") or ""
                    if not lang.startswith("es"):
                        self.failures.append(f"{where}: served in {lang!r}, not Spanish")
                self.failures += [f"{where}: focus {p}" for p in focus_problems(page)]
                if not menu_checked:
                    self.failures += [f"{where}: {p}" for p in person_menu_problems(page)]
                    menu_checked = True
                    self.menus += 1
                if viewport == PHONE:
                    self.failures += [f"{where}: {p}" for p in phone_problems(page, name)]
                self.failures += [
                    describe(where, v) for v in results["violations"] if v["impact"] in BLOCKING
                ]
                self.report.append(
                    {
                        "page": where,
                        "violations": [
                            (v["id"], v["impact"], [n["target"] for n in v["nodes"]])
                            for v in results["violations"]
                        ],
                        "incomplete": [
                            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5])
                            for v in results["incomplete"]
                        ],
                    }
                )
        finally:
            context.close()

    def write_report(self):
        path = os.environ.get("PEERCOACH_AXE_REPORT")
        if path:
            Path(path).write_text(json.dumps(self.report, indent=1))


def test_every_page_meets_wcag_21_aa_for_every_role(
    live_server,
    browser,
    org,
    coordinator,
    participant,
    stranger,
    other_coordinator,
    other_participant,
):
    actors = {
        "coordinator": coordinator,
        "participant": participant,
        "stranger": stranger,
        "other_coordinator": other_coordinator,
        "other_participant": other_participant,
    }
    pages = build_world(org, actors)
    scanner = Scanner(browser, live_server.url)

    # English, desktop: every page, every role that may open it.
    for role, urls in pages.items():
        user = actors.get(role)
        scanner.run(role, user, urls, locale="en-GB", viewport=DESKTOP, label="en desktop")
    english = scanner.pages

    # Spanish, phone width: the main pages of each role. The person's own choice when the
    # user model has one (User.language), and the browser asks for Spanish either way
    # (LocaleMiddleware honours it for visitors). Only once `es` is among LANGUAGES is the
    # page checked to be served in Spanish; until then this pass reads the English pages.
    for role, names in MAIN_PAGES.items():
        missing = set(names) - set(pages[role])
        assert not missing, f"MAIN_PAGES names pages the matrix does not give {role}: {missing}"
        user = actors.get(role)
        if user is not None and hasattr(user, "language"):
            user.language = "es"
            user.save(update_fields=["language"])
        urls = {name: pages[role][name] for name in names}
        scanner.run(role, user, urls, locale="es-ES", viewport=PHONE, label="es 390px")

    scanner.write_report()
    assert english > 60, f"only {english} pages scanned in English"
    assert scanner.controls > 100, f"only {scanner.controls} form controls measured"
    signed_in = len(set(pages) - {"anonymous"})
    assert scanner.menus == signed_in, f"person menu checked {scanner.menus}/{signed_in} times"
    shown = scanner.failures[:MESSAGES_SHOWN]
    more = len(scanner.failures) - len(shown)
    assert not scanner.failures, (
        f"{len(scanner.failures)} critical or serious WCAG 2.1 AA problems on "
        f"{scanner.pages} pages scanned:\n  "
        + "\n  ".join(shown)
        + (f"\n  ... and {more} more" if more > 0 else "")
    )
