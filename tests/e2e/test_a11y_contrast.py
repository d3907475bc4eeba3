"""Contrast of form controls and links, measured in Chromium on the real pages.

WCAG 2.2 asks 3:1 for what identifies a control (1.4.11, non-text contrast: the border of
an unticked radio or an empty text box) and 4.5:1 for text (1.4.3, a link in an alert).
Bootstrap's default control border (#dee2e6) is 1.3:1 on white, which left the agreement
page's radios nearly invisible. The colours are read with getComputedStyle, so the test
sees what the browser paints: our stylesheet, Bootstrap's and the cascade between them.
"""

import pytest
from django.urls import reverse
from django_scopes import scope

from agreements.models import Agreement
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

from .conftest import sign_in

pytestmark = pytest.mark.e2e

CONTROL_MINIMUM = 3.0  # WCAG 1.4.11
TEXT_MINIMUM = 4.5  # WCAG 1.4.3

# For each element: its border (or text) colour and the colours behind it, innermost
# first, up to the first opaque one; the caller blends them.
COLOURS = """
(elements, property) => elements
  .filter((el) => el.offsetParent !== null && !el.disabled)
  .map((el) => {
    const behind = [];
    for (let node = el.parentElement; node; node = node.parentElement) {
      const colour = getComputedStyle(node).backgroundColor;
      behind.push(colour);
      if (!colour.startsWith("rgba") || colour.endsWith(", 1)")) break;
    }
    behind.push("rgb(255, 255, 255)");
    const what = el.id || el.name || el.textContent.trim().slice(0, 40);
    return {what: `${el.tagName.toLowerCase()} ${el.type || ""} ${what}`,
            colour: getComputedStyle(el)[property], behind};
  })
"""


def parse(colour):
    """(r, g, b, alpha) from getComputedStyle's `rgb(...)` / `rgba(...)`."""
    inside = colour[colour.index("(") + 1 : colour.index(")")]
    parts = [float(p) for p in inside.replace("/", ",").replace(" ", ",").split(",") if p]
    return (*parts[:3], parts[3] if len(parts) > 3 else 1.0)


def blend(top, bottom):
    r, g, b, a = top
    return tuple(a * c + (1 - a) * d for c, d in zip((r, g, b), bottom[:3], strict=True))


def luminance(rgb):
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first, second):
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def measured(page, selector, prop):
    """[(description, contrast ratio)] of every visible, enabled match of `selector`."""
    rows = page.locator(selector).evaluate_all(COLOURS, prop)
    results = []
    for row in rows:
        background = (255.0, 255.0, 255.0)
        for colour in reversed(row["behind"]):
            background = blend(parse(colour), background)
        results.append((row["what"], contrast(blend(parse(row["colour"]), background), background)))
    return results


def assert_contrast(page, selector, prop, minimum, *, at_least):
    results = measured(page, selector, prop)
    assert len(results) >= at_least, f"only {len(results)} of {selector} on {page.url}"
    low = [f"{what}: {ratio:.2f}:1" for what, ratio in results if ratio < minimum]
    assert not low, f"below {minimum}:1 on {page.url}: {low}"


CONTROLS = "input.form-control, textarea.form-control, select.form-select, input.form-check-input"


def test_contrast_math_matches_wcag():
    # Known pairs: black on white is 21:1; Bootstrap's #dee2e6 on white 1.3:1.
    assert round(contrast((0, 0, 0), (255, 255, 255)), 1) == 21.0
    assert round(contrast((0xDE, 0xE2, 0xE6), (255, 255, 255)), 1) == 1.3


@pytest.fixture
def pair(org):
    with scope(organization=org):
        lead = UserFactory(email="lead@acme.example.org")
        MembershipFactory(organization=org, user=lead, role=Membership.Role.COORDINATOR)
        ana = UserFactory(email="ana@acme.example.org", first_name="Ana", last_name="Okafor")
        ben = UserFactory(email="ben@acme.example.org", first_name="Ben", last_name="Novak")
        for user in (ana, ben):
            MembershipFactory(organization=org, user=user)
        program = ProgramFactory(
            organization=org, status=Program.Status.RUNNING, format=Program.Format.RECIPROCAL
        )
        match_make(program=program, users=[ana, ben], status=Match.Status.ACTIVE)
        template_from_starter(program=program, starter_key="peersphere", user=lead)
        agreements_start_missing(program=program)
        agreement = Agreement.objects.get(organization=org, program=program)
    return ana, agreement


def test_agreement_page_controls_have_3_to_1_borders(live_server, page, org, pair, screenshot):
    ana, agreement = pair
    sign_in(page, live_server.url, email=ana.email, password=TEST_PASSWORD)
    page.goto(
        live_server.url
        + reverse("agreements:detail", kwargs={"org_slug": org.slug, "pk": agreement.pk})
    )
    radios = page.locator("input[type=radio].form-check-input")
    assert radios.count() >= 4, "the starter's choices are radios"
    screenshot("a11y-agreement-controls")
    assert_contrast(page, CONTROLS, "borderTopColor", CONTROL_MINIMUM, at_least=8)
    # Typing in a box gives it focus: its border still marks the box.
    page.locator("textarea.form-control").first.focus()
    assert_contrast(page, "textarea.form-control", "borderTopColor", CONTROL_MINIMUM, at_least=1)


def test_settings_alert_link_and_controls(live_server, page, org, screenshot):
    # A coordinator without an authenticator app, in an organisation that does not (yet)
    # require one, sees the warning with its link.
    org.require_coordinator_mfa = False
    org.save(update_fields=["require_coordinator_mfa"])
    with scope(organization=org):
        lead = UserFactory(email="lead@acme.example.org")
        MembershipFactory(organization=org, user=lead, role=Membership.Role.COORDINATOR)
    sign_in(page, live_server.url, email=lead.email, password=TEST_PASSWORD)
    page.goto(live_server.url + reverse("workspace:settings", kwargs={"org_slug": org.slug}))
    alert = page.get_by_test_id("mfa-warning")
    assert alert.get_by_role("link", name="Set up an authenticator app").is_visible()
    screenshot("a11y-settings-alert")
    assert_contrast(page, "[data-testid=mfa-warning] a", "color", TEXT_MINIMUM, at_least=1)
    assert_contrast(page, CONTROLS, "borderTopColor", CONTROL_MINIMUM, at_least=3)


# Every other page's controls are measured the same way by the axe scan
# (tests/e2e/test_axe.py), over every page of the isolation matrix for every role.
