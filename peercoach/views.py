from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from peercoach.health import health_report
from peercoach.tenancy.selectors import memberships_for_request


def home(request):
    """Landing: sign-in for visitors; the organisation (or a choice of them) for members."""
    if not request.user.is_authenticated:
        return render(request, "landing.html")
    memberships = memberships_for_request(request)
    if len(memberships) == 1:
        return redirect("portal:home", org_slug=memberships[0].organization.slug)
    return render(request, "choose_organization.html", {"memberships": memberships})


@never_cache
def healthz(request):
    """Per-component JSON; 200 when "ok" or "degraded" (Redis down), 503 when the database
    is down. See peercoach/health.py for why a Redis outage is not a 503."""
    status, components = health_report()
    return JsonResponse(
        {"status": status, "components": components}, status=503 if status == "down" else 200
    )
