"""A real SAML 2.0 identity provider on loopback for the single sign-on tests (pysaml2).

`SamlIdp` runs pysaml2's `saml2.server.Server` behind a small HTTP server in a thread on
127.0.0.1, with a signing key and self-signed certificate made for the run:

- GET  /metadata        its metadata (entity id, HTTP-Redirect sign-in URL, certificate);
- GET  /sso/redirect    the HTTP-Redirect sign-in endpoint: reads the AuthnRequest and shows
                        a login page where the test types who signs in;
- POST /sso/login       answers the request: an auto-submitted HTTP-POST form to the SP's
                        assertion consumer service (the URL the AuthnRequest named);
- GET  /replay          posts the last response again, as it was (a replayed assertion).

Knobs for the next responses are attributes of `SamlIdp.knobs` (see `Knobs`): unsigned,
expired, the audience of another SP, the AuthnContextClassRef, the attributes released.
Tests that need no browser call `respond()` directly with the SAMLRequest our app sent.
"""

import base64
import datetime
import html
import secrets
import shutil
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import (
    NAME_FORMAT_URI,
    NAMEID_FORMAT_EMAILADDRESS,
    NAMEID_FORMAT_TRANSIENT,
    NameID,
)
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

XMLSEC1 = shutil.which("xmlsec1")
REFEDS_MFA = "https://refeds.org/profile/mfa"
PASSWORD_PROTECTED = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"


@dataclass
class Knobs:
    """How the next responses are made; `reset()` restores a well-behaved IdP."""

    sign_response: bool = True  # the <Response>'s own signature
    sign_assertion: bool = True  # the <Assertion>'s (both False: unsigned)
    expired: bool = False  # NotOnOrAfter (conditions, subject confirmation) in the past
    audience: str = ""  # another SP's entity id as the audience, e.g. another organisation
    authn_context: str = PASSWORD_PROTECTED
    name_id: str = "email"  # "email" (the address) or "transient" (new at each answer)
    mail: bool = True  # False: no mail attribute released
    first_name: str = "Ada"
    last_name: str = "Lovelace"
    extra_attributes: dict = field(default_factory=dict)


def _key_and_cert(directory, common_name):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = Path(directory, "idp.key"), Path(directory, "idp.crt")
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_file.write_bytes(cert_pem)
    body = b"".join(cert_pem.splitlines()[1:-1]).decode()
    return str(key_file), str(cert_file), body


