"""Embedded mode has no Celery beat: `manage.py runserver` dispatches reminders itself.

With `settings.REMINDERS_IN_PROCESS` on (the default without REDIS_URL), the process that
`runserver` serves from starts one daemon thread that calls the dispatcher at start and
then as often as beat would (`CELERY_BEAT_SCHEDULE["reminders-dispatch"]`). Tasks run
eagerly in embedded mode, so the thread also sends the messages. Nothing else starts it:
not the tests, gunicorn, a Celery worker or another management command; and under the
autoreloader only the child that serves requests does, never the parent that watches
files. Dispatching twice is harmless anyway (the ledger records and sends each reminder
once), so a restart after a code change simply runs it again.
"""

import logging
import os
import sys
import threading

from django.apps import apps
from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

DEFAULT_INTERVAL = 5 * 60

_lock = threading.Lock()
_scheduler = None


def interval():
    """Seconds between runs: the beat schedule's, so both modes dispatch alike."""
    entry = settings.CELERY_BEAT_SCHEDULE.get("reminders-dispatch", {})
    schedule = entry.get("schedule", DEFAULT_INTERVAL)
    return schedule if isinstance(schedule, int | float) else DEFAULT_INTERVAL


def serving_process(*, argv=None, environ=None):
    """True in the process where `manage.py runserver` serves requests: the autoreloader's
    child (RUN_MAIN=true), or the only process when started with --noreload."""
    argv = sys.argv if argv is None else argv
    environ = os.environ if environ is None else environ
    if argv[1:2] != ["runserver"]:
        return False
    return environ.get("RUN_MAIN") == "true" or "--noreload" in argv[2:]


def dispatch_once():
    """One dispatcher run, logged when it found something."""
    from .dispatch import reminders_dispatch

    result = reminders_dispatch()
    if result["recorded"] or result["queued"]:
        logger.info("Reminders: %(recorded)d recorded, %(queued)d queued for sending.", result)
    return result


class Scheduler(threading.Thread):
    """Calls `call` now and every `every` seconds until stopped. An error is logged and
    the next run tries again: the thread never dies of one."""

    def __init__(self, *, every, call=dispatch_once):
        super().__init__(name="reminders-dispatch", daemon=True)
        self.every = every
        self.call = call
        self.stopped = threading.Event()

    def run(self):
        # Started from an AppConfig.ready(): let the other apps finish getting ready.
        while not apps.ready:
            if self.stopped.wait(0.05):
                return
        while not self.stopped.is_set():
            try:
                self.call()
            except Exception:
                logger.exception("In-process reminder dispatch failed; the next run tries again.")
            finally:
                # This thread's own database connections: none stays open between runs.
                connections.close_all()
            self.stopped.wait(self.every)

    def stop(self):
        self.stopped.set()


def start(*, every=None):
    """Start the scheduler once per process; returns it."""
    global _scheduler
    with _lock:
        if _scheduler is None or not _scheduler.is_alive():
            _scheduler = Scheduler(every=every if every is not None else interval())
            _scheduler.start()
            logger.info(
                "Embedded mode: dispatching reminders in this process every %d s.",
                _scheduler.every,
            )
        return _scheduler


def start_if_serving(*, argv=None, environ=None):
    """The hook `NotificationsConfig.ready()` calls: start when this process is
    `runserver`'s serving process and REMINDERS_IN_PROCESS is on; else do nothing."""
    if not getattr(settings, "REMINDERS_IN_PROCESS", False):
        return None
    if not serving_process(argv=argv, environ=environ):
        return None
    return start()
