"""The dispatcher: find what is due, record it in the ledger, fan it out in batches.

Reminder rules live in the apps that own the data (`settings.REMINDER_RULES`, dotted
paths). A rule is `rule(*, organization, now) -> iterable of Due`; it runs inside the
organisation's scope and must run a number of queries that does not grow with the data.

Running the dispatcher twice at once, or twice in a row, records each reminder once (the
ledger's unique constraint) and sends it once (the claim in `delivery.py`).
"""

import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django_scopes import scope

from peercoach.tenancy.models import Organization

from .models import Delivery, Preference

BATCH_SIZE = 200
# A claim or a fan-out older than this is taken as lost (longer than any batch may run).
LEASE = timedelta(minutes=20)
MORNING = time(8, 0)


@dataclass(frozen=True)
class Due:
    recipient_id: int
    kind: str
    period: str
    due_at: datetime
    program_id: int | None = None
    match_id: int | None = None
    context: dict = field(default_factory=dict)


def morning_of(day, zone_name):
    """08:00 on `day` in the zone, as an aware datetime (right across clock changes)."""
    zone = zoneinfo.ZoneInfo(zone_name)
    return datetime.combine(day, MORNING, tzinfo=zone)


def rules():
    return [import_string(path) for path in settings.REMINDER_RULES]


def reminders_record(*, organization, now):
    """Run every rule for the organisation and record what is due; returns how many rows
    were new. Turned-off kinds are not recorded."""
    found = []
    for rule in rules():
        found.extend(rule(organization=organization, now=now))
    if not found:
        return 0
    off = set(
        Preference.objects.filter(organization=organization, enabled=False).values_list(
            "user_id", "kind"
        )
    )
    rows = [
        Delivery(
            organization=organization,
            recipient_id=due.recipient_id,
            kind=due.kind,
            period=due.period,
            due_at=due.due_at,
            program_id=due.program_id,
            match_id=due.match_id,
            context=due.context,
        )
        for due in found
        if (due.recipient_id, due.kind) not in off
    ]
    before = Delivery.objects.filter(organization=organization).count()
    Delivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return Delivery.objects.filter(organization=organization).count() - before


def deliveries_fan_out(*, organization, now, batch_size=BATCH_SIZE, lease=LEASE):
    """Queue the organisation's due rows on `email` in batches of ids; returns the ids.

    Claims older than `lease` go back to `pending` first: their worker died before the
    message was committed on the server (see `delivery.py`), so sending again is safe.
    """
    from .tasks import deliveries_send

    stale = now - lease
    Delivery.objects.filter(
        organization=organization, status=Delivery.Status.SENDING, claimed_at__lt=stale
    ).update(status=Delivery.Status.PENDING, claim_token="", enqueued_at=None)
    ids = list(
        Delivery.objects.filter(
            organization=organization, status=Delivery.Status.PENDING, due_at__lte=now
        )
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale))
        .order_by("due_at", "id")
        .values_list("id", flat=True)
    )
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        Delivery.objects.filter(organization=organization, pk__in=chunk).update(enqueued_at=now)
        deliveries_send.apply_async(
            kwargs={"organization_id": organization.pk, "ids": chunk}, queue="email"
        )
    return ids


def reminders_dispatch(*, now=None, batch_size=BATCH_SIZE, lease=LEASE):
    """One dispatcher run over every organisation; returns {"recorded", "queued"}."""
    now = now or timezone.now()
    recorded = queued = 0
    for organization in Organization.objects.order_by("pk"):
        with scope(organization=organization):
            recorded += reminders_record(organization=organization, now=now)
            queued += len(
                deliveries_fan_out(
                    organization=organization, now=now, batch_size=batch_size, lease=lease
                )
            )
    return {"recorded": recorded, "queued": queued}
