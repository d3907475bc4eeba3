"""Drive django-allauth's real social sign-in flow without a provider on the wire.

`social_sign_in` builds the SocialLogin allauth's openid_connect / saml provider builds from
a verified answer (`provider.sociallogin_from_response`) and completes it with allauth's own
`complete_social_login`, in a request carrying the test client's session: what follows the
protocol step is exactly what runs in production. The real providers on loopback are
h-oidc's and h-saml's tests.
"""

import pytest
from allauth.core import context
from allauth.socialaccount.helpers import complete_social_login
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.test import RequestFactory
from django.utils import timezone
from django_scopes import scopes_disabled

from peercoach.sso import providers
from peercoach.sso.models import EmailDomain, IdentityProvider


def make_idp(organization, **fields):
    defaults = {
        "protocol": IdentityProvider.Protocol.OIDC,
        "enabled": True,
        "issuer": "https://idp.invalid/realms/x",
        "client_id": f"client-{organization.slug}",
        "client_secret": "s3cret",
    }
    defaults.update(fields)
    with scopes_disabled():
        return IdentityProvider.objects.create(organization=organization, **defaults)


def confirm_domain(organization, domain):
    with scopes_disabled():
        return EmailDomain.objects.create(
            organization=organization, domain=domain, confirmed_at=timezone.now()
        )


def _request_for(client, path="/accounts/oidc/callback/"):
    request = RequestFactory().get(path)
    request.COOKIES = {k: v.value for k, v in client.cookies.items()}
    SessionMiddleware(lambda r: None).process_request(request)
    AuthenticationMiddleware(lambda r: None).process_request(request)
    MessageMiddleware(lambda r: None).process_request(request)
    return request


def social_sign_in(
    client, organization, *, sub, email, first="Ada", last="Lovelace", process="login", **claims
):
    """Complete an OpenID Connect sign-in at `organization`'s provider asserting these
    claims; returns allauth's response. The client keeps the resulting session."""
    request = _request_for(client)
    data = {"sub": sub, "email": email, "email_verified": True, "given_name": first}
    data["family_name"] = last
    data.update(claims)
    with context.request_context(request):
        (app,) = providers.social_apps(provider=organization.slug)
        provider = app.get_provider(request)
        sociallogin = provider.sociallogin_from_response(request, data)
        sociallogin.state = {"process": process, "next": "/"}
        response = complete_social_login(request, sociallogin)
    request.session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = request.session.session_key
    return response


@pytest.fixture
def sign_in_via():
    return social_sign_in


class FakeSamlAuth:
    """The few reads allauth's saml provider makes of python3-saml's OneLogin_Saml2_Auth
    once the response is validated (attributes, NameID)."""

    def __init__(self, attributes, nameid):
        self._attributes, self._nameid = attributes, nameid

    def get_attributes(self):
        return self._attributes

    def get_nameid(self):
        return self._nameid

    def get_nameid_format(self):
        return "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"


def saml_sign_in(client, organization, *, nameid, attributes):
    """Complete a SAML sign-in at `organization`'s provider (validated response with these
    attributes); returns allauth's response."""
    request = _request_for(client, "/accounts/saml/x/acs/finish/")
    with context.request_context(request):
        (app,) = providers.social_apps(provider=organization.slug)
        provider = app.get_provider(request)
        sociallogin = provider.sociallogin_from_response(request, FakeSamlAuth(attributes, nameid))
        sociallogin.state = {"process": "login", "next": "/"}
        response = complete_social_login(request, sociallogin)
    request.session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = request.session.session_key
    return response
