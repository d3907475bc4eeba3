"""Which language a page gets, and how people choose it.

The person's own choice (profile), else the organisation's default (on its pages; elsewhere
the default their organisations agree on), else the browser's (Accept-Language, or the
cookie the switcher sets for a visitor), else English. Checked through `<html lang>`, which
does not depend on how far the Spanish catalogue has got.
"""

import datetime
import importlib
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import formats, translation

from peercoach.tenancy.languages import language_of
from tests.conftest import _member
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

LANG = re.compile(r'<html lang="([^"]+)"')


def page_language(response):
    assert response.status_code == 200, response.status_code
    return LANG.search(response.content.decode()).group(1)


def set_default(org, code):
    org.default_language = code
    org.save(update_fields=["default_language"])


def set_own(user, code):
    user.language = code
    user.save(update_fields=["language"])


# --- The order: person, organisation, browser, English ---------------------------------


def test_without_any_choice_the_page_is_english(client, org, participant):
    client.force_login(participant)
    assert page_language(client.get(reverse("portal:home", args=[org.slug]))) == "en"


def test_the_browser_language_when_nobody_chose(client, org, participant):
    client.force_login(participant)
    url = reverse("portal:home", args=[org.slug])
    assert page_language(client.get(url, HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")) == "es"


def test_the_organisation_default_wins_over_the_browser(client, org, participant):
    set_default(org, "es")
    client.force_login(participant)
    url = reverse("portal:home", args=[org.slug])
    assert page_language(client.get(url, HTTP_ACCEPT_LANGUAGE="en")) == "es"


def test_the_person_choice_wins_over_the_organisation_and_the_browser(client, org, participant):
    set_default(org, "es")
    set_own(participant, "en")
    client.force_login(participant)
    url = reverse("portal:home", args=[org.slug])
    assert page_language(client.get(url, HTTP_ACCEPT_LANGUAGE="es")) == "en"
    set_own(participant, "es")
    set_default(org, "en")
    assert page_language(client.get(url, HTTP_ACCEPT_LANGUAGE="en")) == "es"


def test_outside_an_organisation_the_default_of_their_organisations(client, org, participant):
    set_default(org, "es")
    client.force_login(participant)
    assert page_language(client.get(reverse("accounts:profile"))) == "es"


def test_outside_an_organisation_two_defaults_that_differ_leave_the_browser(
    client, org, participant
):
    set_default(org, "es")
    second = OrganizationFactory(slug="beta", default_language="en")
    _member(second, "participant", "someone-else@beta.example.org")
    from django_scopes import scope

    from tests.factories import MembershipFactory

    with scope(organization=second):
        MembershipFactory(organization=second, user=participant)
    client.force_login(participant)
    profile = reverse("accounts:profile")
    assert page_language(client.get(profile, HTTP_ACCEPT_LANGUAGE="en")) == "en"
    assert page_language(client.get(profile, HTTP_ACCEPT_LANGUAGE="es")) == "es"
    # On each organisation's own pages, its default.
    assert page_language(client.get(reverse("portal:home", args=[org.slug]))) == "es"
    assert page_language(client.get(reverse("portal:home", args=["beta"]))) == "en"


def test_a_visitor_gets_the_browser_language_on_the_sign_in_page(client):
    response = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="es")
    assert page_language(response) == "es"
    assert 'action="/language/"' in response.content.decode()  # the switcher is there


def test_language_of_for_what_is_sent(org, participant):
    assert language_of(participant, org) == settings.LANGUAGE_CODE
    set_default(org, "es")
    assert language_of(participant, org) == "es"
    assert language_of(None, org) == "es"  # an invitee: the organisation's
    set_own(participant, "en")
    assert language_of(participant, org) == "en"
    participant.language = "xx"  # a language no longer offered is passed over
    assert language_of(participant, org) == "es"


def test_the_middleware_adds_no_query(client, org, participant, django_assert_max_num_queries):
    """The profile and the organisation are rows the request loads anyway."""
    client.force_login(participant)
    url = reverse("portal:home", args=[org.slug])
    client.get(url)  # warm: the session, the cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        client.get(url)
    set_default(org, "es")
    client.get(url)
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    assert len(after) == len(before)


# --- Choosing: the switcher, the profile, the settings page ------------------------------


def test_the_switcher_saves_a_signed_in_person_choice(client, org, participant):
    client.force_login(participant)
    home = reverse("portal:home", args=[org.slug])
    page = client.get(home).content.decode()
    assert 'name="language" value="es" lang="es"' in page  # in the person menu
    assert ">Español</button>" in page  # in its own name

    response = client.post(reverse("accounts:language"), {"language": "es", "next": home})

    assert response.status_code == 302 and response["Location"] == home
    participant.refresh_from_db()
    assert participant.language == "es"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME)  # the profile alone decides
    assert page_language(client.get(home, HTTP_ACCEPT_LANGUAGE="en")) == "es"


