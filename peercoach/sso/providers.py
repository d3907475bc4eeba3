"""The SocialApp django-allauth asks for, built from each organisation's IdentityProvider.

allauth looks apps up by provider and client id (`SocialAccountAdapter.list_apps`); the
answer comes from `IdentityProvider` rows, never from allauth's own SocialApp table, so a
tenant's configuration has one home and the secret is never shown in allauth's admin. The
SocialApp instances are unsaved: allauth only reads them (tokens are not stored).
"""

from urllib.parse import urlsplit

import requests
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django_scopes import scopes_disabled

from .metadata import saml_metadata_parse
from .models import IdentityProvider

OIDC = "openid_connect"
SAML = "saml"
# SAML subject identifiers, first released first used: subject-id and pairwise-id (OASIS
# SAML V2.0 Subject Identifier Attributes), eduPersonPrincipalName (InCommon/eduGAIN).
SAML_SUBJECT_ATTRIBUTES = [
    "urn:oasis:names:tc:SAML:attribute:subject-id",
    "urn:oasis:names:tc:SAML:attribute:pairwise-id",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.6",
]


def _oidc_app(idp):
    """allauth's openid_connect app for an organisation's OpenID Connect provider.

    What allauth checks, and what is added here: allauth discovers the endpoints from
    `<issuer>/.well-known/openid-configuration`, sends `state` and a PKCE S256 challenge
    (on here), authenticates to the token endpoint with client_secret_post, and checks the
    id_token's `iss` against the discovered issuer, its `aud` against the client id, and
    `exp` (and a `jti` replay list). Its signature is not checked when the token came from
    the token endpoint (OpenID Connect Core 3.1.3.7: the TLS back channel is the proof),
    and the claims used come from userinfo over that same channel. allauth sends no
    `nonce` (PKCE covers code injection in the code flow). allauth never compares the
    discovered issuer with the configured one, so a discovery document naming another
    issuer would be believed: the override pins the issuer every id_token must carry to
    the one the organisation configured, as OpenID Connect Discovery 4.3 requires."""
    return SocialApp(
        provider=OIDC,
        provider_id=idp.key,
        name=idp.button_label or idp.organization.name,
        client_id=idp.client_id,
        secret=idp.client_secret,
        settings={
            # allauth appends /.well-known/openid-configuration: no double slash.
            "server_url": idp.issuer.rstrip("/"),
            "oauth_pkce_enabled": True,
            "token_auth_method": "client_secret_post",
            "openid_configuration_overrides": {"issuer": idp.issuer},
        },
    )


def _saml_idp_from_xml(metadata_xml, entity_id):
    """The entity id, sign-in URL and signing certificate in pasted IdP metadata, or {} when
    it cannot be read (the provider then fails closed: python3-saml refuses to start)."""
    try:
        return saml_metadata_parse(xml=metadata_xml, entity_id=entity_id or None)
    except ValidationError:
        return {}


def _saml_app(idp):
    """allauth's SAML app: IdP from its metadata URL (fetched and cached by allauth), else
    from pasted metadata XML, else from the entity id, sign-in URL and certificate typed in.
    Strict: python3-saml refuses a response in which neither the Response nor the assertion
    is signed by the configured certificate, and expired or other-audience responses. Either
    signature is enough: Entra ID signs the assertion by default, Shibboleth the Response;
    a signed Response covers the assertion inside it."""
    idp_settings = {"entity_id": idp.idp_entity_id}
    if idp.metadata_url:
        idp_settings["metadata_url"] = idp.metadata_url
    else:
        idp_settings.update(sso_url=idp.idp_sso_url, x509cert=idp.idp_x509cert)
        if idp.metadata_xml and not (idp.idp_sso_url and idp.idp_x509cert):
            idp_settings.update(_saml_idp_from_xml(idp.metadata_xml, idp.idp_entity_id))
    return SocialApp(
        provider=SAML,
        provider_id=idp.key,
        name=idp.button_label or idp.organization.name,
        client_id=idp.key,
        settings={
            "idp": idp_settings,
            "attribute_mapping": {
                # A stable subject identifier when the IdP releases one, else the NameID
                # (saml.SAMLProvider.extract_uid: not a transient one).
                "uid": SAML_SUBJECT_ATTRIBUTES,
                "email": idp.attribute_email,
                "first_name": idp.attribute_first_name,
                "last_name": idp.attribute_last_name,
            },
            "advanced": {
                "strict": True,
                # Not "the assertion itself": python3-saml still refuses an answer with no
                # signature at all (NO_SIGNATURE_FOUND), see the docstring.
                "want_assertion_signed": False,
                "reject_idp_initiated_sso": True,
            },
        },
    )


