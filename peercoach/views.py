from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from peercoach.tenancy.selectors import memberships_for_request


def home(request):
    """Landing: sign-in for visitors; the organisation (or a choice of them) for members."""
    if not request.user.is_authenticated:
        return render(request, "landing.html")
    memberships = memberships_for_request(request)
    if len(memberships) == 1:
        return redirect("tenancy:home", org_slug=memberships[0].organization.slug)
    return render(request, "choose_organization.html", {"memberships": memberships})


@never_cache
def healthz(request):
    """200 when the database (and Redis, when configured) answer; 503 otherwise."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        checks["database"] = f"error: {exc.__class__.__name__}"
    if settings.REDIS_URL:
        try:
            import redis

            redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
            checks["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["redis"] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )
