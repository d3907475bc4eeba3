"""A field's error message and help text are tied to the field (WCAG 1.3.1, 3.3.1, 4.1.2).

A screen reader reads what `aria-describedby` points at when the field gets focus, and
says "invalid" for `aria-invalid="true"`. So every field shown with an error has both,
and its description holds the error's text; every error message on the page describes a
field. The forms are rendered three ways: crispy-forms (Django builds the attributes),
allauth's element templates (templates/allauth/elements/field.html) and a few forms
written out by hand; each way is posted here with mistakes.
"""

from datetime import timedelta

import lxml.html
import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from programs.models import Match, Program
from tests.factories import (
    MembershipFactory,
    ProgramFactory,
    UserFactory,
    match_make,
)

pytestmark = pytest.mark.django_db

CONTROLS = "//input[not(@type='hidden')] | //select | //textarea | //fieldset"


def _text(element):
    return " ".join(element.text_content().split())


def untied(html):
    """What is wrong with how the page ties its error messages to their fields."""
    doc = lxml.html.fromstring(html)
    problems = []
    described = set()
    for control in doc.xpath(CONTROLS):
        name = control.get("name") or control.get("id") or control.tag
        ids = (control.get("aria-describedby") or "").split()
        described.update(ids)
        # A radio or checkbox of a group is described by its fieldset (Django's way).
        group = [
            ref
            for fieldset in control.iterancestors("fieldset")
            for ref in (fieldset.get("aria-describedby") or "").split()
        ]
        for ref in ids:
            if not doc.xpath(f"//*[@id='{ref}']"):
                problems.append(f"{name}: aria-describedby points at a missing #{ref}")
        invalid = "is-invalid" in (control.get("class") or "")
        if invalid and control.get("aria-invalid") != "true":
            problems.append(f"{name}: shown invalid without aria-invalid")
        if invalid and not ids and not group:
            problems.append(f"{name}: shown invalid, its error not tied by aria-describedby")
    for error in doc.xpath("//*[contains(concat(' ', @class, ' '), ' invalid-feedback ')]"):
        if not _text(error):
            continue
        ids = {error.get("id")} | {e.get("id") for e in error.iterancestors()}
        if not ids & described:
            problems.append(f"error “{_text(error)}” describes no field")
    return problems


def errors_shown(html):
    doc = lxml.html.fromstring(html)
    return doc.xpath("//*[@aria-invalid='true']")


def test_the_check_finds_untied_errors():
    assert untied(
        '<input name="a" class="is-invalid"><div class="invalid-feedback">Too short</div>'
    ) == [
        "a: shown invalid without aria-invalid",
        "a: shown invalid, its error not tied by aria-describedby",
        "error “Too short” describes no field",
    ]
    assert untied('<input name="a" aria-describedby="gone">') == [
        "a: aria-describedby points at a missing #gone"
    ]
    assert (
        untied(
            '<input name="a" class="is-invalid" aria-invalid="true" aria-describedby="a_e">'
            '<div id="a_e" class="invalid-feedback">Too short</div>'
        )
        == []
    )


def described_text(html, name):
    """The text a screen reader reads as the description of the field called `name`."""
    doc = lxml.html.fromstring(html)
    control = doc.xpath(f"//*[@name='{name}']")[0]
    ids = (control.get("aria-describedby") or "").split()
    return " ".join(_text(doc.xpath(f"//*[@id='{ref}']")[0]) for ref in ids)


# --- allauth's forms (templates/allauth/elements/field.html) --------------------------------


def test_sign_in_form_ties_its_field_errors(client, participant):
    html = client.post(reverse("account_login"), {"login": "", "password": ""}).text
    assert len(errors_shown(html)) == 2
    assert untied(html) == []
    assert "This field is required." in described_text(html, "login")


def test_password_change_ties_errors_and_help(client_for, participant):
    client = client_for(participant)
    html = client.post(
        reverse("account_change_password"),
        {"oldpassword": "wrong", "password1": "x", "password2": "y"},
    ).text
    assert errors_shown(html)
    assert untied(html) == []


# --- crispy-forms ----------------------------------------------------------------------------


