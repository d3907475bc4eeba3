from django.http import FileResponse, Http404
from django.shortcuts import render

from peercoach.accounts.selectors import invitations_for_organization
from programs.models import Program
from programs.selectors.participant import my_active_matches, my_applications, programs_visible
from programs.selectors.setup import programs_for_coordinator
from sessions.selectors.home import home_for_participant

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
            "programs": programs_for_coordinator(organization=organization, current_only=True),
        }
        return render(request, "tenancy/coordinator_home.html", context)
    applications = my_applications(organization=organization, user=request.user)
    programs = []
    for program in programs_visible(organization=organization, membership=request.membership):
        program.my_application = applications.get(program.pk)
        # Ended programs stay listed only for the people who took part.
        if program.status != Program.Status.CLOSED or program.my_application:
            programs.append(program)
    matches = my_active_matches(organization=organization, user=request.user)
    context = {
        "programs": programs,
        **home_for_participant(
            organization=organization, user=request.user, matches=matches, programs=programs
        ),
    }
    return render(request, "tenancy/participant_home.html", context)


def logo(request, org_slug):
    """The organisation's logo, for its members (media is not public in production)."""
    if not request.organization.logo:
        raise Http404
    try:
        return FileResponse(request.organization.logo.open("rb"))
    except FileNotFoundError:
        raise Http404 from None
