"""Deployment checks of our own, run by `manage.py check --deploy`."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def shared_cache_for_rate_limits(app_configs, **kwargs):
    # Login rate limits and TOTP replay protection live in the cache; a per-process
    # cache lets each gunicorn worker count on its own, and tasks would run in-process.
    if settings.REDIS_URL:
        return []
    return [
        Warning(
            "REDIS_URL is not set: login rate limits are counted per process and "
            "background tasks run inside web requests.",
            hint="Set REDIS_URL in production (docker-compose.yml does).",
            id="peercoach.W001",
        )
    ]
