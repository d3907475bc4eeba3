from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from peercoach.health import health_report
from peercoach.tenancy.selectors import memberships_for_request


def home(request):
    """Landing (and where sign-in leads): sign-in for visitors; for members, their home in
    their organisation, or a choice of organisations."""
    if not request.user.is_authenticated:
        return render(request, "landing.html")
    memberships = memberships_for_request(request)
    if len(memberships) == 1:
        return redirect(home_url_name(memberships[0]), org_slug=memberships[0].organization.slug)
    return render(request, "choose_organization.html", {"memberships": memberships})


def home_url_name(membership):
    """The URL name of the member's home in the organisation: the console for coordinators,
    so that signing in lands them there without a second redirect."""
    return "workspace:home" if membership.is_coordinator else "portal:home"


@never_cache
def healthz(request):
    """Per-component JSON; 200 when "ok" or "degraded" (Redis down), 503 when the database
    is down. See peercoach/health.py for why a Redis outage is not a 503."""
    status, components = health_report()
    return JsonResponse(
        {"status": status, "components": components}, status=503 if status == "down" else 200
    )
