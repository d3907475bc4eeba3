"""SAML 2.0 through django-allauth's `saml` provider, with what it leaves to us.

allauth's views and python3-saml (strict mode, signed assertions required: see
`providers._saml_app`) refuse a response that is unsigned, badly signed, expired, not yet
valid, for another audience or destination, or from another issuer; allauth matches its
InResponseTo with a request this browser started. This module adds, through allauth's
documented `SOCIALACCOUNT_PROVIDERS["saml"]["provider_class"]` (no view is forked):

- replay protection: an assertion ID is consumed once per organisation (`UsedAssertion`);
- the AuthnContextClassRef(s) the IdP asserted, kept in `sociallogin.account.extra_data[
  AUTHN_CONTEXT]` for `peercoach.sso.session.mfa_asserted`;
- every refusal (replay, a response this browser did not ask for, an IdP we cannot reach)
  ends on the adapter's authentication-error page (`on_authentication_error`: refusal page
  and audit row), never a 500 nor Django's bare 403.
"""

import datetime
import logging

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.helpers import render_authentication_error
from allauth.socialaccount.providers.base.constants import AuthError
from allauth.socialaccount.providers.saml.provider import SAMLProvider as AllauthSAMLProvider
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from .models import UsedAssertion
from .providers import identity_provider_of

logger = logging.getLogger(__name__)

TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
# sociallogin.account.extra_data key: the AuthnContextClassRef values of the assertion.
AUTHN_CONTEXT = "authn_context"
# python3-saml accepts an assertion up to this long after its NotOnOrAfter (clock drift).
CLOCK_DRIFT = datetime.timedelta(minutes=5)
# An assertion without a NotOnOrAfter (python3-saml requires one in strict mode) is kept
# this long.
DEFAULT_LIFETIME = datetime.timedelta(hours=24)


class SamlRefusal(Exception):
    """What this module refuses; the class name is the audit row's detail."""

    code = "refused"


class AssertionReplayed(SamlRefusal):
    code = "replayed"


class UnsolicitedResponse(SamlRefusal):
    code = "unsolicited"


class IdentityProviderUnavailable(SamlRefusal):
    code = "idp_unavailable"


class NoSubject(SamlRefusal):
    code = "no_subject"


def saml_assertion_consume(*, organization, assertion_id, not_on_or_after=None):
    """Record that `assertion_id` from `organization`'s provider is being used; return
    False when it was used before (a replay), True the first time.

    Guarantees: atomic (the unique constraint on (organization, assertion id) decides
    between concurrent uses, so exactly one of them gets True); the same ID from another
    organisation's provider is another assertion; rows past their NotOnOrAfter plus the
    clock drift are deleted on the way, so the table holds only assertions still usable.
    """
    now = timezone.now()
    if not_on_or_after is None:
        not_on_or_after = now + DEFAULT_LIFETIME
    with scopes_disabled():
        UsedAssertion.objects.filter(not_on_or_after__lt=now - CLOCK_DRIFT).delete()
        try:
            with transaction.atomic():
                UsedAssertion.objects.create(
                    organization=organization,
                    assertion_id=assertion_id,
                    not_on_or_after=not_on_or_after,
                )
        except IntegrityError:
            return False
    return True


def _refuse(request, provider, exception):
    """End the request on the adapter's authentication-error page (refusal page, audit row
    in the organisation: "provider answer refused (denied, AssertionReplayed)")."""
    logger.warning(
        "SAML sign-in refused for %s: %s", provider.app.client_id, type(exception).__name__
    )
    response = render_authentication_error(
        request,
        provider,
        error=AuthError.DENIED,
        exception=exception,
        extra_context={"saml_errors": [exception.code], "saml_last_error_reason": str(exception)},
    )
    raise ImmediateHttpResponse(response)


class SAMLProvider(AllauthSAMLProvider):
    """allauth's SAML provider, plus replay protection and the authentication context."""

    # allauth's URLs and views stay allauth's: /accounts/saml/<slug>/login/, acs/, ...
    package = "allauth.socialaccount.providers.saml"

    def sociallogin_from_response(self, request, response):
        assertion_id = response.get_last_assertion_id()
        expiry = response.get_last_assertion_not_on_or_after()
        idp = identity_provider_of(self.app)
        if not assertion_id or idp is None:
            _refuse(request, self, AssertionReplayed("The response carries no assertion ID."))
        if not saml_assertion_consume(
            organization=idp.organization,
            assertion_id=assertion_id,
            not_on_or_after=datetime.datetime.fromtimestamp(expiry, datetime.UTC)
            if expiry
            else None,
        ):
            _refuse(request, self, AssertionReplayed(f"Assertion {assertion_id} was already used."))
        try:
            login = super().sociallogin_from_response(request, response)
        except ValueError:
            # Neither a stable identifier nor an address: nobody to sign in.
            _refuse(request, self, NoSubject("The answer names nobody."))
        login.account.extra_data[AUTHN_CONTEXT] = list(response.get_last_authn_contexts())
        return login

    def extract_uid(self, data):
        """The account's identifier at this provider: a subject-id / pairwise-id /
        eduPersonPrincipalName attribute when released (`_saml_app`'s mapping), else a
        NameID that is not transient, else the asserted address (lower-cased): a
        Shibboleth-style transient NameID changes at every sign-in and would link a new
        identity each time. None when there is none of them (then refused)."""
        fields = self._extract(data)
        if fields.get("uid"):
            return fields["uid"]
        if data.get_nameid() and data.get_nameid_format() != TRANSIENT:
            return data.get_nameid()
        email = fields.get("email")
        return email.strip().lower() if email else None

    def unstash_redirect_state(self, request, state_id):
        try:
            return super().unstash_redirect_state(request, state_id)
        except PermissionDenied:
            # InResponseTo names no sign-in this browser started (or one that timed out).
            _refuse(request, self, UnsolicitedResponse("No sign-in of this browser asked."))

    def redirect(self, request, process, next_url=None, data=None, **kwargs):
        try:
            return super().redirect(request, process, next_url, data, **kwargs)
        except ImmediateHttpResponse:
            raise
        except Exception as exc:  # noqa: BLE001 - metadata unreachable, unreadable, incomplete
            logger.warning("SAML provider %s unavailable: %r", self.app.client_id, exc)
            _refuse(request, self, IdentityProviderUnavailable("Metadata unavailable."))
