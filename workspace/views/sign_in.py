"""The organisation's sign-in settings (coordinators): its single sign-on provider, the
values to copy into the provider, and the email domains it claims."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from peercoach.sso.configuration import (
    email_domain_claim,
    email_domain_remove,
    identity_provider_update,
)
from peercoach.sso.forms import EmailDomainForm, IdentityProviderForm
from peercoach.sso.models import (
    SAML_EMAIL,
    SAML_FIRST_NAME,
    SAML_LAST_NAME,
    EmailDomain,
    IdentityProvider,
)
from peercoach.tenancy.access import coordinator_required
from peercoach.web.forms import object_id
from peercoach.web.views import form_error, redirect_to

NAME_ID_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"


def copy_values(organization):
    """What the coordinator copies into the identity provider, absolute on SITE_URL (the
    address allauth builds its own URLs from must be the same: README, Single sign-on)."""
    slug = organization.slug
    site = settings.SITE_URL

    def absolute(name, *args):
        return site + reverse(name, args=args)

    metadata_url = absolute("saml_metadata", slug)
    return {
        # /o/<slug>/sso/ (peercoach.sso.urls) and allauth's OpenID Connect callback: fixed
        # paths by the SSO contract, spelt out so this page does not depend on their names.
        "start_url": f"{site}/o/{slug}/sso/",
        "redirect_uri": f"{site}/accounts/oidc/{slug}/login/callback/",
        "sp_entity_id": metadata_url,
        "sp_metadata_url": metadata_url,
        "acs_url": absolute("saml_acs", slug),
        "name_id_format": NAME_ID_EMAIL,
        "attributes": [
            (_("Email address"), "mail", SAML_EMAIL),
            (_("First name"), "givenName", SAML_FIRST_NAME),
            (_("Last name"), "sn", SAML_LAST_NAME),
        ],
    }


@never_cache
@sensitive_post_parameters("client_secret")
@coordinator_required
def sign_in_settings(request, org_slug):
    """Coordinators: the provider form, the domain claim form and the remove buttons,
    told apart by the `form` field of the POST. Bad input shows on the page (400)."""
    organization = request.organization
    idp = IdentityProvider.objects.filter(organization=organization).first()
    provider_form = IdentityProviderForm(organization=organization, instance=idp)
    domain_form = EmailDomainForm(organization=organization)
    status = 200
    kind = request.POST.get("form") if request.method == "POST" else None
    if kind == "provider":
        provider_form = IdentityProviderForm(request.POST, organization=organization, instance=idp)
        if provider_form.is_valid():
            try:
                changed = identity_provider_update(
                    organization=organization, changes=provider_form.changes(), request=request
                )
            except ValidationError as exc:
                form_error(provider_form, exc)
            else:
                if changed:
                    messages.success(request, _("The single sign-on settings are saved."))
                else:
                    messages.info(request, _("Nothing had changed."))
                return redirect("workspace:sign_in_settings", org_slug=organization.slug)
        status = 400
    elif kind == "domain":
        domain_form = EmailDomainForm(request.POST, organization=organization)
        if domain_form.is_valid():
            try:
                claim = email_domain_claim(
                    organization=organization,
                    domain=domain_form.cleaned_data["domain"],
                    request=request,
                )
            except ValidationError as exc:
                form_error(domain_form, exc)
            else:
                messages.success(
                    request,
                    _("%(domain)s is claimed; an operator confirms it before sign-in uses it.")
                    % {"domain": claim.domain},
                )
                return redirect_to(
                    "workspace:sign_in_settings", "email-domains", org_slug=organization.slug
                )
        status = 400
    elif kind == "domain_remove":
        removed = email_domain_remove(
            organization=organization,
            domain_id=object_id(request.POST.get("domain_id")),
            request=request,
        )
        if removed:
            messages.success(request, _("%(domain)s is removed.") % {"domain": removed})
        return redirect_to(
            "workspace:sign_in_settings", "email-domains", org_slug=organization.slug
        )
    context = {
        "provider_form": provider_form,
        "domain_form": domain_form,
        "has_secret": provider_form.has_secret,
        "idp": idp,
        "domains": list(EmailDomain.objects.filter(organization=organization)),
        "copy": copy_values(organization),
    }
    return render(request, "workspace/sign_in_settings.html", context, status=status)
