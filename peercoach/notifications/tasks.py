"""Thin email tasks on the `email` queue: ids and plain values in, services do the work."""

from django_scopes import scope

from peercoach.tasking import shared_task
from peercoach.tenancy.models import Organization

from .services import context_revive, email_send, email_send_rendered

RETRY = {"autoretry_for": (OSError,), "retry_backoff": True, "retry_kwargs": {"max_retries": 5}}


@shared_task(**RETRY)
def send_templated_email(*, template, to, context, organization_id=None, attachments=None):
    """Render `templates/emails/<template>/` with a JSON-safe context and send it.

    Nothing queues it any more (emails go through the outbox, `services.message_queue`);
    it stays for the messages a broker still holds from before the upgrade.

    `attachments` are JSON-safe too: [{"filename", "content" (text), "mimetype"}].

    Datetimes travel as ISO strings (JSON); values of keys ending in `_at` are turned back
    into datetimes so templates can format them in the organisation's time zone.
    """
    context = context_revive(context)
    organization = (
        Organization.objects.filter(pk=organization_id).first() if organization_id else None
    )
    email_send(
        template=template,
        to=to,
        context=context,
        organization=organization,
        attachments=attachments,
    )


@shared_task(**RETRY)
def send_rendered_email(*, subject, text, html, to, from_email=None):
    """Send a message rendered in the request: allauth's account emails to someone with
    no membership, hence no organisation's ledger (see accounts/adapters.py)."""
    email_send_rendered(subject=subject, text=text, html=html, to=to, from_email=from_email)


@shared_task(bind=True)
def deliveries_send(self, *, organization_id, ids):
    """Send a batch of ledger rows (ids) of one organisation; idempotent (see delivery.py).
    A redelivery of this task (same id, after its worker died) may take over the rows it
    had claimed."""
    from .services import deliveries_send as send

    organization = Organization.objects.get(pk=organization_id)
    with scope(organization=organization):
        return send(organization=organization, ids=list(ids), token=self.request.id or "")


@shared_task
def reminders_dispatch():
    """The periodic dispatcher (beat, every few minutes): record what is due, fan it out."""
    from .dispatch import reminders_dispatch as dispatch

    return dispatch()


@shared_task
def deliveries_dispatch():
    """The frequent half of the dispatcher (beat, every 30 s): queue what is due and take
    back the rows of a worker that died (see dispatch.deliveries_dispatch)."""
    from .dispatch import deliveries_dispatch as dispatch

    return dispatch()
