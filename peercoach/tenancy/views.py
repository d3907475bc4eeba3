"""The organisation's logo; the organisation's pages are composed in `portal` and `workspace`."""

from django.http import FileResponse, Http404


def logo(request, org_slug):
    """The organisation's logo, for its members (media is not public in production)."""
    if not request.organization.logo:
        raise Http404
    try:
        return FileResponse(request.organization.logo.open("rb"))
    except FileNotFoundError:
        raise Http404 from None
