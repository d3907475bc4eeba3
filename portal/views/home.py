"""The organisation's home page at /o/<slug>/: the coordinator's or the participant's."""

from django.conf import settings
from django.shortcuts import render
from django.utils.module_loading import import_string

from peercoach.accounts.selectors import invitations_for_organization
from peercoach.tenancy.selectors import member_counts
from programs.models import Program
from programs.selectors.participant import my_active_matches, my_applications, programs_visible
from programs.selectors.setup import programs_for_coordinator
from sessions.selectors.home import home_for_participant


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
            **home_panels("coordinator", request),
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
        **home_panels("participant", request),
    }
    return render(request, "tenancy/participant_home.html", context)


def home_panels(role, request):
    """The context the apps listed in settings.HOME_PANELS[role] add to the home."""
    context = {}
    for path in settings.HOME_PANELS.get(role, ()):
        context.update(import_string(path)(request=request))
    return context
