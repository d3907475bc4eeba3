import pytest
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login_whether_or_not_the_org_exists(client, org):
    for slug in ("acme", "does-not-exist"):
        response = client.get(f"/o/{slug}/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_member_reaches_home(client_for, participant, org):
    response = client_for(participant).get(reverse("portal:home", kwargs={"org_slug": org.slug}))
    assert response.status_code == 200
    assert response.context["organization"] == org
    assert b"You are a participant in Acme University" in response.content


def test_non_member_gets_404(client_for, other_participant, org):
    response = client_for(other_participant).get(f"/o/{org.slug}/")
    assert response.status_code == 404


def test_unknown_org_gets_404_for_signed_in_person(client_for, participant):
    assert client_for(participant).get("/o/nowhere/").status_code == 404


def test_time_zone_is_the_persons_else_the_organisations(client_for, participant, org):
    client = client_for(participant)
    client.get(f"/o/{org.slug}/")
    response = client.get(f"/o/{org.slug}/")
    assert response.context["TIME_ZONE"] == "Europe/Berlin"
    participant.time_zone = "Asia/Tokyo"
    participant.save()
    response = client.get(f"/o/{org.slug}/")
    assert response.context["TIME_ZONE"] == "Asia/Tokyo"
    assert timezone.get_current_timezone_name() in {"UTC", "Asia/Tokyo"}


def test_switcher_lists_every_organisation_of_the_person(client_for, org, other_org, participant):
    from django_scopes import scope

    from peercoach.tenancy.models import Membership

    with scope(organization=other_org):
        Membership.objects.create(organization=other_org, user=participant, role="coordinator")
    other_org.require_coordinator_mfa = False
    other_org.save()
    response = client_for(participant).get(f"/o/{org.slug}/")
    assert b"Switch organisation" in response.content
    assert b"/o/globex/" in response.content
    landing = client_for(participant).get("/")
    assert landing.status_code == 200
    assert b"Globex Labs" in landing.content and b"Acme University" in landing.content


def test_single_membership_lands_in_its_organisation(client_for, participant, org):
    response = client_for(participant).get("/")
    assert response.status_code == 302
    assert response["Location"] == f"/o/{org.slug}/"


def test_branding_colour_is_in_a_nonced_style(client_for, participant, org):
    org.brand_colour = "#123456"
    org.save()
    response = client_for(participant).get(f"/o/{org.slug}/")
    csp = response["Content-Security-Policy"]
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'<style nonce="{nonce}">'.encode() in response.content
    assert b"--pc-brand: #123456" in response.content
