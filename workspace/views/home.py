"""The coordinator's home at /o/<slug>/console/: what waits for the program team today,
the people, the current programs and who handles concerns."""

from peercoach.accounts.selectors import invitations_for_organization
from peercoach.tenancy.access import coordinator_required
from peercoach.tenancy.pages import render_cached
from peercoach.tenancy.selectors import member_counts
from programs.selectors.setup import programs_for_coordinator

from ..selectors.todo import concerns_unopened, coordinator_todo


@coordinator_required
def home(request, org_slug):
    """Coordinators: the to-do list, member counts, current programs, concern handlers."""
    organization = request.organization

    def build():
        # Read once: the list shows them with their counts, the to-do list and the pairs
        # at risk work per program.
        programs = programs_for_coordinator(organization=organization, current_only=True)
        return {
            **member_counts(organization=organization),
            "open_invitation_count": invitations_for_organization(
                organization=organization
            ).count(),
            "programs": programs,
            **coordinator_todo(
                organization=organization,
                membership=request.membership,
                programs=programs,
                unopened=unopened,
            ),
        }

    # Cached for this coordinator until the organisation's next write (peercoach.tenancy.
    # pages). Opening a concern writes only its access log, which leaves the stamp alone
    # (settings.CONTENT_STAMP_IGNORED): the count of unopened concerns is read every time
    # and part of the key, so the to-do list never shows a concern as unopened once read.
    unopened = concerns_unopened(organization) if request.membership.is_concern_handler else 0
    return render_cached(request, "workspace/home.html", build, name="console", vary=(unopened,))
