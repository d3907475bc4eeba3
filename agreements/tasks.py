"""Thin tasks on the `pdf` queue: ids in, tenant scope entered, the service does the work."""

import datetime

from django.db import transaction
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from peercoach.tasking import shared_task
from peercoach.tenancy.models import Organization


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_kwargs={"max_retries": 5})
def agreement_pdf_render(*, organization_id, agreement_id):
    """Render, seal and store the signed agreement's PDF. Idempotent: one PDF per agreement."""
    from .services.documents import agreement_pdf_issue

    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return
    with scope(organization=organization):
        agreement_pdf_issue(organization=organization, agreement_id=agreement_id)


# The render queued on the last signature normally starts within a second or two: the
# sweep leaves an agreement this long to it before queuing another.
SWEEP_AFTER = datetime.timedelta(seconds=30)
SWEEP_BATCH = 500
# After this many failed renders the sweep leaves an agreement alone: its pdf_error says
# why, and an operator queues it again once the cause is fixed.
SWEEP_MAX_ATTEMPTS = 5


@shared_task
def agreements_pdf_sweep():
    """Queue the PDF of every agreement signed a while ago that still has none and that
    no live render holds.

    The render is queued after commit on the last signature; this periodic sweep (beat,
    every minute) catches a render that failed (e.g. a seal misconfigured, since fixed),
    a message lost with its broker, or a render whose worker was killed. A render holds
    its agreement's row lock from start to commit (`agreement_pdf_issue`), and the lock
    dies with the worker's database connection: on PostgreSQL the sweep skips the rows
    locked now (SKIP LOCKED), so it does not queue a second render of one under way, and
    a killed render is queued again at the next run (within SWEEP_AFTER + a minute of
    the signature). Rendering is idempotent anyway: a render still waiting in the queue,
    or one caught between counting its attempt and taking the lock, costs a second
    render only a check (it waits for the lock and finds the PDF issued).
    """
    from .models import Agreement

    cutoff = timezone.now() - SWEEP_AFTER
    with scopes_disabled(), transaction.atomic():
        pending = list(
            Agreement.objects.filter(
                status__in=[Agreement.Status.SIGNED, Agreement.Status.SUPERSEDED],
                pdf_sha256="",
                signed_at__lt=cutoff,
                pdf_attempts__lt=SWEEP_MAX_ATTEMPTS,
            )
            .order_by("signed_at")
            .select_for_update(skip_locked=True, no_key=True, of=("self",))
            .values_list("organization_id", "pk")[:SWEEP_BATCH]
        )
    for organization_id, agreement_id in pending:
        agreement_pdf_render.delay(organization_id=organization_id, agreement_id=agreement_id)
    return len(pending)
