"""The people page's "Remove": a first POST only explains, the confirmed one ends the
membership; the last coordinator is refused with a message. The provisioning page shows
a new token once and keeps only its digest."""

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from peercoach.scim.models import ScimToken
from peercoach.tenancy.models import Membership

pytestmark = pytest.mark.django_db


def membership_of(org, user):
    with scope(organization=org):
        return Membership.objects.filter(organization=org, user=user).first()


def test_remove_asks_first_then_removes(org, coordinator, participant, client_for):
    client = client_for(coordinator)
    people = reverse("accounts:people", kwargs={"org_slug": org.slug})
    url = reverse(
        "accounts:member_remove",
        kwargs={"org_slug": org.slug, "pk": membership_of(org, participant).pk},
    )
    assert url.encode() in client.get(people).content
    first = client.post(url)
    assert first.status_code == 200
    assert b"partners and the program team are told" in first.content
    assert membership_of(org, participant) is not None
    done = client.post(url, {"confirm": "yes"}, follow=True)
    assert membership_of(org, participant) is None
    assert b"is no longer a member" in done.content
    # The removed person no longer reaches the organisation.
    assert client_for(participant).get(people).status_code == 404


def test_the_last_coordinator_gets_a_message(org, coordinator, client_for):
    url = reverse(
        "accounts:member_remove",
        kwargs={"org_slug": org.slug, "pk": membership_of(org, coordinator).pk},
    )
    response = client_for(coordinator).post(url, {"confirm": "yes"}, follow=True)
    assert b"last coordinator" in response.content
    assert membership_of(org, coordinator) is not None


def test_the_token_is_shown_once(org, coordinator, client_for):
    client = client_for(coordinator)
    url = reverse("scim:provisioning", kwargs={"org_slug": org.slug})
    made = client.post(url, {"action": "create"})
    token = made.content.split(b'data-testid="scim-token" class="user-select-all">')[1].split(b"<")[
        0
    ]
    assert token.startswith(b"pcscim_")
    again = client.get(url)
    assert token not in again.content and b"/scim/acme/v2/" in again.content
    with scopes_disabled():
        assert token.decode() not in ScimToken.objects.get(organization=org).digest
    client.post(url, {"action": "revoke"})
    with scopes_disabled():
        assert not ScimToken.objects.exists()