BUILDERS = {IdentityProvider.Protocol.OIDC: _oidc_app, IdentityProvider.Protocol.SAML: _saml_app}
PROTOCOL_OF = {OIDC: IdentityProvider.Protocol.OIDC, SAML: IdentityProvider.Protocol.SAML}


def social_apps(*, provider=None, client_id=None):
    """Unsaved SocialApps for the enabled providers matching allauth's lookup: `provider` is a
    provider class id ("openid_connect", "saml") or a provider_id (an organisation's slug);
    `client_id` is a client id (SAML: the slug). One query."""
    with scopes_disabled():
        rows = IdentityProvider.objects.filter(enabled=True).select_related("organization")
        if provider in PROTOCOL_OF:
            rows = rows.filter(protocol=PROTOCOL_OF[provider])
        elif provider:
            rows = rows.filter(organization__slug=provider)
        apps = [BUILDERS[idp.protocol](idp) for idp in rows]
    if client_id:
        apps = [app for app in apps if app.client_id == client_id]
    return apps


def enabled_identity_provider(key):
    """The enabled IdentityProvider whose allauth key (its organisation's slug) is `key`, with
    its organisation, or None. Scopes disabled: sign-in comes before any organisation's
    scope. One query."""
    with scopes_disabled():
        return (
            IdentityProvider.objects.filter(enabled=True, organization__slug=key)
            .select_related("organization")
            .first()
        )


def identity_provider_of(app):
    """The IdentityProvider behind a SocialApp built here, or None. One query."""
    return enabled_identity_provider(app.provider_id)


def _origin(url):
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _authorization_origin(issuer):
    """The origin of `issuer`'s authorization endpoint, from its discovery document (kept an
    hour, a failure a minute; allauth fetches the same document when the sign-in starts).
    None when it cannot be read: the issuer's origin then stands alone."""
    key = f"sso:authorization-origin:{issuer}"
    origin = cache.get(key)
    if origin is None:
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            with get_adapter().get_requests_session() as session:
                response = session.get(url, timeout=5)
                response.raise_for_status()
                origin = _origin(response.json().get("authorization_endpoint")) or ""
        except (requests.RequestException, ValueError, AttributeError):
            cache.set(key, "", 60)  # not asked again on every page while it is down
            return None
        cache.set(key, origin, 3600)
    return origin or None


def sign_in_origins(idp):
    """The origins (scheme://host[:port]) the browser is sent to when `idp`'s sign-in
    starts: OpenID Connect, the issuer's and its authorization endpoint's (another host at
    e.g. Amazon Cognito); SAML, its sign-in URL's."""
    if idp.protocol == IdentityProvider.Protocol.OIDC:
        origins = [_origin(idp.issuer), idp.issuer and _authorization_origin(idp.issuer)]
    else:
        origins = [_origin(idp.idp_sso_url)]
    return list(dict.fromkeys(origin for origin in origins if origin))


def sign_in_csp(idp):
    """The Content-Security-Policy of a page whose form starts `idp`'s sign-in: the site's
    own, with the provider's origins allowed in `form-action`. Browsers check form-action on
    the redirects that follow a form's submission too, so allauth's answer to the POST (a
    redirect to the provider) is blocked under `form-action 'self'` alone. Set it as
    `response._csp_config`, as Django's `csp_override` decorator does."""
    policy = dict(settings.SECURE_CSP)
    policy["form-action"] = [*policy.get("form-action", []), *sign_in_origins(idp)]
    return policy
