"""One log line per request and per Celery task, for the operator.

Each line carries identifiers only, never content: for a request the method, the URL
pattern (`/o/<slug:org_slug>/agreements/<int:pk>/`, so tokens in paths stay out; the
path without its query string when nothing matched), the status, the duration, the
organisation's slug and the user's id; for a task its name, id, final state, duration
and organisation id. No email address, name or anything anyone wrote. The same fields go
into the record's attributes, so LOG_FORMAT=json (python-json-logger) writes them as
JSON keys; the plain format reads them in the message.
"""

import logging
import threading
import time

from django.utils.functional import empty

request_log = logging.getLogger("peercoach.request")
task_log = logging.getLogger("peercoach.task")


class RequestLogMiddleware:
    """Outermost middleware: it times everything below it and reads the organisation
    and user that the middlewares below attached to the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        response = self.get_response(request)
        fields = request_fields(request, response, time.monotonic() - started)
        level = logging.ERROR if response.status_code >= 500 else logging.INFO
        request_log.log(level, _request_message(fields), extra=fields)
        return response


def request_fields(request, response, seconds):
    match = getattr(request, "resolver_match", None)
    organization = getattr(request, "organization", None)
    return {
        "method": request.method,
        "path": f"/{match.route}" if match is not None and match.route else request.path,
        "status": response.status_code,
        "duration_ms": round(seconds * 1000, 1),
        "organization": organization.slug if organization is not None else None,
        "user_id": _user_id(request),
    }


def _user_id(request):
    user = getattr(request, "user", None)
    # Only a user some middleware or view already loaded: never a query just to log.
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if user.is_authenticated else None


def _request_message(fields):
    message = f"{fields['method']} {fields['path']} {fields['status']} {fields['duration_ms']}ms"
    if fields["organization"]:
        message += f" org={fields['organization']}"
    if fields["user_id"] is not None:
        message += f" user={fields['user_id']}"
    return message


# --- Celery tasks ---------------------------------------------------------------------

_started = {}
_started_lock = threading.Lock()


def _task_started(task_id=None, **_):
    with _started_lock:
        _started[task_id] = time.monotonic()


def _task_finished(task_id=None, task=None, kwargs=None, state=None, **_):
    with _started_lock:
        started = _started.pop(task_id, None)
    # No state: the exception propagated out of an eager (in-process) run.
    state = state or "FAILURE"
    fields = {
        "task": getattr(task, "name", None),
        "task_id": task_id,
        "state": state,
        "duration_ms": round((time.monotonic() - started) * 1000, 1) if started else None,
        # Tasks receive ids, never instances (STYLE.md); the id is all we log.
        "organization_id": (kwargs or {}).get("organization_id"),
    }
    message = f"task {fields['task']}[{task_id}] {state} {fields['duration_ms']}ms"
    if fields["organization_id"] is not None:
        message += f" org_id={fields['organization_id']}"
    level = logging.ERROR if state == "FAILURE" else logging.INFO
    task_log.log(level, message, extra=fields)


def task_logging_connect():
    """Log one line when each task run ends (success, failure or retry). Idempotent."""
    from celery import signals  # here: the web process loads Celery only to enqueue

    signals.task_prerun.connect(_task_started, dispatch_uid="peercoach.logs.started")
    signals.task_postrun.connect(_task_finished, dispatch_uid="peercoach.logs.finished")
