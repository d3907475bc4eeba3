"""Writing the audit log. Call `audit_record` inside the transaction of the action it
records, so both are committed or neither is."""

from django.core.exceptions import PermissionDenied

from .models import Action, AuditEvent


def client_ip(request):
    """The client's address as allauth reads it (honouring the trusted proxies), or
    None when there is none to be had."""
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter(request).get_client_ip(request) or None
    except PermissionDenied:
        return None


def audit_record(
    *, organization, action, actor=None, request=None, target=None, program=None, summary=""
):
    """Record `action` (an `Action`) in `organization`'s audit log.

    `actor` defaults to the signed-in user of `request`; the address comes from
    `request` too. `target` is the model instance acted on (its type and id are kept,
    not its content). `summary` is a short line our code writes from names and counts:
    never text a participant wrote.
    """
    if action not in Action.values:
        raise ValueError(f"Unknown audit action: {action!r}")
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    return AuditEvent.objects.create(
        organization=organization,
        action=action,
        actor=actor,
        actor_name=(actor.display_name if actor is not None else "")[:200],
        program=program,
        target_type=(f"{target._meta.app_label}.{target._meta.model_name}" if target else ""),
        target_id=target.pk if target is not None else None,
        summary=summary[:300],
        ip=client_ip(request) if request is not None else None,
    )
