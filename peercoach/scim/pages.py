"""The coordinator's provisioning page: the SCIM base URL to copy into the identity
provider, and the organisation's token (made, shown once, regenerated or revoked)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from peercoach.tenancy.access import coordinator_required

from . import services
from .models import ScimToken


@never_cache
@coordinator_required
def provisioning(request, org_slug):
    organization = request.organization
    new_token = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            # Shown in this answer only: never stored, never shown again.
            new_token = services.scim_token_create(organization=organization, actor=request.user)
        elif action == "revoke":
            if services.scim_token_revoke(organization=organization, actor=request.user):
                messages.success(request, _("The token was revoked: provisioning has stopped."))
            return redirect("scim:provisioning", org_slug=organization.slug)
        else:
            messages.error(request, _("Choose create or revoke."))
            return redirect("scim:provisioning", org_slug=organization.slug)
    base_url = request.build_absolute_uri(
        reverse("scim:users", kwargs={"slug": organization.slug})
    ).removesuffix("Users")
    return render(
        request,
        "scim/provisioning.html",
        {
            "token": ScimToken.objects.filter(organization=organization).first(),
            "new_token": new_token,
            "base_url": base_url,
        },
    )
