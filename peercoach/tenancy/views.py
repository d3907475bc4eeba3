from django.http import FileResponse, Http404
from django.shortcuts import render

from peercoach.accounts.selectors import invitations_for_organization

from .models import Membership
from .selectors import members_for_organization


def home(request, org_slug):
    """The organisation's home: the coordinator's or the participant's."""
    organization = request.organization
    if request.membership.is_coordinator:
        members = members_for_organization(organization=organization)
        context = {
            "coordinator_count": members.filter(role=Membership.Role.COORDINATOR).count(),
            "participant_count": members.filter(role=Membership.Role.PARTICIPANT).count(),
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
    return FileResponse(request.organization.logo.open("rb"))
