"""allauth's openid_connect provider against a real OpenID Connect provider on loopback,
through the organisation's IdentityProvider (peercoach.sso.providers._oidc_app): the
protocol checks, without a browser (the browser journeys are tests/e2e/test_sso_oidc.py)."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django_scopes import scopes_disabled

from peercoach.audit.models import Action, AuditEvent
from tests.sso.oidc_provider import OidcProvider, idp_for

BASE = "http://testserver"


@pytest.fixture(scope="module")
def provider():
    running = OidcProvider().start()
    yield running
    running.stop()


@pytest.fixture
def oidc(provider):
    provider.reset()
    return provider


def start(client, slug):
    """POST allauth's login URL; the answer is the redirect to the provider."""
    response = client.post(f"/accounts/oidc/{slug}/login/")
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def sign_in_at_provider(authorize_url, **claims):
    """What the browser does at the provider: open its page, submit who it is; returns the
    redirect back to us."""
    assert requests.get(authorize_url, timeout=5).status_code == 200
    split = urlsplit(authorize_url)
    form = {"email_verified": "1", "given_name": "Pat", "family_name": "Member", **claims}
    answer = requests.post(
        f"{split.scheme}://{split.netloc}{split.path}?{split.query}",
        data=form,
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def finish(client, callback_url):
    split = urlsplit(callback_url)
    assert f"{BASE}{split.path}" == callback_url.split("?")[0]
    return client.get(f"{split.path}?{split.query}")


def test_the_authorization_request_is_a_pkce_code_flow(client, org, oidc):
    idp_for(org, oidc, base_url=BASE)
    params = parse_qs(urlsplit(start(client, org.slug)).query)
    assert params["response_type"] == ["code"]
    assert params["client_id"] == [f"peercoach-{org.slug}"]
    assert params["redirect_uri"] == [f"{BASE}/accounts/oidc/{org.slug}/login/callback/"]
    assert params["code_challenge_method"] == ["S256"]
    assert len(params["code_challenge"][0]) >= 43
    assert params["state"][0]
    assert set(params["scope"][0].split()) >= {"openid", "email", "profile"}


def test_a_member_completes_the_flow_and_the_account_is_linked(client, org, participant, oidc):
    idp_for(org, oidc, base_url=BASE)
    callback = sign_in_at_provider(start(client, org.slug), email=participant.email, amr="mfa")
    response = finish(client, callback)
    assert response.status_code == 302, response.content.decode()[-6000:]
    assert int(client.session["_auth_user_id"]) == participant.pk
    account = SocialAccount.objects.get(user=participant)
    assert account.provider == org.slug
    # The claims the sign-in rules read: userinfo (email) and the verified id_token (amr).
    assert account.extra_data["userinfo"]["email"] == participant.email
    assert account.extra_data["id_token"]["amr"] == ["mfa"]
    assert account.extra_data["id_token"]["iss"] == oidc.issuer
    assert ("POST", "/token") in oidc.requests


def test_the_token_endpoint_refuses_a_code_without_its_pkce_verifier(org, oidc, client):
    """The provider really checks PKCE: the code alone, as an attacker who stole it from the
    redirect would send it, is refused."""
    idp_for(org, oidc, base_url=BASE)
    callback = sign_in_at_provider(start(client, org.slug), email="x@acme.example.org")
    code = parse_qs(urlsplit(callback).query)["code"][0]
    answer = requests.post(
        f"{oidc.issuer}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": f"{BASE}/accounts/oidc/{org.slug}/login/callback/",
            "client_id": f"peercoach-{org.slug}",
            "client_secret": f"secret-{org.slug}",
        },
        timeout=5,
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"


def refused(client, callback):
    response = finish(client, callback)
    # The sign-in rules' refusal page (peercoach.sso.views.refused_response).
    assert response.status_code == 403, response.status_code
    assert "_auth_user_id" not in client.session
    return response


def test_an_id_token_from_another_issuer_is_refused(client, org, participant, oidc):
    idp_for(org, oidc, base_url=BASE)
    oidc.id_token_issuer = "http://127.0.0.1:1/evil"
    refused(client, sign_in_at_provider(start(client, org.slug), email=participant.email))
    assert not SocialAccount.objects.exists()


def test_a_discovery_document_naming_another_issuer_is_not_believed(client, org, participant, oidc):
    """allauth checks the id_token against the *discovered* issuer only: a provider whose
    discovery and tokens both claim another issuer than the configured one is refused
    (peercoach.sso.providers pins the configured issuer)."""
    idp_for(org, oidc, base_url=BASE)
    oidc.discovery_issuer = oidc.id_token_issuer = "http://127.0.0.1:1/elsewhere"
    refused(client, sign_in_at_provider(start(client, org.slug), email=participant.email))
    assert not SocialAccount.objects.exists()


def test_a_wrong_client_secret_gets_no_token(client, org, participant, oidc):
    idp = idp_for(org, oidc, base_url=BASE)
    with scopes_disabled():
        type(idp).objects.filter(pk=idp.pk).update(client_secret="not-the-secret")
    refused(client, sign_in_at_provider(start(client, org.slug), email=participant.email))
    assert get_user_model().objects.count() == 1


@pytest.mark.parametrize("issuer", ["{issuer}/nowhere", "http://127.0.0.1:9/"])
def test_an_issuer_without_discovery_ends_on_the_refusal_page(client, org, oidc, issuer):
    """A mistyped issuer (discovery answers 404) or one that does not answer at all: the
    start of the sign-in is refused with the page, audited, never a 500."""
    idp = idp_for(org, oidc, base_url=BASE)
    with scopes_disabled():
        type(idp).objects.filter(pk=idp.pk).update(issuer=issuer.format(issuer=oidc.issuer))
    response = client.post(f"/accounts/oidc/{org.slug}/login/")
    assert response.status_code == 403
    with scopes_disabled():
        assert AuditEvent.objects.filter(organization=org, action=Action.SSO_REFUSED).count() == 1


def test_userinfo_about_another_subject_is_not_used(client, org, participant, oidc):
    """OpenID Connect Core 5.3.2: userinfo whose `sub` differs from the ID token's must not
    be used (allauth would take its email); refused, audited, nothing linked."""
    idp_for(org, oidc, base_url=BASE)
    oidc.userinfo_sub = "someone-else"
    refused(client, sign_in_at_provider(start(client, org.slug), email=participant.email))
    assert not SocialAccount.objects.exists()
    with scopes_disabled():
        refusal = AuditEvent.objects.get(organization=org, action=Action.SSO_REFUSED)
    assert "another subject" in refusal.summary


@pytest.mark.parametrize(
    "knob",
    [{"id_token_audience": "peercoach-globex"}, {"id_token_ttl": -120}],
    ids=["audience-of-another-organisation", "expired-id-token"],
)
def test_an_id_token_for_another_audience_or_expired_is_refused(
    client, org, other_org, participant, oidc, knob
):
    """A member, who would be signed in with a right token (the test above)."""
    idp_for(org, oidc, base_url=BASE)
    idp_for(other_org, oidc, base_url=BASE)
    for name, value in knob.items():
        setattr(oidc, name, value)
    refused(client, sign_in_at_provider(start(client, org.slug), email=participant.email))
    assert not SocialAccount.objects.exists()
    with scopes_disabled():
        assert AuditEvent.objects.filter(organization=org, action=Action.SSO_REFUSED).count() == 1


def test_a_replayed_callback_is_refused(client, org, participant, oidc):
    """The same answer a second time (its state is spent, its code too): refused, audited."""
    idp_for(org, oidc, base_url=BASE)
    callback = sign_in_at_provider(start(client, org.slug), email=participant.email)
    assert finish(client, callback).status_code == 302
    client.logout()
    refused(client, callback)
    with scopes_disabled():
        assert AuditEvent.objects.filter(organization=org, action=Action.SSO_REFUSED).count() == 1
