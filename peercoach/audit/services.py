"""Writing the audit log. Call `audit_record` inside the transaction of the action it
records, so both are committed or neither is.

Services rarely receive the request, yet the log should say where an action came from.
So the address of the web request being served is remembered when it starts (a
`request_started` receiver, connected in `AuditConfig.ready`) and used by `audit_record`
when the caller gives neither `request` nor `ip`. Outside a web request (Celery workers,
management commands, the reminder thread) there is none and the row has no address.
"""

from contextvars import ContextVar

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from .models import Action, AuditEvent

# The WSGI environ of the request this thread (or task) is serving, or None.
_current_environ = ContextVar("audit_current_environ", default=None)


def request_started_receiver(sender, environ=None, **kwargs):
    # ASGI sends `scope` instead of `environ`: no address is remembered there.
    _current_environ.set(environ)


def request_finished_receiver(sender, **kwargs):
    _current_environ.set(None)


def client_ip(request):
    """The client's address as allauth reads it (honouring the trusted proxies), or
    None when there is none to be had."""
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter(request).get_client_ip(request) or None
    except PermissionDenied:
        return None


def current_ip():
    """The client address of the web request being served, or None outside one."""
    environ = _current_environ.get()
    if not environ:
        return None
    request = HttpRequest()
    request.META = environ
    return client_ip(request)


def audit_record(
    *,
    organization,
    action,
    actor=None,
    request=None,
    target=None,
    program=None,
    summary="",
    ip=None,
):
    """Record `action` (an `Action`) in `organization`'s audit log; returns the row.

    `actor` defaults to the signed-in user of `request`; none means the system acted.
    The address is `ip`, else `request`'s, else the one of the web request being served
    (None outside one). `target` is the model instance acted on (its type and id are
    kept, not its content). `summary` is a short line our code writes from names and
    counts: never text a participant wrote. Raises ValueError for an unknown action.
    """
    if action not in Action.values:
        raise ValueError(f"Unknown audit action: {action!r}")
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    if ip is None:
        ip = client_ip(request) if request is not None else current_ip()
    return AuditEvent.objects.create(
        organization=organization,
        action=action,
        actor=actor,
        actor_name=(actor.display_name if actor is not None else "")[:200],
        program=program,
        target_type=(f"{target._meta.app_label}.{target._meta.model_name}" if target else ""),
        target_id=target.pk if target is not None else None,
        summary=summary[:300],
        ip=ip or None,
    )


def changed_fields_text(form):
    """The labels of the fields a bound form changed, e.g. "Name, Term end" (for summaries)."""
    return ", ".join(
        str(form.fields[name].label or name.replace("_", " ").capitalize())
        for name in form.changed_data
    )
