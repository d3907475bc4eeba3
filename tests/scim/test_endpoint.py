"""The SCIM 2.0 endpoint over HTTP: the token is the only door, each organisation sees its
own resources only, and create, update, deactivate and delete reach the memberships."""

import io
import json
import zipfile

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from peercoach.accounts.models import User
from peercoach.audit.models import Action, AuditEvent
from peercoach.scim.models import ScimToken, ScimUser
from peercoach.scim.services import scim_token_create, scim_token_revoke, scim_user_create
from peercoach.tenancy.models import Membership
from programs.models import Match
from tests.sessions.conftest import pair_make

pytestmark = pytest.mark.django_db

SCIM = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class Scim:
    def __init__(self, client, organization, token):
        self.client, self.slug, self.token = client, organization.slug, token

    def url(self, name="users", **kwargs):
        return reverse(f"scim:{name}", kwargs={"slug": self.slug, **kwargs})

    def call(self, method, url, body=None, token=None):
        headers = {"Authorization": f"Bearer {token or self.token}"}
        data = json.dumps(body) if body is not None else None
        return getattr(self.client, method)(url, data=data, content_type=SCIM, headers=headers)

    def create(self, user_name, **extra):
        body = {"schemas": [USER], "userName": user_name, **extra}
        return self.call("post", self.url(), body)


@pytest.fixture
def api(client, org, coordinator):
    return Scim(client, org, scim_token_create(organization=org, actor=coordinator))


def member(org, user):
    with scope(organization=org):
        return Membership.objects.filter(organization=org, user=user).first()


def test_without_the_right_token_nothing_is_answered(api, org, other_org, other_coordinator):
    other_token = scim_token_create(organization=other_org, actor=other_coordinator)
    for token in ("", "nope", other_token):
        response = api.call("get", api.url(), token=token or " ")
        assert response.status_code == 401
        assert b"Resources" not in response.content
    # An unknown organisation answers the same.
    response = api.call("get", reverse("scim:users", kwargs={"slug": "nowhere"}))
    assert response.status_code == 401


def test_a_session_is_not_a_way_in(client, org, coordinator, api):
    client.force_login(coordinator)
    assert client.get(api.url()).status_code == 401


def test_the_token_is_kept_as_a_digest_and_can_be_revoked(api, org, coordinator):
    with scopes_disabled():
        stored = ScimToken.objects.get(organization=org)
    assert api.token not in (stored.digest, stored.hint)
    assert api.call("get", api.url()).status_code == 200
    scim_token_revoke(organization=org, actor=coordinator)
    assert api.call("get", api.url()).status_code == 401


