"""Health, security headers and the production configuration gate."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "SECRET_KEY": "x" * 20 + "production-grade-secret-for-the-check-only-0123456789",
    "ALLOWED_HOSTS": "peercoach.example.org",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "EMAIL_HOST": "smtp.example.org",
}


@pytest.mark.django_db
def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["components"]["database"]["status"] == "ok"
    assert body["components"]["ledger"] == {
        "status": "ok",
        "pending_due": 0,
        "oldest_due_seconds": 0,
        "ms": body["components"]["ledger"]["ms"],
    }


@pytest.mark.django_db
def test_healthz_says_degraded_not_503_when_redis_is_unreachable(client, settings):
    """A load balancer must not take the web tier out because Redis blips: pages work."""
    from peercoach.celery import app

    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    app.conf.update(broker_url=settings.REDIS_URL, task_always_eager=False)
    try:
        response = client.get("/healthz")
    finally:
        app.conf.update(saved)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    components = body["components"]
    assert components["database"]["status"] == "ok"
    assert components["cache"]["status"] == "down"
    assert components["cache"]["error"] == "ConnectionError"
    assert components["broker"]["status"] == "down"


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_is_down(client, monkeypatch):
    from django.db import OperationalError, connection

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["components"]["database"] == {
        "status": "down",
        "error": "OperationalError",
        "ms": body["components"]["database"]["ms"],
    }
    assert "ledger" not in body["components"]


@pytest.mark.django_db
def test_healthz_reports_email_that_waits_too_long(client, participant, org):
    from datetime import timedelta

    from django.utils import timezone
    from django_scopes import scope

    from peercoach.notifications.models import Delivery, Kind

    with scope(organization=org):
        Delivery.objects.create(
            organization=org,
            recipient=participant,
            kind=Kind.AGREEMENT,
            period="health",
            due_at=timezone.now() - timedelta(hours=1),
        )
    body = client.get("/healthz").json()
    assert body["status"] == "degraded"
    assert body["components"]["ledger"]["status"] == "late"
    assert body["components"]["ledger"]["pending_due"] == 1
    assert body["components"]["ledger"]["oldest_due_seconds"] >= 3600


@pytest.mark.django_db
def test_pages_carry_a_strict_csp(client):
    csp = client.get("/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert directives["frame-ancestors"] == "'none'"


def _run_production(*args, without=()):
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL", "REDIS_URL"}}
    env.update({k: v for k, v in PRODUCTION_ENV.items() if k not in without})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_check_deploy_passes_with_production_variables():
    result = _run_production("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_use_postgres_pool_redis_and_smtp():
    code = (
        "from django.conf import settings as s; db = s.DATABASES['default'];"
        "print(s.DEBUG, db['ENGINE'], 'pool' in db['OPTIONS'], s.CACHES['default']['BACKEND'],"
        " s.CELERY_TASK_ALWAYS_EAGER, s.MAILERS['default']['BACKEND'],"
        " s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0)"
    )
    result = _run_production("shell", "--verbosity", "0", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "django.db.backends.postgresql",
        "True",
        "peercoach.cache.FallbackRedisCache",
        "False",
        "django.core.mail.backends.smtp.EmailBackend",
        "True",
        "True",
    ]


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["DEBUG"] = "false"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_check_deploy_warns_without_redis():
    result = _run_production("check", "--deploy", "--fail-level", "WARNING", without={"REDIS_URL"})
    assert result.returncode != 0
    assert "peercoach.W001" in result.stderr + result.stdout
