"""Thin tasks on the `pdf` queue: ids in, tenant scope entered, the service does the work."""

import datetime

from celery import shared_task
from django.utils import timezone
from django_scopes import scope, scopes_disabled

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


SWEEP_AFTER = datetime.timedelta(minutes=5)
SWEEP_BATCH = 500
# After this many failed renders the sweep leaves an agreement alone: its pdf_error says
# why, and an operator queues it again once the cause is fixed.
SWEEP_MAX_ATTEMPTS = 5


@shared_task
def agreements_pdf_sweep():
    """Queue the PDF of every agreement signed a while ago that still has none.

    The render is queued after commit on the last signature; this periodic sweep (beat,
    every ten minutes) catches a render that failed for good (e.g. a seal misconfigured,
    since fixed) or a message lost with its broker. Rendering is idempotent, so a render
    still under way when the sweep runs costs only a check.
    """
    from .models import Agreement

    cutoff = timezone.now() - SWEEP_AFTER
    with scopes_disabled():
        pending = list(
            Agreement.objects.filter(
                status__in=[Agreement.Status.SIGNED, Agreement.Status.SUPERSEDED],
                pdf_sha256="",
                signed_at__lt=cutoff,
                pdf_attempts__lt=SWEEP_MAX_ATTEMPTS,
            )
            .order_by("signed_at")
            .values_list("organization_id", "pk")[:SWEEP_BATCH]
        )
    for organization_id, agreement_id in pending:
        agreement_pdf_render.delay(organization_id=organization_id, agreement_id=agreement_id)
    return len(pending)
