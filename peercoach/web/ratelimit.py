"""A fixed-window counter in the cache (Redis in production, shared by every process)."""

from django.core.cache import cache


def over_limit(key, *, limit, period):
    """Count one more use of `key`; True when that makes more than `limit` in `period` s."""
    cache.add(key, 0, period)
    try:
        return cache.incr(key) > limit
    except ValueError:  # expired between add and incr
        cache.set(key, 1, period)
        return False
