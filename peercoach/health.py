"""What /healthz reports: each service the web tier leans on, and how late email is.

Overall status and HTTP code, for load balancers and the container health check:
- "ok" (200): every component answers;
- "degraded" (200): the database answers but Redis (cache or broker) does not, or due
  email waits longer than LEDGER_LATE. Pages still work: the cache falls back to
  memory (peercoach/cache.py) and email waits in the ledger for the sweep. Taking the
  web tier out of rotation would turn a Redis blip into a full outage, hence 200;
- "down" (503): the database does not answer; nothing works without it.
"""

import time
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

# Due email still pending after this long means the dispatcher or the worker is not running.
LEDGER_LATE = timedelta(minutes=30)


def _error(exc):
    return {"status": "down", "error": exc.__class__.__name__}


def _timed(check):
    started = time.monotonic()
    result = check()
    result["ms"] = round((time.monotonic() - started) * 1000, 1)
    return result


def _database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means the database is down
        return _error(exc)
    return {"status": "ok"}


def _redis_ping(url):
    import redis

    try:
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=settings.REDIS_TIMEOUT,
            socket_timeout=settings.REDIS_TIMEOUT,
            retry=None,
        )
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # noqa: BLE001 - anything but PONG means down
        return _error(exc)
    return {"status": "ok"}


def _cache():
    if not settings.REDIS_URL:
        return {"status": "ok", "backend": "memory"}
    return {**_redis_ping(settings.REDIS_URL), "backend": "redis"}


def _broker(cache):
    from peercoach.celery import app

    url = app.conf.broker_url or ""
    if app.conf.task_always_eager or url.startswith("memory://"):
        return {"status": "ok", "backend": "in-process"}
    if url == settings.REDIS_URL:  # the usual setup: one Redis, already asked
        return {key: value for key, value in cache.items() if key != "ms"}
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {**_redis_ping(url), "backend": "redis"}
    return {"status": "unknown", "backend": url.split(":", 1)[0]}


def _ledger(now):
    """Email due and not yet sent: how many, and how long the oldest has waited."""
    from django.db.models import Min

    from peercoach.notifications.models import Delivery

    try:
        with scopes_disabled():
            due = Delivery.objects.filter(status=Delivery.Status.PENDING, due_at__lte=now)
            summary = due.aggregate(oldest=Min("due_at"))
            count = due.count()
    except Exception as exc:  # noqa: BLE001
        return _error(exc)
    waited = (now - summary["oldest"]) if summary["oldest"] else timedelta(0)
    return {
        "status": "late" if waited > LEDGER_LATE else "ok",
        "pending_due": count,
        "oldest_due_seconds": int(waited.total_seconds()),
    }


def health_report():
    """(status, components): never raises; each component says "status" and why not ok."""
    components = {"database": _timed(_database)}
    components["cache"] = _timed(_cache)
    components["broker"] = _timed(lambda: _broker(components["cache"]))
    if components["database"]["status"] == "ok":
        components["ledger"] = _timed(lambda: _ledger(timezone.now()))
    if components["database"]["status"] != "ok":
        status = "down"
    elif all(part["status"] == "ok" for part in components.values()):
        status = "ok"
    else:
        status = "degraded"
    return status, components
