"""The organisation's home page at /o/<slug>/, for its participants."""

from django.shortcuts import redirect, render
from django.template.loader import render_to_string

from peercoach.tenancy.stamps import Until, fragment

from ..selectors.home import participant_home


def home(request, org_slug):
    """The participant's home; coordinators are sent to their console (workspace:home).

    The page's content is rendered once per person and organisation version stamp
    (peercoach.tenancy.stamps): every write the home shows changes the stamp, and the
    content says itself when it changes with time (a session or an event starts or ends).
    """
    if request.membership.is_coordinator:
        return redirect("workspace:home", org_slug=request.organization.slug)

    def build():
        context = participant_home(
            organization=request.organization, membership=request.membership, user=request.user
        )
        html = render_to_string("portal/_home_content.html", context, request=request)
        return Until(html, context["changes_at"])

    content = fragment(request.organization, request.user, "portal:home", build)
    return render(request, "portal/home.html", {"content": content})