class SamlIdp:
    """One IdP for a test run. `start()` binds the port; `stop()` ends the thread."""

    def __init__(self, directory, port=0):
        self.directory = directory
        self.knobs = Knobs()
        self.last_response = None  # (acs_url, SAMLResponse b64, RelayState) last made
        self.requests = {}  # ticket -> (AuthnRequest, RelayState)
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self.entity_id = f"{self.base_url}/metadata"
        self.sso_url = f"{self.base_url}/sso/redirect"
        self.metadata_url = self.entity_id
        self.key_file, self.cert_file, self.certificate = _key_and_cert(directory, "loopback-idp")
        self._thread = None

    # -- pysaml2 -----------------------------------------------------------------------

    def _config(self, lifetime_minutes=15, sps=()):
        config = IdPConfig()
        config.load(
            {
                "entityid": self.entity_id,
                "xmlsec_binary": XMLSEC1,
                "key_file": self.key_file,
                "cert_file": self.cert_file,
                "service": {
                    "idp": {
                        "name": "Loopback IdP",
                        "endpoints": {
                            "single_sign_on_service": [(self.sso_url, BINDING_HTTP_REDIRECT)]
                        },
                        "name_id_format": [NAMEID_FORMAT_EMAILADDRESS, NAMEID_FORMAT_TRANSIENT],
                        "want_authn_requests_signed": False,
                        "policy": {
                            "default": {
                                "lifetime": {"minutes": lifetime_minutes},
                                "attribute_restrictions": None,
                                "name_form": NAME_FORMAT_URI,
                            }
                        },
                    }
                },
                # The SPs it answers, as their metadata would register them at a real IdP.
                "metadata": {"inline": [SP_METADATA.format(*sp) for sp in sps]},
            }
        )
        return config

    def metadata_xml(self):
        return create_metadata_string(None, config=self._config(), valid=None).decode()

    def parse_request(self, saml_request):
        """The AuthnRequest from its HTTP-Redirect encoding (as our SP sent it)."""
        return Server(config=self._config()).parse_authn_request(saml_request).message

    def respond(self, saml_request, *, email, relay_state=""):
        """The SAMLResponse (base64, as posted) answering `saml_request` for `email`, made
        with the current knobs; returns (acs_url, SAMLResponse, RelayState)."""
        knobs = self.knobs
        authn_request = self.parse_request(saml_request)
        acs_url = authn_request.assertion_consumer_service_url
        sp_entity_id = knobs.audience or authn_request.issuer.text
        sps = {(authn_request.issuer.text, acs_url), (sp_entity_id, acs_url)}
        server = Server(config=self._config(-10 if knobs.expired else 15, sps))
        identity = {"givenName": [knobs.first_name], "sn": [knobs.last_name]}
        if knobs.mail:
            identity["mail"] = [email]
        identity.update(knobs.extra_attributes)
        name_id = {
            "email": NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=email),
            "transient": NameID(format=NAMEID_FORMAT_TRANSIENT, text=secrets.token_hex(16)),
        }[knobs.name_id]
        response = server.create_authn_response(
            identity,
            in_response_to=authn_request.id,
            destination=acs_url,
            sp_entity_id=sp_entity_id,
            name_id=name_id,
            authn={"class_ref": knobs.authn_context, "authn_auth": self.entity_id},
            sign_response=knobs.sign_response,
            sign_assertion=knobs.sign_assertion,
            sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
        )
        encoded = base64.b64encode(str(response).encode()).decode()
        with self._lock:
            self.last_response = (acs_url, encoded, relay_state)
        return self.last_response

    # -- HTTP --------------------------------------------------------------------------

    def start(self):
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)


def post_form(acs_url, saml_response, relay_state):
    """The HTTP-POST binding: a form the browser submits at once to the SP."""
    return f"""<!doctype html><html lang="en"><head><title>Signing you in</title></head>
<body onload="document.forms[0].submit()"><form method="post" action="{html.escape(acs_url)}">
<input type="hidden" name="SAMLResponse" value="{html.escape(saml_response)}">
<input type="hidden" name="RelayState" value="{html.escape(relay_state)}">
<noscript><button type="submit">Continue</button></noscript></form></body></html>"""


SP_METADATA = """<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
 entityID="{0}"><md:SPSSODescriptor
 protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
 Location="{1}" index="0"/></md:SPSSODescriptor></md:EntityDescriptor>"""

LOGIN_PAGE = """<!doctype html><html lang="en"><head><title>Loopback IdP</title></head><body>
<h1>Loopback IdP</h1><form method="post" action="/sso/login">
<input type="hidden" name="ticket" value="{ticket}">
<label for="email">Email</label><input id="email" name="email" type="email">
<button type="submit">Sign in at the IdP</button></form></body></html>"""


def _handler_for(idp):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep pytest's output clean
            pass

        def _send(self, status, body, content_type="text/html; charset=utf-8"):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urlparse(self.path)
            query = {key: values[0] for key, values in parse_qs(url.query).items()}
            if url.path == "/metadata":
                return self._send(200, idp.metadata_xml(), "application/samlmetadata+xml")
            if url.path == "/sso/redirect":
                with idp._lock:
                    ticket = str(len(idp.requests) + 1)
                    idp.requests[ticket] = (query["SAMLRequest"], query.get("RelayState", ""))
                return self._send(200, LOGIN_PAGE.format(ticket=ticket))
            if url.path == "/replay" and idp.last_response:
                return self._send(200, post_form(*idp.last_response))
            return self._send(404, "not found", "text/plain")

        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if self.path != "/sso/login" or form.get("ticket") not in idp.requests:
                return self._send(400, "unknown request", "text/plain")
            saml_request, relay_state = idp.requests[form["ticket"]]
            answer = idp.respond(saml_request, email=form["email"], relay_state=relay_state)
            return self._send(200, post_form(*answer))

    return Handler
