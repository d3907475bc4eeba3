"""Thin tasks: ids in, the tenant scope entered, a service does the work."""

from celery import shared_task
from django_scopes import scope

from peercoach.tenancy.models import Organization


@shared_task(acks_late=True)
def matching_run_execute(*, run_id, organization_id):
    """Run the matcher for a queued MatchingRun (idempotent: see the service)."""
    from .models import MatchingRun
    from .services.pairing import matching_run_execute as execute

    organization = Organization.objects.get(pk=organization_id)
    with scope(organization=organization):
        run = (
            MatchingRun.objects.select_related("program", "program__organization")
            .filter(organization=organization, pk=run_id)
            .first()
        )
        if run is not None:
            execute(run=run)
