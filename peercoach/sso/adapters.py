"""django-allauth's social account adapter: apps come from each organisation's provider, and
the rules of sign-in (`peercoach.sso.services.sso_decide`) decide who comes in.

allauth's own flow runs unchanged; two hooks carry the rules:
- `pre_social_login`: after the provider answered and allauth verified it, before anything
  is written. A refusal is audited and answered with the refusal page
  (ImmediateHttpResponse) with nothing created; an admission creates / links what the
  decision says in one transaction, so allauth then signs in an existing, linked account
  (its own sign-up path is never reached: `is_open_for_signup` is False).
- `on_authentication_error`: what allauth or python3-saml refused (wrong issuer, bad or
  missing signature, expired, wrong audience, replay, state mismatch) ends on the same page,
  audited in the organisation whose provider it was.
"""

import logging

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base import AuthProcess
from django.db import transaction

from . import oidc, providers, services
from .session import STATE_KEY, mfa_asserted, sso_marks_carry

logger = logging.getLogger(__name__)


def asserted_email(sociallogin):
    """The address the provider asserted: its first email address, else the one allauth
    populated on the (new) user."""
    for address in sociallogin.email_addresses or []:
        if address.email:
            return address.email
    if not sociallogin.is_existing and sociallogin.user is not None:
        return sociallogin.user.email or ""
    return ""


def _identity_provider(sociallogin_or_provider):
    provider = getattr(sociallogin_or_provider, "provider", sociallogin_or_provider)
    app = getattr(provider, "app", None)
    return providers.identity_provider_of(app) if app is not None else None


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(self, request, provider=None, client_id=None):
        return providers.social_apps(provider=provider, client_id=client_id)

    def is_open_for_signup(self, request, sociallogin):
        # Accounts are created by the rules in pre_social_login, never by allauth's sign-up.
        return False

    def pre_social_login(self, request, sociallogin):
        from .views import refused_response

        if sociallogin.state.get("process") == AuthProcess.CONNECT:
            # No "connect this provider to my account": an organisation's provider signs
            # people in under the rules below, nothing else.
            sociallogin.state["process"] = AuthProcess.LOGIN
        idp = _identity_provider(sociallogin)
        if idp is None:
            # A provider that is no longer enabled (switched off mid-sign-in).
            raise ImmediateHttpResponse(refused_response(request, organization=None))
        problem = oidc.claims_problem(sociallogin, idp.organization)
        if problem is not None:
            # An OpenID Connect answer allauth accepted but that proves nothing (oidc.py).
            reason, message = problem
            services.sso_refusal_record(
                organization=idp.organization, reason=reason, email=asserted_email(sociallogin)
            )
            raise ImmediateHttpResponse(
                refused_response(request, organization=idp.organization, message=message)
            )
        linked = sociallogin.user if sociallogin.is_existing else None
        decision = services.sso_decide(
            identity_provider=idp, email=asserted_email(sociallogin), user=linked
        )
        if decision.refused:
            services.sso_refusal_record(
                organization=decision.organization, reason=decision.reason, email=decision.email
            )
            raise ImmediateHttpResponse(
                refused_response(
                    request, organization=decision.organization, message=decision.message
                )
            )
        carry = sso_marks_carry(request, user=decision.user)
        new = sociallogin.user if not sociallogin.is_existing else None
        with transaction.atomic():
            user = services.sso_admit(
                decision=decision,
                first_name=getattr(new, "first_name", ""),
                last_name=getattr(new, "last_name", ""),
                protocol=str(idp.get_protocol_display()),
            )
            if not sociallogin.is_existing:
                # Link this provider's identity to the account (allauth's own connect).
                sociallogin.connect(request, user)
        sociallogin.state[STATE_KEY] = {
            "org": idp.organization_id,
            "mfa": mfa_asserted(sociallogin),
            "carry": carry,
        }

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ):
        from .views import refused_response

        super().on_authentication_error(
            request, provider, error=error, exception=exception, extra_context=extra_context
        )
        idp = _identity_provider(provider)
        detail = str(error or "error")
        if exception is not None:
            detail = f"{detail}, {type(exception).__name__}"
        # python3-saml's reason ("No Signature found", "Could not validate timestamp:
        # expired", "... is not a valid audience ..."): ids and URLs, no secret; cut short.
        reason = str((extra_context or {}).get("saml_last_error_reason") or "")
        if reason:
            detail = f"{detail}: {reason[:120]}"
        # Never the exception's text: it may carry a token or the provider's raw answer.
        logger.warning("Single sign-on refused by the protocol: %s", detail)
        if idp is not None:
            services.sso_refusal_record(
                organization=idp.organization, reason=services.Reason.PROTOCOL, detail=detail
            )
        raise ImmediateHttpResponse(
            refused_response(request, organization=idp.organization if idp else None)
        )
