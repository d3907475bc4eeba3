from django.http import FileResponse, Http404
from django.shortcuts import render

from peercoach.accounts.selectors import invitations_for_organization

from .selectors import member_counts


def home(request, org_slug):
    """The organisation's home: the coordinator's or the participant's."""
    organization = request.organization
    if request.membership.is_coordinator:
        context = {
            **member_counts(organization=organization),
            "open_invitation_count": invitations_for_organization(
                organization=organization
            ).count(),
        }
        return render(request, "tenancy/coordinator_home.html", context)
    return render(request, "tenancy/participant_home.html", {})


def logo(request, org_slug):
    """The organisation's logo, for its members (media is not public in production)."""
    if not request.organization.logo:
        raise Http404
    try:
        return FileResponse(request.organization.logo.open("rb"))
    except FileNotFoundError:
        raise Http404 from None
