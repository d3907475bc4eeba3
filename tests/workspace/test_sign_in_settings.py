"""The single sign-on settings page: the provider form against a real discovery document
and real metadata served on loopback, the write-only secret, the claimed email domains,
the audit rows and the values to copy."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from peercoach.audit.models import Action, AuditEvent
from peercoach.sso.models import EmailDomain, IdentityProvider

pytestmark = pytest.mark.django_db

PORT = 8641  # h-core's range (8640-8659)
SECRET = "s3cr3t-value-never-shown"  # noqa: S105
CERT = "MIICmzCCAYMCBgGQ" + "A" * 40
METADATA = """<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.oneit.example.org/idp">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    {key}
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:{binding}"
        Location="https://idp.oneit.example.org/idp/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""
KEY = (
    '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
    f"{CERT}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
)


def metadata(key=KEY, binding="HTTP-Redirect"):
    return METADATA.format(key=key, binding=binding)


class Documents(BaseHTTPRequestHandler):
    routes = {}  # path -> (status, content type, body)

    def do_GET(self):  # noqa: N802 (http.server's name)
        status, kind, body = self.routes.get(self.path, (404, "text/plain", "not here"))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def provider_server(settings):
    """A loopback HTTP server whose `routes` the test fills: the identity provider's
    discovery document and metadata, as the form fetches them."""
    settings.SSO_ALLOW_HTTP = True
    Documents.routes = {}
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Documents)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.base = f"http://127.0.0.1:{PORT}"
    server.routes = Documents.routes
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def discovery(server, *, issuer=None, path="/realms/oneit"):
    own = server.base + path
    server.routes[f"{path}/.well-known/openid-configuration"] = (
        200,
        "application/json",
        json.dumps(
            {
                "issuer": issuer or own,
                "authorization_endpoint": own + "/auth",
                "token_endpoint": own + "/token",
                "jwks_uri": own + "/certs",
            }
        ),
    )
    return own


def page_url(org):
    return reverse("workspace:sign_in_settings", kwargs={"org_slug": org.slug})


def oidc_data(issuer, **changes):
    data = {
        "form": "provider",
        "protocol": "oidc",
        "issuer": issuer,
        "client_id": "peercoach",
        "client_secret": SECRET,
        "button_label": "One IT account",
        "attribute_email": "mail",
        "required_for": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def stored(org):
    with scope(organization=org):
        return IdentityProvider.objects.filter(organization=org).first()


def audit_rows(org, action):
    with scope(organization=org):
        return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def test_oidc_saved_after_discovery_and_secret_never_shown(
    org, coordinator, client_for, provider_server
):
    client = client_for(coordinator)
    issuer = discovery(provider_server)

    response = client.post(page_url(org), oidc_data(issuer, enabled="on"))

    assert response.status_code == 302
    idp = stored(org)
    assert (idp.protocol, idp.issuer, idp.client_id, idp.enabled) == (
        "oidc",
        issuer,
        "peercoach",
        True,
    )
    assert idp.client_secret == SECRET
    page = client.get(page_url(org)).content.decode()
    assert SECRET not in page
    assert "A client secret is stored." in page
    (row,) = audit_rows(org, Action.SSO_SETTINGS_CHANGED)
    assert SECRET not in row.summary and "client_secret set" in row.summary


def test_an_empty_secret_keeps_the_stored_one_and_remove_removes_it(
    org, coordinator, client_for, provider_server
):
    client = client_for(coordinator)
    issuer = discovery(provider_server)
    client.post(page_url(org), oidc_data(issuer))

    client.post(page_url(org), oidc_data(issuer, client_secret="", button_label="Other"))
    assert stored(org).client_secret == SECRET

    client.post(page_url(org), oidc_data(issuer, client_secret="", remove_secret="on"))
    assert stored(org).client_secret == ""
    assert "No client secret yet." in client.get(page_url(org)).content.decode()


def test_a_failed_save_does_not_echo_the_posted_secret(
    org, coordinator, client_for, provider_server
):
    response = client_for(coordinator).post(
        page_url(org), oidc_data(provider_server.base + "/nothing-here")
    )
    assert response.status_code == 400
    assert SECRET not in response.content.decode()
    assert stored(org) is None


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("mismatch", "not “"),
        ("not_json", "is not an OpenID Connect discovery document"),
        ("missing", "answered HTTP 404"),
        ("unreachable", "Could not reach"),
    ],
)
def test_a_wrong_issuer_is_a_field_error(
    case, message, org, coordinator, client_for, provider_server
):
    issuer = discovery(provider_server)
    if case == "mismatch":
        discovery(provider_server, issuer="https://elsewhere.example.org/realms/oneit")
    elif case == "not_json":
        provider_server.routes["/realms/oneit/.well-known/openid-configuration"] = (
            200,
            "text/html",
            "<html>Welcome</html>",
        )
    elif case == "missing":
        issuer = provider_server.base + "/realms/missing"
    else:
        issuer = "http://127.0.0.1:8659/realms/oneit"  # nothing listens there

    response = client_for(coordinator).post(page_url(org), oidc_data(issuer))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert stored(org) is None
    assert not audit_rows(org, Action.SSO_SETTINGS_CHANGED)


