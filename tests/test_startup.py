"""What a process loads at start-up: the heavy libraries only where they are used.

Every gunicorn worker and every `manage.py` command pays for what the settings, the apps
and the URL conf import (bench/startup.py measures it against a bare startproject). The
libraries below are needed by a few code paths only (matching, calendar files, PDFs,
queueing a task, WebAuthn), so they are imported inside those paths. Each test runs in a
fresh interpreter: the test process itself has long loaded everything.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HEAVY = [
    "celery",
    "kombu",
    "cryptography",
    "fido2",
    "icalendar",
    "numpy",
    "pyhanko",
    "rustworkx",
    "scipy",
    "weasyprint",
]

START = """
import json, sys
import django
from django.conf import settings
django.setup()
import importlib
importlib.import_module(settings.ROOT_URLCONF)
from django.urls import get_resolver
get_resolver().url_patterns
import peercoach.wsgi
"""


def run_fresh(code):
    """Run `code` after a web worker's start-up in a fresh interpreter; its JSON output."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "PYTHONPROFILEIMPORTTIME"}
    }
    env["DJANGO_SETTINGS_MODULE"] = "peercoach.settings"
    done = subprocess.run(
        [sys.executable, "-c", START + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_start_up_loads_no_heavy_library():
    loaded = run_fresh(f"print(json.dumps(sorted(set({HEAVY!r}) & set(sys.modules))))")
    assert loaded == []


def test_the_garbage_collector_is_on_after_start_up():
    """manage.py and the WSGI module turn the GC off while Django starts; the ops app's
    ready() must turn it on again (and freeze what start-up built), whatever the entry."""
    state = run_fresh(
        "import gc; print(json.dumps([gc.isenabled(), gc.get_freeze_count() > 10_000]))"
    )
    assert state == [True, True]
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", "import gc; print(gc.isenabled())"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "peercoach.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "True"


def test_each_library_loads_where_it_is_used():
    """The lazy imports still happen: using each path loads its library.

    The full paths (a matching run with scipy and rustworkx, a calendar file, a sealed PDF
    with pyHanko, a worker's tasks) are the subject of their own tests; this one checks
    the wiring that makes them lazy.
    """
    loaded = run_fresh(
        """
out = {}
from programs import matching
matching.propose  # the matcher's functions come with numpy
out["numpy"] = "numpy" in sys.modules
from sessions.ics import calendar_text
calendar_text([])
out["icalendar"] = "icalendar" in sys.modules
import allauth.mfa.webauthn.internal.auth as webauthn
webauthn.Fido2Server
out["fido2"] = "fido2" in sys.modules
from agreements.services.documents import pdf_render
out["weasyprint"] = pdf_render("<p>x</p>").startswith(b"%PDF") and "weasyprint" in sys.modules
print(json.dumps(out))
"""
    )
    assert loaded == {"numpy": True, "icalendar": True, "fido2": True, "weasyprint": True}


def test_a_task_imported_by_the_web_binds_to_the_configured_app():
    """Queueing imports a `tasks.py` inside a function; its task must belong to the
    project's Celery app (broker, queues, routes from settings), not to Celery's default
    app, although nothing imported the app at start-up."""
    task = run_fresh(
        """
from peercoach.notifications.tasks import deliveries_send
app = deliveries_send.app
print(json.dumps({
    "app": app.main,
    "queues": sorted(q.name for q in app.conf.task_queues),
    "route": app.amqp.router.route({}, deliveries_send.name)["queue"].name,
    "eager": app.conf.task_always_eager,
}))
"""
    )
    assert task == {
        "app": "peercoach",
        "queues": ["default", "email", "pdf"],
        "route": "email",
        # Settings reached the app: without REDIS_URL tasks run in-process.
        "eager": not os.environ.get("REDIS_URL"),
    }
