"""SAML 2.0 through a real pysaml2 IdP on loopback, with the test client (tests/sso/
saml_flow.py): sign-in, what python3-saml refuses, replay protection, the authentication
context, and the refusals ending on the refusal page with an audit row and nothing created."""

import datetime

import pytest
from allauth.socialaccount.models import SocialAccount
from django.utils import timezone
from django_scopes import scopes_disabled

from peercoach.audit.models import Action
from peercoach.sso.models import EmailDomain, UsedAssertion
from peercoach.sso.saml import AUTHN_CONTEXT, saml_assertion_consume
from peercoach.sso.session import SSO_MFA_ORGS, SSO_ORGS

from .rows import counts
from .saml_flow import (
    audit,
    idp_fixture,  # noqa: F401 - fixture "idp"
    saml_idp_fixture,  # noqa: F401 - fixture "saml_idp"
    saml_post,
    saml_provider,
    saml_sign_in,
    saml_start,
    signed_in_as,
    sp_entity_id,
    used_assertions,
)
from .saml_idp import PASSWORD_PROTECTED, REFEDS_MFA, SamlIdp

pytestmark = pytest.mark.django_db


def assert_refused(response, client, org, before, *, detail):
    """A refusal: the 403 page, nothing created, nobody signed in, one audit row naming
    why."""
    assert response.status_code == 403
    assert "Sign-in refused" in response.content.decode()
    assert counts() == before, "a refused sign-in created something"
    assert signed_in_as(client) is None
    refusals = audit(org, Action.SSO_REFUSED)
    assert len(refusals) == 1, refusals
    assert detail in refusals[0]


def test_member_signs_in_through_the_idp_with_pasted_metadata(client, org, participant, idp):
    saml_provider(org, idp, read_on_save=False)
    before = counts()
    response, _ = saml_sign_in(client, "acme", idp, email=participant.email, next_url="/o/acme/")
    assert response.status_code == 302
    assert response["Location"] == "/o/acme/"
    assert signed_in_as(client) == participant
    with scopes_disabled():
        account = SocialAccount.objects.get(user=participant)
    # uid: the NameID (emailAddress format); the IdP's attributes as allauth keeps them.
    assert (account.provider, account.uid) == ("acme", participant.email)
    assert account.extra_data["urn:oid:0.9.2342.19200300.100.1.3"] == [participant.email]
    assert account.extra_data[AUTHN_CONTEXT] == [PASSWORD_PROTECTED]
    assert counts()["users"] == before["users"]
    assert audit(org, Action.SSO_SIGN_IN) == [f"{participant.email} through SAML 2.0"]
    assert client.session[SSO_ORGS] == [org.pk]
    assert client.session[SSO_MFA_ORGS] == []
    assert len(used_assertions(org)) == 1


def test_signed_assertion_in_an_unsigned_response_is_enough(client, org, participant, idp):
    """Entra ID's default: the assertion signed, the Response not."""
    saml_provider(org, idp)
    idp.knobs.sign_response = False
    saml_sign_in(client, "acme", idp, email=participant.email)
    assert signed_in_as(client) == participant


def test_signed_response_around_an_unsigned_assertion_is_enough(client, org, participant, idp):
    """Shibboleth's default: the Response signed, the assertion inside it not."""
    saml_provider(org, idp)
    idp.knobs.sign_assertion = False
    saml_sign_in(client, "acme", idp, email=participant.email)
    assert signed_in_as(client) == participant


def test_refeds_mfa_is_kept_and_marks_the_session(client, org, participant, idp):
    saml_provider(org, idp)
    idp.knobs.authn_context = REFEDS_MFA
    saml_sign_in(client, "acme", idp, email=participant.email)
    assert signed_in_as(client) == participant
    with scopes_disabled():
        assert SocialAccount.objects.get(user=participant).extra_data[AUTHN_CONTEXT] == [REFEDS_MFA]
    assert client.session[SSO_MFA_ORGS] == [org.pk]


@pytest.mark.parametrize(
    ("knobs", "why"),
    [
        ({"sign_response": False, "sign_assertion": False}, "No Signature found"),
        ({"expired": True}, "expired"),
    ],
    ids=["unsigned", "expired"],
)
def test_unsigned_or_expired_response_is_refused(client, org, participant, idp, knobs, why):
    saml_provider(org, idp)
    for knob, value in knobs.items():
        setattr(idp.knobs, knob, value)
    before = counts()
    response, _ = saml_sign_in(client, "acme", idp, email=participant.email)
    # The audit row says python3-saml's reason, not only that the answer was refused.
    assert_refused(response, client, org, before, detail="provider answer refused")
    assert why in audit(org, Action.SSO_REFUSED)[0]
    assert used_assertions(org) == []


def test_response_for_another_organisations_audience_is_refused(
    client, org, other_org, participant, idp
):
    saml_provider(org, idp)
    saml_provider(other_org, idp)
    idp.knobs.audience = sp_entity_id("globex")
    before = counts()
    response, _ = saml_sign_in(client, "acme", idp, email=participant.email)
    assert_refused(response, client, org, before, detail="provider answer refused")
    assert audit(other_org, Action.SSO_REFUSED) == []