def test_an_http_issuer_is_refused_in_production(org, coordinator, client_for, settings):
    settings.SSO_ALLOW_HTTP = False
    response = client_for(coordinator).post(
        page_url(org), oidc_data("http://idp.oneit.example.org/realms/oneit")
    )
    assert response.status_code == 400
    assert "Use an https:// address." in response.content.decode()


def test_turning_sign_in_on_needs_a_secret_and_requiring_needs_it_on(
    org, coordinator, client_for, provider_server
):
    issuer = discovery(provider_server)
    client = client_for(coordinator)
    response = client.post(page_url(org), oidc_data(issuer, client_secret="", enabled="on"))
    assert "Enter the client secret before you turn sign-in on." in response.content.decode()
    response = client.post(page_url(org), oidc_data(issuer, required_for="everyone"))
    assert "Turn sign-in through the provider on before you require it." in (
        response.content.decode()
    )
    assert stored(org) is None


def test_saml_metadata_url_is_read_on_save(org, coordinator, client_for, provider_server):
    provider_server.routes["/idp/metadata"] = (200, "application/xml", metadata())
    data = {
        "form": "provider",
        "protocol": "saml",
        "metadata_url": provider_server.base + "/idp/metadata",
        "attribute_email": "urn:oid:0.9.2342.19200300.100.1.3",
        "enabled": "on",
    }
    response = client_for(coordinator).post(page_url(org), data)

    assert response.status_code == 302
    idp = stored(org)
    assert idp.idp_entity_id == "https://idp.oneit.example.org/idp"
    assert idp.idp_sso_url == "https://idp.oneit.example.org/idp/sso"
    assert idp.idp_x509cert == CERT


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        ("<md:EntityDescriptor", "the XML does not parse"),
        ('<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>', "the XML does not parse"),
        ("<root/>", "describes no identity provider"),
        (metadata(key=""), "no signing certificate"),
        (metadata(binding="HTTP-POST"), "no sign-in endpoint with the HTTP-Redirect binding"),
    ],
    ids=["broken", "entities", "no-idp", "no-cert", "post-only"],
)
def test_bad_saml_metadata_xml_is_a_field_error(xml, message, org, coordinator, client_for):
    data = {"form": "provider", "protocol": "saml", "metadata_xml": xml, "attribute_email": "mail"}
    response = client_for(coordinator).post(page_url(org), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert stored(org) is None


def test_saml_metadata_xml_pasted(org, coordinator, client_for):
    data = {
        "form": "provider",
        "protocol": "saml",
        "metadata_xml": metadata(),
        "attribute_email": "mail",
    }
    assert client_for(coordinator).post(page_url(org), data).status_code == 302
    assert stored(org).idp_entity_id == "https://idp.oneit.example.org/idp"


def test_the_page_shows_the_values_to_copy(org, coordinator, client_for, settings):
    settings.SITE_URL = "https://peercoach.example.org"
    page = client_for(coordinator).get(page_url(org)).content.decode()
    base = "https://peercoach.example.org"
    assert f"{base}/accounts/oidc/acme/login/callback/" in page
    assert f"{base}/accounts/saml/acme/metadata/" in page
    assert f"{base}/accounts/saml/acme/acs/" in page
    assert f"{base}/o/acme/sso/" in page
    assert "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" in page


# --- Email domains ---------------------------------------------------------------------


def claim(client, org, domain):
    return client.post(page_url(org), {"form": "domain", "domain": domain})


def domains(org):
    with scope(organization=org):
        return list(EmailDomain.objects.values_list("domain", "confirmed_at"))


def test_a_domain_is_claimed_lower_case_and_audited(org, coordinator, client_for):
    client = client_for(coordinator)
    response = claim(client, org, "  @OneIT.Example.ORG. ")
    assert response.status_code == 302
    assert domains(org) == [("oneit.example.org", None)]
    (row,) = audit_rows(org, Action.SSO_DOMAIN_CLAIMED)
    assert row.summary == "Claimed oneit.example.org"
    page = client.get(page_url(org)).content.decode()
    assert "Waiting for an operator" in page


@pytest.mark.parametrize(
    "domain", ["not a domain", "localhost", "pat@acme.example.org", "10.0.0.1", "-a.example.org"]
)
def test_a_bad_domain_is_a_clear_error(domain, org, coordinator, client_for):
    response = claim(client_for(coordinator), org, domain)
    assert response.status_code == 400
    assert "Enter a domain name such as oneit.example.org" in response.content.decode()
    assert domains(org) == []


def test_a_domain_twice_or_confirmed_elsewhere_is_refused(org, other_org, coordinator, client_for):
    client = client_for(coordinator)
    claim(client, org, "acme.example.org")
    response = claim(client, org, "acme.example.org")
    assert "acme.example.org is already on the list." in response.content.decode()
    with scopes_disabled():
        EmailDomain.objects.create(
            organization=other_org, domain="globex.example.org", confirmed_at="2026-01-01T00:00Z"
        )
    response = claim(client, org, "globex.example.org")
    assert response.status_code == 400
    assert "is confirmed for another organisation" in response.content.decode()
    assert domains(org) == [("acme.example.org", None)]


def test_a_domain_is_removed_and_only_from_its_own_organisation(
    org, other_org, coordinator, client_for
):
    client = client_for(coordinator)
    claim(client, org, "acme.example.org")
    with scopes_disabled():
        own = EmailDomain.objects.get(domain="acme.example.org")
        foreign = EmailDomain.objects.create(organization=other_org, domain="globex.example.org")

    client.post(page_url(org), {"form": "domain_remove", "domain_id": str(foreign.pk)})
    with scopes_disabled():
        assert EmailDomain.objects.filter(pk=foreign.pk).exists()

    client.post(page_url(org), {"form": "domain_remove", "domain_id": str(own.pk)})
    assert domains(org) == []
    assert audit_rows(org, Action.SSO_SETTINGS_CHANGED)[-1].summary == (
        "Removed the email domain acme.example.org"
    )


def test_the_settings_page_links_here(org, coordinator, client_for):
    page = client_for(coordinator).get(reverse("workspace:settings", kwargs={"org_slug": "acme"}))
    assert page_url(org).encode() in page.content


def test_saving_the_same_values_again_records_nothing(
    org, coordinator, client_for, provider_server
):
    client = client_for(coordinator)
    issuer = discovery(provider_server)
    client.post(page_url(org), oidc_data(issuer))
    response = client.post(page_url(org), oidc_data(issuer, client_secret=""), follow=True)
    assert "Nothing had changed." in response.content.decode()
    assert len(audit_rows(org, Action.SSO_SETTINGS_CHANGED)) == 1


def test_switching_to_saml_drops_the_oidc_values_and_the_secret(
    org, coordinator, client_for, provider_server
):
    client = client_for(coordinator)
    client.post(page_url(org), oidc_data(discovery(provider_server)))
    data = {"form": "provider", "protocol": "saml", "metadata_xml": metadata()}
    client.post(page_url(org), {**data, "attribute_email": "mail"})
    idp = stored(org)
    assert (idp.protocol, idp.issuer, idp.client_id, idp.client_secret) == ("saml", "", "", "")
    assert "client_secret removed" in audit_rows(org, Action.SSO_SETTINGS_CHANGED)[-1].summary
