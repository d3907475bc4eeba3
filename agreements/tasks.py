"""Thin tasks on the `pdf` queue: ids in, tenant scope entered, the service does the work."""

from celery import shared_task
from django_scopes import scope

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
