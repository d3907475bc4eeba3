"""The organisation's home page at /o/<slug>/, for its participants."""

from django.shortcuts import redirect, render

from ..selectors.home import participant_home


def home(request, org_slug):
    """The participant's home; coordinators are sent to their console (workspace:home)."""
    if request.membership.is_coordinator:
        return redirect("workspace:home", org_slug=request.organization.slug)
    context = participant_home(
        organization=request.organization, membership=request.membership, user=request.user
    )
    return render(request, "portal/home.html", context)
