"""The coordinator's home at /o/<slug>/console/: what waits for the program team today,
the people, the current programs and who handles concerns."""

from django.shortcuts import render

from peercoach.accounts.selectors import invitations_for_organization
from peercoach.tenancy.access import coordinator_required
from peercoach.tenancy.selectors import member_counts
from programs.selectors.setup import programs_for_coordinator

from ..selectors.todo import coordinator_todo


@coordinator_required
def home(request, org_slug):
    """Coordinators: the to-do list, member counts, current programs, concern handlers."""
    organization = request.organization
    # Read once: the list shows them with their counts, the to-do list and the pairs at
    # risk work per program.
    programs = programs_for_coordinator(organization=organization, current_only=True)
    context = {
        **member_counts(organization=organization),
        "open_invitation_count": invitations_for_organization(organization=organization).count(),
        "programs": programs,
        **coordinator_todo(
            organization=organization, membership=request.membership, programs=programs
        ),
    }
    return render(request, "workspace/home.html", context)
