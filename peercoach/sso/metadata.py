"""Checking what a coordinator enters against the identity provider itself, before it is
saved: an OpenID Connect issuer's discovery document, a SAML IdP's metadata.

Both raise ValidationError with a message a coordinator can act on; neither writes.
Fetching is plain HTTP(S) with a short timeout and a size cap, over https only unless
`settings.SSO_ALLOW_HTTP` (tests, local development: a provider on loopback).
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

FETCH_TIMEOUT = 5  # seconds
FETCH_MAX_BYTES = 2 * 1024 * 1024  # federation metadata of one IdP is far smaller
BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"


def _check_scheme(url):
    allowed = (
        {"https", "http"} if getattr(settings, "SSO_ALLOW_HTTP", settings.DEBUG) else {"https"}
    )
    if urlsplit(url).scheme not in allowed:
        raise ValidationError(_("Use an https:// address."), code="https")


def _fetch(url):
    """The body of GET `url` (bytes); ValidationError when it cannot be had."""
    import requests

    _check_scheme(url)
    try:
        with requests.get(
            url, timeout=FETCH_TIMEOUT, stream=True, allow_redirects=True, headers={"Accept": "*/*"}
        ) as response:
            if response.status_code != 200:
                raise ValidationError(
                    _("%(url)s answered HTTP %(status)s instead of the document.")
                    % {"url": url, "status": response.status_code},
                    code="http_status",
                )
            body = response.raw.read(FETCH_MAX_BYTES + 1, decode_content=True)
    except requests.RequestException:
        raise ValidationError(
            _("Could not reach %(url)s (no answer within %(n)s seconds, or no such server).")
            % {"url": url, "n": FETCH_TIMEOUT},
            code="unreachable",
        ) from None
    if len(body) > FETCH_MAX_BYTES:
        raise ValidationError(_("%(url)s is too large to be metadata.") % {"url": url})
    return body


def oidc_discover(issuer):
    """The discovery document of `issuer` (a dict), fetched from
    <issuer>/.well-known/openid-configuration. Raises ValidationError when it cannot be
    reached, is not a discovery document, or names another issuer (OpenID Connect
    Discovery 1.0 §4.3: the "issuer" must equal the URL it was fetched under)."""
    import json

    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    body = _fetch(url)
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    if not isinstance(document, dict) or not document.get("authorization_endpoint"):
        raise ValidationError(
            _(
                "%(url)s is not an OpenID Connect discovery document: check the issuer URL "
                "(it is the address before /.well-known/openid-configuration)."
            )
            % {"url": url},
            code="not_oidc",
        )
    if document.get("issuer") != issuer:
        raise ValidationError(
            _(
                "The provider calls itself “%(found)s”, not “%(entered)s”: enter exactly the "
                "issuer it names (watch for a trailing slash)."
            )
            % {"found": document.get("issuer", ""), "entered": issuer},
            code="issuer_mismatch",
        )
    return document


def saml_metadata_parse(*, url="", xml="", entity_id=None):
    """{"entity_id", "sso_url", "x509cert"} of the IdP described by the metadata at `url`
    (fetched) or in `xml` (the one named `entity_id` when the metadata holds several).
    Raises ValidationError for XML that does not parse, no IdP in it, no HTTP-Redirect
    sign-in endpoint, or no signing certificate."""
    from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

    document = _fetch(url) if url else xml.strip().encode()
    try:
        data = OneLogin_Saml2_IdPMetadataParser.parse(
            document, required_sso_binding=BINDING_REDIRECT, entity_id=entity_id
        )
    except Exception:  # lxml's syntax errors, defusedxml's refusals (entities, DTDs)
        raise ValidationError(
            _("This is not readable SAML metadata (the XML does not parse)."), code="bad_xml"
        ) from None
    idp = data.get("idp") or {}
    if not idp.get("entityId"):
        raise ValidationError(
            _("The metadata describes no identity provider (no IDPSSODescriptor)."),
            code="no_idp",
        )
    sso_url = (idp.get("singleSignOnService") or {}).get("url")
    if not sso_url:
        raise ValidationError(
            _("The identity provider has no sign-in endpoint with the HTTP-Redirect binding."),
            code="no_redirect_sso",
        )
    cert = idp.get("x509cert") or ((idp.get("x509certMulti") or {}).get("signing") or [""])[0]
    if not cert:
        raise ValidationError(
            _("The metadata has no signing certificate: responses could not be checked."),
            code="no_cert",
        )
    return {"entity_id": idp["entityId"], "sso_url": sso_url, "x509cert": cert}
