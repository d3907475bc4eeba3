"""The navigation, cached per person on the organisation's version stamp, stays right."""

import pytest
from django.urls import reverse
from django_scopes import scope

from peercoach.tenancy.models import Membership, Organization

pytestmark = pytest.mark.django_db


def home(client, org):
    response = client.get(reverse("portal:home", kwargs={"org_slug": org.slug}))
    assert response.status_code == 200
    header = response.content.split(b"<header", 1)[1].split(b"</header>", 1)[0]
    return header


def test_another_organisations_new_name_shows_in_the_switcher(
    org, other_org, participant, client_for
):
    with scope(organization=other_org):
        Membership.objects.create(organization=other_org, user=participant, role="participant")
    client = client_for(participant)
    assert b"Globex Labs" in home(client, org)
    assert b"Globex Labs" in home(client, org)  # from the cache
    Organization.objects.filter(pk=other_org.pk).update(name="Globex Renamed")
    assert b"Globex Renamed" in home(client, org)


def test_the_persons_new_name_and_the_organisations_new_name_show(org, participant, client_for):
    client = client_for(participant)
    home(client, org)
    participant.first_name = "Zebedee"
    participant.save()
    assert b"Zebedee" in home(client, org)
    fresh = Organization.objects.get(pk=org.pk)
    fresh.name = "Acme Renamed"
    fresh.save()
    assert b"Acme Renamed" in home(client, org)


def test_a_participant_made_coordinator_gets_the_coordinators_menu(org, participant, client_for):
    client = client_for(participant)
    people = reverse("workspace:people", kwargs={"org_slug": org.slug})
    assert people.encode() not in home(client, org)
    with scope(organization=org):
        Membership.objects.filter(user=participant).update(role="coordinator")
    response = client.get(reverse("programs:list", kwargs={"org_slug": org.slug}))
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert people.encode() in response.content
