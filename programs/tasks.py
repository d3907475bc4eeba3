"""Thin tasks: ids in, the tenant scope entered, a service does the work."""

from datetime import timedelta

from django.utils import timezone
from django_scopes import scope, scopes_disabled

from peercoach.tasking import shared_task
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


# A run still queued this long after it was created lost its task (a broker that was
# down when the run was committed); a queued run is executed once whatever the number
# of tasks that ask for it, so queueing it again is safe.
SWEEP_AFTER = timedelta(minutes=2)


@shared_task
def matching_runs_sweep():
    """Queue again every matching run still waiting for its task (beat, every few
    minutes). Runs past `MatchingRun.STALE_AFTER` are left alone: the next start marks
    them failed with a message asking to run matching again. Returns how many."""
    from .models import MatchingRun

    now = timezone.now()
    with scopes_disabled():
        waiting = list(
            MatchingRun.objects.filter(
                status=MatchingRun.Status.QUEUED,
                created_at__lt=now - SWEEP_AFTER,
                created_at__gte=now - MatchingRun.STALE_AFTER,
            )
            .order_by("created_at")
            .values_list("organization_id", "pk")
        )
    for organization_id, run_id in waiting:
        matching_run_execute.delay(run_id=run_id, organization_id=organization_id)
    return len(waiting)
