"""The default cache when Redis goes away: sign-in and rate limits keep working.

The cache is configured as settings.py does with REDIS_URL set, pointed at a port where
nothing listens (or at a redis-server this test starts and stops).
"""

import logging
import socket
import threading
import time

import pytest
from django.core.cache import cache
from django.urls import reverse

from peercoach import cache as fallback
from peercoach.web.ratelimit import over_limit
from tests.factories import TEST_PASSWORD

from .conftest import require_or_skip
from .redis_server import RedisServer, caches_for, free_port

pytestmark = pytest.mark.django_db


def _caches(url):
    from django.conf import settings as django_settings

    return caches_for(url, django_settings.REDIS_TIMEOUT)


@pytest.fixture(autouse=True)
def _fresh_breaker():
    fallback._down_until.clear()
    fallback._warned_at.clear()
    yield
    fallback._down_until.clear()
    fallback._warned_at.clear()


@pytest.fixture
def closed_redis(settings):
    """The default cache on a Redis port nothing listens on."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = _caches(url)
    cache.clear()
    return url


def _login(client, email, password=TEST_PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_production_cache_falls_back_to_memory_with_short_timeouts():
    """What settings.py builds from REDIS_URL (the production branch)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/12"}
    code = (
        "from django.conf import settings as s; c = s.CACHES['default'];"
        "print(c['BACKEND'], c['OPTIONS']['socket_connect_timeout'],"
        " s.CELERY_BROKER_TRANSPORT_OPTIONS['socket_connect_timeout'])"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity", "0", "-c", code],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["peercoach.cache.FallbackRedisCache", "0.5", "0.5"]


def test_sign_in_works_while_redis_is_unreachable(client, participant, closed_redis):
    assert client.get(reverse("account_login")).status_code == 200
    response = _login(client, participant.email)
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # signed in: sent to the organisation


def test_failed_sign_ins_are_still_limited_while_redis_is_unreachable(
    client, participant, closed_redis
):
    for _ in range(5):
        assert b"Too many" not in _login(client, participant.email, "wrong").content
    response = _login(client, participant.email)
    assert response.status_code == 200 and b"Too many failed login attempts" in response.content


def test_fixed_windows_count_in_memory_while_redis_is_unreachable(closed_redis):
    assert [over_limit("t:window", limit=2, period=60) for _ in range(3)] == [False, False, True]


def test_a_hung_redis_costs_one_timeout_not_one_per_cache_call(client, participant, settings):
    """A server that accepts and never answers: the breaker skips Redis after the first
    timeout, so a sign-in (a dozen cache calls) waits about REDIS_TIMEOUT once."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        settings.CACHES = _caches(f"redis://127.0.0.1:{listener.getsockname()[1]}/0")
        started = time.monotonic()
        response = _login(client, participant.email)
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()
    assert response.status_code == 302
    assert elapsed < 4 * settings.REDIS_TIMEOUT, elapsed


def test_the_warning_is_logged_at_most_once_a_minute(closed_redis, caplog, monkeypatch):
    fallback._down_until.clear()
    fallback._warned_at.clear()
    clock = [1000.0]
    monkeypatch.setattr(fallback.time, "monotonic", lambda: clock[0])
    with caplog.at_level(logging.WARNING, logger="peercoach.cache"):
        for _ in range(30):  # 30 calls over 150 s, Redis retried every 5 s
            cache.get("k")
            clock[0] += 5
    warnings = [r for r in caplog.records if r.name == "peercoach.cache"]
    assert len(warnings) == 3  # at 0 s, 60 s and 120 s
    assert "Redis cache unreachable" in warnings[0].getMessage()


def test_redis_is_used_again_once_it_returns(settings):
    require_or_skip(RedisServer.available(), "redis-server")
    server = RedisServer()
    settings.CACHES = _caches(server.url)
    settings_retry = fallback.RETRY_AFTER
    fallback.RETRY_AFTER = 0.2
    try:
        cache.set("during", "memory")  # Redis down: kept in this process
        assert cache.get("during") == "memory"
        with server:
            time.sleep(0.3)
            cache.set("after", "redis")
            import redis

            client = redis.Redis.from_url(server.url)
            assert client.keys("peercoach:*after") != []
            assert cache.get("during") is None  # memory counts are not copied back
            client.close()
    finally:
        fallback.RETRY_AFTER = settings_retry


def test_the_public_verify_page_counts_in_memory_while_redis_is_unreachable(client, closed_redis):
    from agreements.views.documents import VERIFY_LIMIT

    statuses = [
        client.post(reverse("agreements:verify"), {}).status_code for _ in range(VERIFY_LIMIT + 1)
    ]
    assert 500 not in statuses
    assert statuses[-1] == 429


def _current_code(user):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import (
        format_hotp_value,
        hotp_value,
        yield_hotp_counters_from_time,
    )
    from allauth.mfa.utils import decrypt

    secret = Authenticator.objects.get(user=user, type="totp").wrap().instance.data["secret"]
    return format_hotp_value(hotp_value(decrypt(secret), next(yield_hotp_counters_from_time())))


def test_two_factor_sign_in_works_and_refuses_a_replayed_code_while_redis_is_unreachable(
    client, coordinator, org, closed_redis
):
    """The TOTP replay marks live in the cache too: they must hold in memory."""
    from django.test import Client

    assert _login(client, coordinator.email)["Location"] == reverse("mfa_authenticate")
    code = _current_code(coordinator)
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    assert client.get(f"/o/{org.slug}/console/").status_code == 200

    again = Client()
    assert _login(again, coordinator.email)["Location"] == reverse("mfa_authenticate")
    assert again.post(reverse("mfa_authenticate"), {"code": code}).status_code == 200  # refused
    assert again.get(f"/o/{org.slug}/console/").status_code == 302
