"""One structured line per request and per task, never personal content."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.utils.module_loading import import_string

from peercoach.accounts.tasks import invitation_send_email
from peercoach.celery import app as celery_app
from peercoach.notifications.tasks import send_rendered_email

ROOT = Path(__file__).resolve().parent.parent


def json_formatter():
    """The formatter LOG_FORMAT=json configures, built from settings.LOGGING."""
    spec = dict(settings.LOGGING["formatters"]["json"])
    return import_string(spec.pop("()"))(**spec)


@pytest.fixture
def lines():
    """Every record of the peercoach.request and peercoach.task loggers, as JSON text."""
    written = []

    class Collect(logging.Handler):
        def emit(self, record):
            written.append(self.format(record))

    handler = Collect()
    handler.setFormatter(json_formatter())
    loggers = [logging.getLogger("peercoach.request"), logging.getLogger("peercoach.task")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield written
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_a_request_writes_one_json_line_with_its_fields(client_for, coordinator, org, lines):
    response = client_for(coordinator).get(f"/o/{org.slug}/settings/?q=secret-query")
    assert response.status_code == 200
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert line["logger"] == "peercoach.request"
    assert line["method"] == "GET"
    assert line["path"] == "/o/<slug:org_slug>/settings/"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
    assert line["organization"] == org.slug
    assert line["user_id"] == coordinator.pk
    assert "@" not in lines[0]
    assert "secret-query" not in lines[0]
    assert coordinator.first_name not in lines[0]


def test_a_token_in_the_path_stays_out_of_the_line(client, db, lines):
    # An invitation link is its own key: the line names the URL pattern only.
    client.get("/invite/token-that-must-not-show/")
    (line,) = [json.loads(text) for text in lines]
    assert line["path"] == "/invite/<str:token>/"
    assert "token-that-must-not-show" not in lines[0]


def test_an_anonymous_request_has_no_organisation_or_user(client, db, lines):
    client.get("/healthz")
    (line,) = [json.loads(text) for text in lines]
    assert (line["path"], line["organization"], line["user_id"]) == ("/healthz", None, None)


def test_a_task_writes_one_line_with_its_state(lines, mailoutbox):
    send_rendered_email.delay(subject="Hi", text="Body", html="", to=["someone@example.org"])
    assert len(mailoutbox) == 1
    (line,) = [json.loads(text) for text in lines]
    assert line["task"] == "peercoach.notifications.tasks.send_rendered_email"
    assert line["state"] == "SUCCESS"
    assert line["duration_ms"] >= 0
    assert line["task_id"]
    assert "@" not in lines[0]


def test_a_task_line_carries_the_organisation_id(lines, org):
    invitation_send_email.delay(invitation_id=0, organization_id=org.pk)
    (line,) = [json.loads(text) for text in lines]
    assert (line["state"], line["organization_id"]) == ("SUCCESS", org.pk)


@celery_app.task(name="tests.test_logs.task_that_fails")
def task_that_fails(*, organization_id):
    raise ValueError("the failure's own message")


def test_a_failed_task_logs_one_error_line(lines, org):
    with pytest.raises(ValueError):
        task_that_fails.delay(organization_id=org.pk)
    (line,) = [json.loads(text) for text in lines]
    assert (line["state"], line["level"], line["organization_id"]) == ("FAILURE", "ERROR", org.pk)


def test_log_format_json_makes_every_console_line_json(tmp_path):
    env = {**os.environ, "LOG_FORMAT": "json", "PEERCOACH_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    code = (
        "import logging; logging.getLogger('peercoach.request')"
        ".info('GET / 200', extra={'status': 200, 'organization': 'acme'})"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity", "0", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert (line["message"], line["status"], line["organization"]) == ("GET / 200", 200, "acme")
