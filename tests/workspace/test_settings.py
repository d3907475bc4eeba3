"""Organisation settings: each field, the logo's checks, the two-factor lock-out guard,
the audit rows, and the changes showing on the next page."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scope
from PIL import Image

from peercoach.audit.models import Action, AuditEvent
from peercoach.tenancy.models import Membership, Organization
from tests.factories import MembershipFactory, UserFactory
from workspace.forms.settings import contrast_ratio, time_zone_choices

pytestmark = pytest.mark.django_db


def settings_url(org):
    return reverse("workspace:settings", kwargs={"org_slug": org.slug})


def form_data(org, **changes):
    """The settings form as the page fills it in, with `changes` on top."""
    data = {
        "form": "settings",
        "name": org.name,
        "brand_colour": org.brand_colour,
        "help_email": org.help_email,
        "time_zone": org.time_zone,
        "policy_text": org.policy_text,
    }
    if org.require_coordinator_mfa:
        data["require_coordinator_mfa"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def image_file(name="logo.png", fmt="PNG", size=(64, 32)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def audit_rows(org, action=Action.SETTINGS_CHANGED):
    with scope(organization=org):
        return list(AuditEvent.objects.filter(organization=org, action=action).order_by("pk"))


def fresh(org):
    return Organization.objects.get(pk=org.pk)


def test_the_page_shows_the_current_settings(org, coordinator, client_for):
    page = client_for(coordinator).get(settings_url(org))
    assert page.status_code == 200
    text = page.content.decode()
    assert f'value="{org.help_email}"' in text
    assert '<option value="Europe/Berlin" selected>' in text
    assert 'data-testid="team-member"' in text
    assert coordinator.email in text
    assert "Invite a coordinator" in text
    assert reverse("accounts:invite", kwargs={"org_slug": org.slug}) in text


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        ("name", "Acme College", "Acme College"),
        ("brand_colour", "#AA3300", "#aa3300"),
        ("brand_colour", "0b3d6b", "#0b3d6b"),
        ("help_email", "coaching@acme.example.org", "coaching@acme.example.org"),
        ("help_email", "", ""),
        ("time_zone", "America/Chicago", "America/Chicago"),
        ("time_zone", "UTC", "UTC"),
        ("policy_text", "Be kind.\n\nKeep confidences.", "Be kind.\n\nKeep confidences."),
    ],
)
def test_each_field_is_saved_and_audited(org, coordinator, client_for, field, value, stored):
    client = client_for(coordinator)
    response = client.post(settings_url(org), form_data(org, **{field: value}))
    assert response.status_code == 302
    assert getattr(fresh(org), field) == stored
    (event,) = audit_rows(org)
    assert event.summary == f"Changed: {field}"
    assert event.actor == coordinator
    assert (event.target_type, event.target_id) == ("tenancy.organization", org.pk)


def test_several_changes_make_one_audit_row_naming_each(org, coordinator, client_for):
    client_for(coordinator).post(
        settings_url(org),
        form_data(org, name="Acme Two", policy_text="New policy", help_email="h@acme.org"),
    )
    (event,) = audit_rows(org)
    assert event.summary == "Changed: name, help_email, policy_text"
    # The summary names fields; it never copies what was typed.
    assert "New policy" not in event.summary


def test_saving_unchanged_settings_records_nothing(org, coordinator, client_for):
    response = client_for(coordinator).post(settings_url(org), form_data(org), follow=True)
    assert "Nothing had changed" in response.content.decode()
    assert audit_rows(org) == []


def test_switching_the_two_factor_rule_off_and_on(org, coordinator, client_for):
    client = client_for(coordinator)  # the fixture has an authenticator app
    client.post(settings_url(org), form_data(org, require_coordinator_mfa=None))
    assert fresh(org).require_coordinator_mfa is False
    client.post(settings_url(org), form_data(fresh(org), require_coordinator_mfa="on"))
    assert fresh(org).require_coordinator_mfa is True
    assert [e.summary for e in audit_rows(org)] == ["Changed: require_coordinator_mfa"] * 2


def test_changes_show_on_the_next_page(org, coordinator, client_for):
    client = client_for(coordinator)
    response = client.post(
        settings_url(org),
        form_data(org, brand_colour="#ffd700", help_email="desk@acme.example.org"),
        follow=True,
    )
    text = response.content.decode()
    assert "--pc-brand: #ffd700; --pc-brand-text: #000000;" in text
    assert 'href="mailto:desk@acme.example.org"' in text
    assert "Saved: brand colour, help address." in text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("brand_colour", "red", "Enter a colour as # followed by six hex digits"),
        ("brand_colour", "#12345", "Enter a colour as # followed by six hex digits"),
        ("brand_colour", "#1234567", "at most 7 characters"),
        ("brand_colour", "#gg0000", "Enter a colour as # followed by six hex digits"),
        ("time_zone", "Mars/Olympus_Mons", "Choose a time zone from the list."),
        ("time_zone", "localtime", "Choose a time zone from the list."),
        ("help_email", "not an address", "Enter a valid email address."),
        ("name", "   ", "required"),
        ("policy_text", "x" * 20_001, "at most 20000 characters"),
    ],
)
def test_bad_input_is_refused_with_a_message(org, coordinator, client_for, field, value, message):
    before = fresh(org)
    response = client_for(coordinator).post(settings_url(org), form_data(org, **{field: value}))
    assert response.status_code == 400
    text = response.content.decode()
    assert "Nothing was saved" in text
    assert message in text
    # The page around the form still shows the stored colour, not the posted one.
    assert f"--pc-brand: {before.brand_colour};" in text
    after = fresh(org)
    assert [getattr(after, f) for f in ("name", "brand_colour", "time_zone", "help_email")] == [
        getattr(before, f) for f in ("name", "brand_colour", "time_zone", "help_email")
    ]
    assert audit_rows(org) == []


def test_time_zone_choices_hold_real_zones_only():
    values = {
        zone
        for value, label in time_zone_choices()
        for zone in ([value] if isinstance(label, str) else [z for z, _ in label])
    }
    assert {"UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires"} <= values
    assert not values & {"localtime", "Factory", "posixrules"}
    # An alias kept from before stays selectable, so the form does not reject the stored value.
    assert ("US/Eastern", "US/Eastern") in time_zone_choices("US/Eastern")


def test_brand_text_colour_always_reads_well():
    for colour in ("#000000", "#ffffff", "#777777", "#1f4e79", "#ffd700", "#6a1b9a", "#808080"):
        org = Organization(brand_colour=colour)
        assert contrast_ratio(colour, org.brand_text_colour) >= 4.5


# --- The logo -----------------------------------------------------------------------------


def test_a_logo_is_uploaded_renamed_and_served(org, coordinator, client_for):
    client = client_for(coordinator)
    response = client.post(
        settings_url(org), {**form_data(org), "logo": image_file("../../evil name.png")}
    )
    assert response.status_code == 302
    logo = fresh(org).logo
    assert logo.name.startswith("logos/acme-") and logo.name.endswith(".png")
    assert "evil" not in logo.name
    served = client.get(reverse("tenancy:logo", kwargs={"org_slug": org.slug}))
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")
    assert audit_rows(org)[-1].summary == "Changed: logo"
    page = client.get(settings_url(org)).content.decode()
    assert "Remove the current logo" in page


def test_a_jpeg_logo_gets_its_own_extension(org, coordinator, client_for):
    client_for(coordinator).post(
        settings_url(org), {**form_data(org), "logo": image_file("photo.png", fmt="JPEG")}
    )
    assert fresh(org).logo.name.endswith(".jpg")


def test_replacing_and_removing_the_logo_deletes_the_old_file(org, coordinator, client_for, commit):
    client = client_for(coordinator)
    with commit():
        client.post(settings_url(org), {**form_data(org), "logo": image_file()})
    first = fresh(org).logo
    storage, first_name = first.storage, first.name
    assert storage.exists(first_name)
    with commit():
        client.post(settings_url(org), {**form_data(org), "logo": image_file("second.png")})
    second_name = fresh(org).logo.name
    assert second_name != first_name
    assert not storage.exists(first_name)
    with commit():
        client.post(settings_url(org), form_data(org, remove_logo="on"))
    assert not fresh(org).logo
    assert not storage.exists(second_name)
    assert [e.summary for e in audit_rows(org)] == ["Changed: logo"] * 3


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("logo.png", b"not an image at all"), "Upload a valid image"),
        (
            SimpleUploadedFile(
                "logo.svg",
                b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                content_type="image/svg+xml",
            ),
            "Upload a valid image",
        ),
        (image_file("logo.bmp", fmt="BMP"), "PNG, JPEG, WebP or GIF"),
        (image_file(size=(2400, 40)), "keep each side under 2000"),
        (
            SimpleUploadedFile("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * (1024 * 1024 + 1)),
            "larger than 1 MB",
        ),
    ],
    ids=["not-an-image", "svg", "bmp", "too-wide", "too-large"],
)
def test_a_bad_logo_is_refused(org, coordinator, client_for, upload, message):
    response = client_for(coordinator).post(settings_url(org), {**form_data(org), "logo": upload})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not fresh(org).logo
    assert audit_rows(org) == []


def test_uploading_and_removing_at_once_is_refused(org, coordinator, client_for):
    response = client_for(coordinator).post(
        settings_url(org), {**form_data(org, remove_logo="on"), "logo": image_file()}
    )
    assert response.status_code == 400
    assert "Either upload a new logo or remove it" in response.content.decode()


# --- Two-factor: nobody locks themselves out ---------------------------------------------


@pytest.fixture
def relaxed_org(org):
    Organization.objects.filter(pk=org.pk).update(require_coordinator_mfa=False)
    return fresh(org)


@pytest.fixture
def coordinator_without_mfa(relaxed_org):
    with scope(organization=relaxed_org):
        user = UserFactory(email="nofactor@acme.example.org", first_name="Noa", last_name="Ng")
        MembershipFactory(organization=relaxed_org, user=user, role=Membership.Role.COORDINATOR)
    return user


def test_a_coordinator_without_a_second_factor_cannot_require_one(
    relaxed_org, coordinator_without_mfa, client_for
):
    client = client_for(coordinator_without_mfa)
    page = client.get(settings_url(relaxed_org)).content.decode()
    assert 'data-testid="mfa-warning"' in page
    assert reverse("mfa_activate_totp") in page
    response = client.post(
        settings_url(relaxed_org), form_data(relaxed_org, require_coordinator_mfa="on")
    )
    assert response.status_code == 400
    assert "you would be locked out" in response.content.decode()
    assert fresh(relaxed_org).require_coordinator_mfa is False
    assert audit_rows(relaxed_org) == []
    # Other changes still go through for them.
    response = client.post(settings_url(relaxed_org), form_data(relaxed_org, name="Acme Relaxed"))
    assert response.status_code == 302
    assert client.get(settings_url(relaxed_org)).status_code == 200


def test_requiring_two_factor_names_the_coordinators_who_lack_it(
    relaxed_org, coordinator, coordinator_without_mfa, client_for
):
    client = client_for(coordinator)
    page = client.get(settings_url(relaxed_org)).content.decode()
    assert 'data-testid="mfa-warning"' not in page
    assert "Noa Ng" in page.split('data-testid="without-second-factor"')[1].split("</p>")[0]
    response = client.post(
        settings_url(relaxed_org), form_data(relaxed_org, require_coordinator_mfa="on")
    )
    assert response.status_code == 302
    assert fresh(relaxed_org).require_coordinator_mfa is True
    # The rule now applies to the other coordinator at once.
    response = client_for(coordinator_without_mfa).get(settings_url(relaxed_org))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_participants_and_other_tenants_cannot_change_settings(
    org, participant, other_coordinator, client_for, client
):
    assert (
        client_for(participant).post(settings_url(org), form_data(org, name="X")).status_code == 403
    )
    client.logout()
    assert (
        client_for(other_coordinator).post(settings_url(org), form_data(org, name="X")).status_code
        == 404
    )
    assert fresh(org).name == "Acme University"
