"""The default cache: Redis, and this process's memory while Redis cannot be reached.

What lives in the cache is short-lived and guards requests: allauth's rate limits and
TOTP replay marks, and the fixed windows of `peercoach.web.ratelimit`. With Redis gone, a
plain RedisCache raises on every one of them and sign-in answers 500.

`FallbackRedisCache` catches every Redis error and answers from a LocMemCache instead,
so the limits still hold, per process (a client gets at most `limit` x processes while
Redis is down), instead of failing closed (500 for everyone) or open (no limit at all,
what django-redis's DJANGO_REDIS_IGNORE_EXCEPTIONS does: every call answers None and
every write is dropped, so nothing is ever counted, and allauth's `cache.add` lock is
never taken). After a failure, Redis is left alone
for RETRY_AFTER seconds so that a dead server costs one short timeout, not one per cache
call; then it is tried again. Counts kept in memory meanwhile are not copied back: a
window restarts when Redis returns. A warning is logged at most once a minute.
"""

import logging
import threading
import time

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

RETRY_AFTER = 5.0
WARN_EVERY = 60.0

# Per process and per Redis location, shared by the per-thread cache instances Django makes.
_state_lock = threading.Lock()
_down_until = {}
_warned_at = {}


def _mark_down(location, exc):
    now = time.monotonic()
    with _state_lock:
        _down_until[location] = now + RETRY_AFTER
        warn = now - _warned_at.get(location, -WARN_EVERY) >= WARN_EVERY
        if warn:
            _warned_at[location] = now
    if warn:
        logger.warning(
            "Redis cache unreachable (%s: %s): using this process's memory; retrying every %ss",
            exc.__class__.__name__,
            exc,
            RETRY_AFTER,
        )


def redis_cache_is_down(location):
    """True while this process has given up on `location` after a Redis error."""
    return _down_until.get(location, 0) > time.monotonic()


class FallbackRedisCache(RedisCache):
    """RedisCache that falls back to a per-process LocMemCache on any Redis error.

    Never raises a Redis error to its caller. Same options as RedisCache; connect and
    socket timeouts belong in OPTIONS (settings.py sets 0.5 s).
    """

    def __init__(self, server, params):
        super().__init__(server, params)
        self._location = server if isinstance(server, str) else ",".join(server)
        self._fallback = LocMemCache(
            f"peercoach-fallback:{self._location}",
            {
                "TIMEOUT": params.get("TIMEOUT", DEFAULT_TIMEOUT),
                "KEY_PREFIX": params.get("KEY_PREFIX", ""),
                "VERSION": params.get("VERSION", 1),
                "OPTIONS": {"MAX_ENTRIES": 10_000},
            },
        )

    def _either(self, name, *args, **kwargs):
        if not redis_cache_is_down(self._location):
            try:
                return getattr(super(), name)(*args, **kwargs)
            except redis.exceptions.RedisError as exc:
                _mark_down(self._location, exc)
        return getattr(self._fallback, name)(*args, **kwargs)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("add", key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._either("get", key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("set", key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("touch", key, timeout, version)

    def delete(self, key, version=None):
        return self._either("delete", key, version)

    def get_many(self, keys, version=None):
        return self._either("get_many", keys, version)

    def has_key(self, key, version=None):
        return self._either("has_key", key, version)

    def incr(self, key, delta=1, version=None):
        return self._either("incr", key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("set_many", data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._either("delete_many", keys, version)

    def clear(self):
        self._fallback.clear()
        return self._either("clear")