def test_signature_by_another_key_is_refused(client, org, participant, idp, tmp_path):
    """The provider typed in by hand (entity id, sign-in URL, certificate): an answer signed
    by a key other than the configured certificate's is refused."""
    impostor = SamlIdp(tmp_path)
    saml_provider(
        org,
        idp,
        metadata_xml="",
        idp_entity_id=idp.entity_id,
        idp_sso_url=idp.sso_url,
        idp_x509cert=impostor.certificate,
    )
    before = counts()
    response, _ = saml_sign_in(client, "acme", idp, email=participant.email)
    assert_refused(response, client, org, before, detail="provider answer refused")


def test_issuer_other_than_the_configured_idp_is_refused(client, org, participant, idp):
    saml_provider(org, idp, metadata_xml="", idp_entity_id="https://idp.elsewhere.example/")
    before = counts()
    response, _ = saml_sign_in(client, "acme", idp, email=participant.email)
    assert_refused(response, client, org, before, detail="provider answer refused")


def test_address_of_another_tenants_domain_is_refused(client, org, other_org, idp):
    saml_provider(org, idp, allow_join=True)
    with scopes_disabled():
        EmailDomain.objects.create(
            organization=other_org, domain="globex.example.org", confirmed_at=timezone.now()
        )
    before = counts()
    response, _ = saml_sign_in(client, "acme", idp, email="someone@globex.example.org")
    assert_refused(response, client, org, before, detail="address of another organisation")


def test_transient_name_id_links_one_identity_by_address(client, org, participant, idp):
    """A Shibboleth-style transient NameID changes at every answer: the identity allauth
    links is the address, so the second sign-in finds the first one's link."""
    saml_provider(org, idp)
    idp.knobs.name_id = "transient"
    saml_sign_in(client, "acme", idp, email=participant.email.upper())
    client.logout()
    saml_sign_in(client, "acme", idp, email=participant.email)
    assert signed_in_as(client) == participant
    with scopes_disabled():
        (account,) = SocialAccount.objects.filter(user=participant)
    assert account.uid == participant.email


def test_answer_naming_nobody_is_refused(client, org, idp):
    saml_provider(org, idp, allow_join=True)
    idp.knobs.name_id, idp.knobs.mail = "transient", False
    before = counts()
    response, _ = saml_sign_in(client, "acme", idp, email="walk.in@acme.example.org")
    assert_refused(response, client, org, before, detail="NoSubject")


def test_replayed_assertion_is_refused(client, org, participant, idp):
    saml_provider(org, idp)
    _, answer = saml_sign_in(client, "acme", idp, email=participant.email)
    assert signed_in_as(client) == participant
    client.logout()
    # The same response again, once in this browser and once after a new sign-in started
    # in it (so a sign-in of this browser is pending): both refused as replays.
    before = counts()
    response = saml_post(client, answer)
    assert_refused(response, client, org, before, detail="AssertionReplayed")
    saml_start(client, "acme")
    response = saml_post(client, answer)
    assert response.status_code == 403
    assert signed_in_as(client) is None
    assert len(audit(org, Action.SSO_REFUSED)) == 2
    assert len(used_assertions(org)) == 1


def test_response_to_another_browsers_request_is_refused(client, org, participant, idp):
    """InResponseTo must name a sign-in this browser started (allauth's stashed state)."""
    from django.test import Client

    saml_provider(org, idp)
    saml_request, relay_state = saml_start(Client(), "acme")
    answer = idp.respond(saml_request, email=participant.email, relay_state=relay_state)
    before = counts()
    response = saml_post(client, answer)
    assert_refused(response, client, org, before, detail="UnsolicitedResponse")


def test_unreachable_metadata_url_is_a_refusal_not_an_error(client, org, idp):
    saml_provider(org, idp, from_url=True, metadata_url="http://127.0.0.1:9/metadata")
    client.defaults["HTTP_HOST"] = "127.0.0.1"
    response = client.post("/accounts/saml/acme/login/", {"next": "/"})
    assert response.status_code == 403
    assert "Sign-in refused" in response.content.decode()
    (refusal,) = audit(org, Action.SSO_REFUSED)
    assert "IdentityProviderUnavailable" in refusal


def test_an_assertion_is_consumed_once_per_organisation(org, other_org):
    later = timezone.now() + datetime.timedelta(minutes=5)
    assert saml_assertion_consume(organization=org, assertion_id="id-1", not_on_or_after=later)
    assert not saml_assertion_consume(organization=org, assertion_id="id-1", not_on_or_after=later)
    # Another organisation's provider: another assertion.
    assert saml_assertion_consume(
        organization=other_org, assertion_id="id-1", not_on_or_after=later
    )


def test_used_assertions_past_their_validity_are_deleted(org):
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    saml_assertion_consume(organization=org, assertion_id="old", not_on_or_after=long_ago)
    saml_assertion_consume(organization=org, assertion_id="new")
    with scopes_disabled():
        assert list(UsedAssertion.objects.values_list("assertion_id", flat=True)) == ["new"]


def test_sp_metadata_names_our_entity_and_acs(client, org, idp):
    """What a coordinator gives the IdP (/accounts/saml/<slug>/metadata/): our entity id,
    the HTTP-POST ACS."""
    saml_provider(org, idp)
    client.defaults["HTTP_HOST"] = "127.0.0.1"
    response = client.get("/accounts/saml/acme/metadata/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f'entityID="{sp_entity_id("acme")}"' in body
    assert 'Location="http://127.0.0.1/accounts/saml/acme/acs/"' in body
