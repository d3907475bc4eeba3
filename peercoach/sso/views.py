"""Single sign-on pages: `/o/<slug>/sso/` starts an organisation's provider, the refusal
page, and the email-first routing in front of allauth's sign-in view."""

from allauth.account.views import LoginView
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import selectors
from .models import IdentityProvider
from .providers import OIDC, enabled_identity_provider, sign_in_csp

allauth_login = LoginView.as_view()


def _safe_next(request, value):
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return ""


def provider_login_url(idp):
    """Where allauth starts `idp`'s sign-in (POST)."""
    if idp.protocol == IdentityProvider.Protocol.OIDC:
        return reverse(f"{OIDC}_login", kwargs={"provider_id": idp.key})
    return reverse("saml_login", kwargs={"organization_slug": idp.key})


def sso_start_url(organization, next_url=""):
    url = reverse("sso:start", kwargs={"org_slug": organization.slug})
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def refused_response(request, *, organization, message="", organizations=(), status=403):
    """The refusal page (HTTP 403): what happened and what to do. `organizations`: those
    whose provider the person must use instead (mandatory single sign-on)."""
    return render(
        request,
        "sso/refused.html",
        {
            "organization": organization,
            "message": message,
            "sso_links": [(org, sso_start_url(org)) for org in organizations],
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET", "HEAD"])
def sso_start(request, org_slug):
    """Public: the organisation's provider sign-in, one button (allauth starts providers on
    POST). 404 for an unknown organisation or one without an enabled provider, the same."""
    idp = enabled_identity_provider(org_slug)
    if idp is None:
        raise Http404("No single sign-on here.")
    response = render(
        request,
        "sso/start.html",
        {
            "idp": idp,
            "organization": idp.organization,
            "action": provider_login_url(idp),
            "next": _safe_next(request, request.GET.get("next", "")),
        },
    )
    # The form's POST is answered with a redirect to the provider: form-action must allow it.
    response._csp_config = sign_in_csp(idp)
    return response


def login(request, *args, **kwargs):
    """allauth's sign-in, email first: an address whose domain an operator confirmed for an
    organisation with an enabled provider goes to that provider when no password was typed
    (an operator's break-glass sign-in types one); everything else is allauth's view as is."""
    if request.method == "POST" and not request.POST.get("password"):
        idp = selectors.sso_provider_for_email(email=request.POST.get("login", ""))
        if idp is not None:
            next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
            return redirect(sso_start_url(idp.organization, next_url))
    return allauth_login(request, *args, **kwargs)
