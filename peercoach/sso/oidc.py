"""OpenID Connect sign-in start: allauth's view, with an unreachable provider answered by the
refusal page instead of a server error, and a policy that lets its form reach the provider.

allauth's openid_connect login view discovers the provider's endpoints
(`<issuer>/.well-known/openid-configuration`) before it redirects; a mistyped issuer (404)
or a provider that does not answer raises `requests.RequestException` there, which allauth
catches only on the callback. Here that start is audited in the organisation and ends on the
refusal page (HTTP 403), like every other refused sign-in. On GET allauth shows a page whose
form POSTs back and is answered with the redirect to the provider: its Content-Security-
Policy allows the provider's origin in form-action (`providers.sign_in_csp`).
"""

import logging

import requests
from allauth.socialaccount.providers.openid_connect import views as allauth_oidc
from django.utils.translation import gettext as _

from . import providers, services

logger = logging.getLogger(__name__)

# Audit reasons of OpenID Connect answers refused here (allauth does not check them).
UNVERIFIED = "address not verified by the provider"
SUBJECT_MISMATCH = "userinfo about another subject than the ID token"


def login(request, provider_id):
    """allauth's `openid_connect_login`, same URL and name; an unreachable or wrong
    discovery document gives the refusal page (audited), never a 500."""
    try:
        response = allauth_oidc.login(request, provider_id)
    except requests.RequestException as error:
        from .views import refused_response

        idp = providers.enabled_identity_provider(provider_id)
        detail = f"discovery failed, {type(error).__name__}"
        # Never the exception's text: it names URLs and may quote the provider's answer.
        logger.warning("Single sign-on start refused: %s", detail)
        if idp is None:
            return refused_response(request, organization=None)
        services.sso_refusal_record(
            organization=idp.organization, reason=services.Reason.PROTOCOL, detail=detail
        )
        return refused_response(request, organization=idp.organization)
    if request.method == "GET" and response.status_code == 200:
        idp = providers.enabled_identity_provider(provider_id)
        if idp is not None:
            response._csp_config = providers.sign_in_csp(idp)
    return response


def claims_problem(sociallogin, organization):
    """(audit reason, message) when an OpenID Connect answer must be refused although
    allauth accepted it, else None:
    - userinfo about another `sub` than the ID token's (OpenID Connect Core 5.3.2: the
      userinfo MUST NOT be used then; allauth uses it without comparing);
    - an address the provider marks unverified (`email_unverified`)."""
    extra = getattr(getattr(sociallogin, "account", None), "extra_data", None)
    if not isinstance(extra, dict):
        return None
    userinfo, id_token = extra.get("userinfo"), extra.get("id_token")
    both = isinstance(userinfo, dict) and isinstance(id_token, dict)
    if both and str(userinfo.get("sub")) != str(id_token.get("sub")):
        return SUBJECT_MISMATCH, None
    if email_unverified(sociallogin):
        return UNVERIFIED, unverified_message(organization)
    return None


def email_unverified(sociallogin):
    """True when an OpenID Connect provider said that the address it sent is NOT verified
    (`email_verified` false in its userinfo, else in its ID token). Such an address may be
    one the person merely typed into their profile at the provider, so it proves nothing
    about who they are here. An absent claim is no "no": Entra ID never sends it (its
    addresses are the directory's, set by the IT department)."""
    extra = getattr(getattr(sociallogin, "account", None), "extra_data", None)
    if not isinstance(extra, dict) or not ({"userinfo", "id_token"} & set(extra)):
        return False  # not an OpenID Connect answer
    for claims in (extra.get("userinfo"), extra.get("id_token")):
        if isinstance(claims, dict) and "email_verified" in claims:
            value = claims["email_verified"]
            return value is False or str(value).lower() == "false"
    return False


def unverified_message(organization):
    return _(
        "The sign-in service of %(org)s says your email address is not verified there. "
        "Verify it with %(org)s's IT department, then sign in again."
    ) % {"org": organization.name}