def test_the_switcher_gives_a_visitor_a_cookie(client):
    response = client.post(reverse("accounts:language"), {"language": "es", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    login = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="en")
    assert page_language(login) == "es"


def test_the_switcher_refuses_an_unknown_language_and_a_foreign_next(client, participant):
    client.force_login(participant)
    response = client.post(
        reverse("accounts:language"), {"language": "xx", "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")
    participant.refresh_from_db()
    assert participant.language == ""
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_the_profile_form_has_the_language(client, participant):
    client.force_login(participant)
    url = reverse("accounts:profile")
    assert 'name="language"' in client.get(url).content.decode()
    response = client.post(
        url, {"first_name": "Pat", "last_name": "Lee", "language": "es", "time_zone": ""}
    )
    assert response.status_code == 302
    participant.refresh_from_db()
    assert participant.language == "es"
    assert page_language(client.get(url, HTTP_ACCEPT_LANGUAGE="en")) == "es"


def test_the_settings_page_sets_the_organisation_default(client, org, coordinator, participant):
    client.force_login(coordinator)
    url = reverse("workspace:settings", args=[org.slug])
    assert 'name="default_language"' in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "form": "settings",
            "name": org.name,
            "brand_colour": org.brand_colour,
            "help_email": org.help_email,
            "time_zone": org.time_zone,
            "default_language": "es",
            "policy_text": org.policy_text,
            "require_coordinator_mfa": "on",
        },
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.default_language == "es"
    client.force_login(participant)
    home = reverse("portal:home", args=[org.slug])
    assert page_language(client.get(home, HTTP_ACCEPT_LANGUAGE="en")) == "es"


def test_the_settings_page_refuses_an_unknown_language(client, org, coordinator):
    client.force_login(coordinator)
    url = reverse("workspace:settings", args=[org.slug])
    response = client.post(
        url,
        {
            "form": "settings",
            "name": org.name,
            "brand_colour": org.brand_colour,
            "time_zone": org.time_zone,
            "default_language": "xx",
            "require_coordinator_mfa": "on",
        },
    )
    assert response.status_code == 400
    assert "Choose a language from the list." in response.content.decode()


def test_cached_pages_are_kept_apart_by_language(client, org, participant, settings):
    """The page and fragment caches key on the active language: switching shows the
    other language at once, not the cached copy."""
    settings.FRAGMENT_CACHE = True
    client.force_login(participant)
    home = reverse("portal:home", args=[org.slug])
    assert page_language(client.get(home)) == "en"
    client.post(reverse("accounts:language"), {"language": "es", "next": home})
    page = client.get(home).content.decode()
    assert LANG.search(page).group(1) == "es"
    assert 'aria-current="true">Español' in page


# --- Dates for the language ----------------------------------------------------------------


def test_every_language_defines_every_named_format():
    """A name no module defines would be formatted as if it were a format string."""
    english = importlib.import_module("peercoach.formats.en.formats")
    names = {name for name in vars(english) if name.endswith("_FORMAT")}
    assert names
    for code, _name in settings.LANGUAGES:
        module = importlib.import_module(f"peercoach.formats.{code}.formats")
        # The same names both ways: one only Spanish defines is a typo in the English module.
        assert names == {name for name in vars(module) if name.endswith("_FORMAT")}, code


def test_templates_name_their_formats_rather_than_spell_them():
    """`|date:"j M Y"` would show "4 Dic 2026" in Spanish; only machine-like formats
    (ISO dates, times, the `datetime` attribute) may be spelt out."""
    machine = {"Y-m-d", "H:i", "c"}
    spelt = set()
    for path in Path(settings.BASE_DIR, "templates").rglob("*.*"):
        for fmt in re.findall(r"\|date:[\"']([^\"']*)[\"']", path.read_text()):
            if fmt not in machine and not fmt.endswith("_FORMAT"):
                spelt.add((path.name, fmt))
    assert not spelt


SHORT = [  # name, English (as the templates wrote it before), Spanish
    ("SHORT_DAY_FORMAT", "4 Dec 2026", "4 dic 2026"),
    ("SHORT_DAY_MONTH_FORMAT", "4 Dec", "4 dic"),
    ("SHORT_MONTH_YEAR_FORMAT", "Dec 2026", "dic 2026"),
    ("SHORT_DAY_TIME_FORMAT", "4 Dec 2026, 15:30", "4 dic 2026, 15:30"),
    ("SHORT_DAY_TIME_SPACED_FORMAT", "4 Dec 2026 15:30", "4 dic 2026 15:30"),
    ("SHORT_DAY_SECONDS_FORMAT", "4 Dec 2026, 15:30:05", "4 dic 2026, 15:30:05"),
    ("SHORT_DAY_SECONDS_SPACED_FORMAT", "4 Dec 2026 15:30:05", "4 dic 2026 15:30:05"),
    ("SHORT_DAY_MONTH_TIME_FORMAT", "4 Dec 15:30", "4 dic 15:30"),
    ("SHORT_WEEKDAY_DAY_FORMAT", "Fri 4 Dec 2026", "vie 4 dic 2026"),
    ("SHORT_WEEKDAY_DAY_TIME_FORMAT", "Fri 4 Dec 2026, 15:30", "vie 4 dic 2026, 15:30"),
    (
        "SHORT_WEEKDAY_DAY_TIME_ZONE_FORMAT",
        "Fri 4 Dec 2026, 15:30 UTC",
        "vie 4 dic 2026, 15:30 UTC",
    ),
    ("WEEKDAY_SHORT_DAY_TIME_FORMAT", "Friday 4 Dec 2026, 15:30", "viernes, 4 dic 2026, 15:30"),
]


@pytest.mark.parametrize(("name", "english", "spanish"), SHORT)
def test_short_dates_in_lower_case_in_spanish_and_as_before_in_english(name, english, spanish):
    moment = datetime.datetime(2026, 12, 4, 15, 30, 5, tzinfo=datetime.UTC)
    with translation.override("en"):
        assert formats.date_format(moment, name) == english
    with translation.override("es"):
        assert formats.date_format(moment, name) == spanish


def test_spanish_dates_read_as_spanish_and_english_ones_as_before():
    day = datetime.date(2026, 12, 4)
    with translation.override("en"):
        assert formats.date_format(day, "LONG_DATE_FORMAT") == "4 December 2026"
        assert formats.date_format(day, "WEEKDAY_DATE_FORMAT") == "Friday 4 December 2026"
    with translation.override("es"):
        assert formats.date_format(day, "LONG_DATE_FORMAT") == "4 de diciembre de 2026"
        assert formats.date_format(day, "WEEKDAY_DATE_FORMAT") == "viernes, 4 de diciembre de 2026"
        moment = datetime.datetime(2026, 12, 4, 15, 30)
        assert formats.time_format(moment, "TIME_FORMAT") == "15:30"


# --- Signing in ---------------------------------------------------------------------------


def test_the_signed_in_message_is_in_the_person_language(client, org, participant):
    """The sign-in request starts in the browser's language (nobody is known yet); the
    message it leaves for the next page is written in the person's own."""
    from tests.factories import TEST_PASSWORD

    set_own(participant, "es")
    response = client.post(
        reverse("account_login"),
        {"login": participant.email, "password": TEST_PASSWORD},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    name = participant.get_full_name() or participant.email
    signed_in = "Successfully signed in as %(name)s."  # allauth's message (its catalogue)
    with translation.override("es"):
        spanish = translation.gettext(signed_in) % {"name": name}
    english = f"Successfully signed in as {name}."
    assert spanish != english
    page = response.content.decode()
    assert english not in page
    assert spanish in page