def test_create_makes_a_participant_and_an_account(api, org):
    response = api.create(
        "Ada@Acme.example.org",
        name={"givenName": "Ada", "familyName": "Lovelace"},
        externalId="e-1",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["userName"] == "Ada@Acme.example.org" and data["externalId"] == "e-1"
    assert data["active"] is True and response["Location"].endswith(data["id"])
    user = User.objects.get(email="ada@acme.example.org")
    assert user.first_name == "Ada" and not user.has_usable_password()
    assert member(org, user).role == Membership.Role.PARTICIPANT
    # Again: a conflict, nothing new.
    assert api.create("ada@acme.example.org").status_code == 409


def test_an_existing_account_elsewhere_is_linked_untouched(api, org, other_participant):
    other_participant.set_password("secret-pass-123")
    other_participant.save()
    response = api.create(other_participant.email, name={"givenName": "Changed"})
    assert response.status_code == 201
    other_participant.refresh_from_db()
    assert other_participant.check_password("secret-pass-123")
    assert other_participant.first_name != "Changed"
    assert member(org, other_participant) is not None
    with scopes_disabled():
        assert other_participant.memberships.count() == 2


def test_a_userName_that_is_no_address_needs_an_email(api):
    response = api.create("not-an-address")
    assert response.status_code == 400
    assert "email" in response.json()["detail"]
    ok = api.create("u-123", emails=[{"value": "u123@acme.example.org", "primary": True}])
    assert ok.status_code == 201
    assert User.objects.filter(email="u123@acme.example.org").exists()


def test_filter_pagination_and_tenancy(api, org, other_org, other_coordinator):
    for i in range(3):
        api.create(f"p{i}@acme.example.org")
    other = Scim(
        api.client, other_org, scim_token_create(organization=other_org, actor=other_coordinator)
    )
    other.create("p0@globex.example.org")
    found = api.call("get", api.url() + '?filter=userName eq "P1@acme.example.org"').json()
    assert [r["userName"] for r in found["Resources"]] == ["p1@acme.example.org"]
    # An `or` cannot reach another organisation's rows.
    either = api.call(
        "get", api.url() + '?filter=userName eq "p0@globex.example.org" or userName eq "x"'
    ).json()
    assert either["totalResults"] == 0
    page = api.call("get", api.url() + "?startIndex=2&count=1").json()
    assert page["totalResults"] == 3 and len(page["Resources"]) == 1 and page["startIndex"] == 2
    # Another organisation's resource by id: 404.
    theirs = other.call("get", other.url()).json()["Resources"][0]["id"]
    assert api.call("get", api.url(uuid=theirs)).status_code == 404
    assert api.call("delete", api.url(uuid=theirs)).status_code == 404
    assert api.call("get", api.url(uuid="not-a-uuid")).status_code == 404


def test_deactivation_ends_the_membership_and_the_pair(
    api, org, participant, coordinator, commit, mailoutbox
):
    pair = pair_make(org, participant)
    resource = api.create(participant.email).json()
    with commit():
        response = api.call(
            "patch",
            api.url(uuid=resource["id"]),
            {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]},
        )
    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    assert member(org, participant) is None
    with scope(organization=org):
        assert Match.objects.get(pk=pair.match.pk).status == Match.Status.ENDED
        assert AuditEvent.objects.filter(action=Action.MEMBER_REMOVED, actor=None).exists()
    assert pair.partner.email in {m.to[0] for m in mailoutbox}
    # The resource is still there, inactive; reactivating makes a participant again.
    assert api.call("get", api.url(uuid=resource["id"])).json()["active"] is False
    response = api.call(
        "patch",
        api.url(uuid=resource["id"]),
        {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": True}]},
    )
    assert response.json()["active"] is True
    assert member(org, participant).role == Membership.Role.PARTICIPANT


def test_put_updates_and_delete_ends_the_membership(api, org):
    created = api.create("bo@acme.example.org", name={"givenName": "Bo"}).json()
    url = api.url(uuid=created["id"])
    body = {"schemas": [USER], "userName": "bo@acme.example.org", "name": {"givenName": "Bob"}}
    assert api.call("put", url, body).json()["name"]["givenName"] == "Bob"
    user = User.objects.get(email="bo@acme.example.org")
    user.refresh_from_db()
    assert user.first_name == "Bob"
    entra = {
        "schemas": [PATCH],
        "Operations": [
            {"op": "replace", "path": 'emails[type eq "work"].value', "value": "b@x.example"},
            {"op": "replace", "path": "name.familyName", "value": "Builder"},
        ],
    }
    patched = api.call("patch", url, entra).json()
    assert patched["emails"][0]["value"] == "b@x.example"
    assert patched["name"]["familyName"] == "Builder"
    assert api.call("delete", url).status_code == 204
    assert api.call("get", url).status_code == 404
    assert member(org, user) is None
    assert User.objects.filter(pk=user.pk).exists()


def test_the_last_coordinator_cannot_be_deactivated(api, org, coordinator):
    resource = api.create(coordinator.email).json()
    response = api.call(
        "patch",
        api.url(uuid=resource["id"]),
        {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": False}]},
    )
    assert response.status_code == 400
    assert "last coordinator" in response.json()["detail"]
    assert member(org, coordinator).role == Membership.Role.COORDINATOR


def test_a_coordinator_removal_shows_as_inactive(api, org, participant, coordinator):
    from peercoach.accounts.services import membership_end

    with scope(organization=org):
        resource = scim_user_create(organization=org, user_name=participant.email)
    membership_end(organization=org, user=participant, actor=coordinator)
    assert api.call("get", api.url(uuid=str(resource.scim_id))).json()["active"] is False


def test_discovery_documents(api):
    config = api.call("get", api.url("service-provider-config")).json()
    assert config["patch"]["supported"] and config["filter"]["supported"]
    types = api.call("get", api.url("resource-types")).json()
    assert [t["id"] for t in types["Resources"]] == ["User"]
    schemas = api.call("get", api.url("schemas")).json()
    attributes = {a["name"] for a in schemas["Resources"][0]["attributes"]}
    assert attributes == {"userName", "name", "emails", "active"}
    with scopes_disabled():
        assert not ScimUser.objects.exists()


def test_entra_sends_active_as_text(api, org, participant):
    resource = api.create(participant.email).json()
    body = {
        "schemas": [PATCH],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
    }
    response = api.call("patch", api.url(uuid=resource["id"]), body)
    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    assert member(org, participant) is None
    bad = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": "x"}]}
    assert api.call("patch", api.url(uuid=resource["id"]), bad).status_code == 400


def test_deleting_the_account_erases_what_the_idp_said(api, org, participant):
    from peercoach.accounts.services import account_delete, data_export

    api.create(participant.email, externalId="ext-42", name={"givenName": "Pat"})
    with scope(organization=org):
        archive = data_export(organization=org, user=participant)
    assert b"ext-42" in zipfile.ZipFile(io.BytesIO(archive)).read("provisioning.csv")
    account_delete(user=participant)
    with scopes_disabled():
        assert not ScimUser.objects.filter(user=participant).exists()
