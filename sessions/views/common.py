"""What every sessions view shares: URL prefixes and the read-only answer."""

from functools import wraps

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from peercoach.tenancy.urls import TENANT

from ..access import NotWritable

# A pair's or circle's pages, a session's pages, and the person's own pages: the prefixes
# of the routes in sessions/urls.py.
PAIR = f"{TENANT}pairs/<int:pk>/"
SESSION = f"{TENANT}sessions/<int:pk>/"
ME = f"{TENANT}me/"


def read_only_answer(view):
    """Turn NotWritable (ended pair, member who left) into a message on the pair's page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotWritable:
            messages.error(
                request,
                _("This pair or circle has ended, or you have left it: its pages are read-only."),
            )
            return redirect("portal:home", org_slug=request.organization.slug)

    return wrapper