def test_profile_form_ties_its_field_errors(client_for, participant):
    client = client_for(participant)
    html = client.post(
        reverse("accounts:profile"),
        {"first_name": "x" * 300, "last_name": "", "time_zone": "Nowhere/Atlantis"},
    ).text
    assert {e.get("name") for e in errors_shown(html)} == {"first_name", "time_zone"}
    assert untied(html) == []
    assert "Select a valid choice" in described_text(html, "time_zone")


@pytest.fixture
def pair(org):
    with scope(organization=org):
        ana = UserFactory(email="ana@acme.example.org", first_name="Ana", last_name="Okafor")
        ben = UserFactory(email="ben@acme.example.org", first_name="Ben", last_name="Novak")
        for user in (ana, ben):
            MembershipFactory(organization=org, user=user)
        today = timezone.localdate()
        program = ProgramFactory(
            organization=org,
            status=Program.Status.RUNNING,
            format=Program.Format.RECIPROCAL,
            term_start=today - timedelta(days=20),
            term_end=today + timedelta(days=200),
        )
        match = match_make(program=program, users=[ana, ben], status=Match.Status.ACTIVE)
    return ana, match


def test_session_log_form_ties_its_field_errors(client_for, org, pair):
    ana, match = pair
    client = client_for(ana)
    url = reverse("sessions:log", kwargs={"org_slug": org.slug, "pk": match.pk})
    html = client.post(url, {"date": "not a date", "start_time": "25:99"}).text
    assert {"date", "start_time"} <= {e.get("name") for e in errors_shown(html)}
    assert untied(html) == []
    assert "Enter a valid date." in described_text(html, "date")


def test_program_form_ties_its_field_errors(client_for, org, coordinator):
    client = client_for(coordinator)
    with scope(organization=org):
        program = ProgramFactory(organization=org, status=Program.Status.DRAFT)
    url = reverse("programs:edit", kwargs={"org_slug": org.slug, "pk": program.pk})
    html = client.post(url, {"name": ""}).text
    assert errors_shown(html)
    assert untied(html) == []


# --- written out by hand ---------------------------------------------------------------------


def test_schedule_form_ties_each_slot_error(client_for, org, pair):
    ana, match = pair
    client = client_for(ana)
    url = reverse("sessions:schedule", kwargs={"org_slug": org.slug, "pk": match.pk})
    page = client.get(url).text
    doc = lxml.html.fromstring(page)
    data = {
        i.get("name"): i.get("value") or ""
        for i in doc.xpath("//form[.//button[@type='submit']]//input[@name]")
        if i.get("type") != "checkbox"
    }
    data.pop("csrfmiddlewaretoken", None)
    data["slot-0-date"] = (timezone.localdate() + timedelta(days=3)).isoformat()
    data["slot-0-time"] = ""
    data.update(
        {
            s.get("name"): s.xpath("./option[@value!=''][1]/@value")[0]
            for s in doc.xpath("//form[.//button[@type='submit']]//select[@name]")
        }
    )
    html = client.post(url, data).text
    assert {"slot-0-date", "slot-0-time"} <= {e.get("name") for e in errors_shown(html)}
    assert untied(html) == []
    assert "Give both a date and a start time" in described_text(html, "slot-0-time")


def test_audit_log_filter_ties_its_field_errors(client_for, org, coordinator):
    client = client_for(coordinator)
    url = reverse("workspace:audit_log", kwargs={"org_slug": org.slug})
    html = client.get(url, {"date_from": "yesterday", "date_to": "2026-02-30"}).text
    assert {"date_from", "date_to"} <= {e.get("name") for e in errors_shown(html)}
    assert untied(html) == []


ELEMENT = (
    '{% load allauth %}{% element field id="id_email" name="email" type="email" errors=errors %}'
    "{% slot label %}Email{% endslot %}{% slot help_text %}Your work address{% endslot %}"
    "{% endelement %}"
)


@pytest.mark.parametrize("errors", [[], ["Enter a valid email address."]])
def test_allauth_field_element_ties_error_and_help(rf, errors):
    """allauth's own pages (email change, phone change) render a field with this element."""
    from django.template import Context, Origin, Template

    origin = Origin(name="field_test.html", template_name="field_test.html")
    context = Context({"errors": errors, "request": rf.get("/")})
    html = Template(ELEMENT, origin=origin).render(context)
    html = f"<form>{html}</form>"
    assert untied(html) == []
    assert described_text(html, "email") == " ".join([*errors, "Your work address"])
    assert bool(errors_shown(html)) == bool(errors)
