"""SAML sign-in driven with Django's test client against the loopback pysaml2 IdP.

The app starts the sign-in (allauth's /accounts/saml/<slug>/login/, an HTTP-Redirect
AuthnRequest), the IdP answers that very request (`SamlIdp.respond`), and the client posts the
answer to the ACS as the browser's auto-submitted form would: every check python3-saml and
allauth make runs as in production, without a browser.
"""

from urllib.parse import parse_qs, urlparse

import pytest
from django_scopes import scope, scopes_disabled

from peercoach.audit.models import AuditEvent
from peercoach.sso.models import IdentityProvider, UsedAssertion
from tests.conftest import require_or_skip

from .saml_idp import XMLSEC1, SamlIdp

SP_HOST = "127.0.0.1"  # python3-saml refuses single-label hosts such as "testserver"


@pytest.fixture(scope="module", name="saml_idp")
def saml_idp_fixture(tmp_path_factory):
    require_or_skip(XMLSEC1 is not None, "xmlsec1 (Debian package xmlsec1)")
    idp = SamlIdp(tmp_path_factory.mktemp("saml-idp")).start()
    yield idp
    idp.stop()


@pytest.fixture(name="idp")
def idp_fixture(saml_idp):
    """The module's IdP with well-behaved knobs for this test."""
    saml_idp.knobs.__init__()
    saml_idp.last_response = None
    return saml_idp


def saml_provider(organization, idp, *, from_url=False, read_on_save=True, **fields):
    """`organization`'s SAML provider, enabled, set up from the IdP's metadata: pasted XML
    by default (no HTTP needed), or its metadata URL. `read_on_save`: with the entity id,
    sign-in URL and certificate filled in, as the settings form does when it saves."""
    if from_url:
        source = {"metadata_url": idp.metadata_url}
    else:
        source = {"metadata_xml": idp.metadata_xml()}
    if read_on_save:
        source.update(
            idp_entity_id=idp.entity_id, idp_sso_url=idp.sso_url, idp_x509cert=idp.certificate
        )
    values = {"protocol": IdentityProvider.Protocol.SAML, "enabled": True, **source, **fields}
    with scopes_disabled():
        return IdentityProvider.objects.create(organization=organization, **values)


def sp_entity_id(slug, host=SP_HOST):
    return f"http://{host}/accounts/saml/{slug}/metadata/"


def saml_start(client, slug, next_url="/"):
    """POST allauth's SAML login; returns (SAMLRequest, RelayState) the IdP receives."""
    client.defaults["HTTP_HOST"] = SP_HOST
    response = client.post(f"/accounts/saml/{slug}/login/", {"next": next_url})
    assert response.status_code == 302, response.content[:500]
    query = parse_qs(urlparse(response["Location"]).query)
    return query["SAMLRequest"][0], query.get("RelayState", [""])[0]


def saml_post(client, answer):
    """Post an IdP answer (acs_url, SAMLResponse, RelayState) to our ACS and follow allauth's
    hop to acs/finish/; returns the final response."""
    acs_url, saml_response, relay_state = answer
    client.defaults["HTTP_HOST"] = SP_HOST
    response = client.post(
        urlparse(acs_url).path, {"SAMLResponse": saml_response, "RelayState": relay_state}
    )
    assert response.status_code == 302
    return client.get(response["Location"])


def saml_sign_in(client, slug, idp, *, email, next_url="/"):
    saml_request, relay_state = saml_start(client, slug, next_url)
    answer = idp.respond(saml_request, email=email, relay_state=relay_state)
    return saml_post(client, answer), answer


def audit(org, action):
    with scope(organization=org):
        return [event.summary for event in AuditEvent.objects.filter(action=action)]


def used_assertions(org):
    with scopes_disabled():
        return list(UsedAssertion.objects.filter(organization=org))


def signed_in_as(client):
    user = client.get("/").wsgi_request.user
    return user if user.is_authenticated else None
