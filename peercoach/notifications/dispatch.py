"""The dispatcher: find what is due, record it in the ledger, fan it out in batches.

Reminder rules live in the apps that own the data (`settings.REMINDER_RULES`, dotted
paths). A rule is `rule(*, organization, now) -> iterable of Due`; it runs inside the
organisation's scope and must run a number of queries that does not grow with the data.

Running the dispatcher twice at once, or twice in a row, records each reminder once (the
ledger's unique constraint) and sends it once (the claim in `delivery.py`).

Recovery: a sending task holds its rows with a claim it renews every few seconds (the
heartbeat in `delivery.py`); a claim not renewed for the lease (REMINDER_LEASE_SECONDS)
belongs to a dead worker, and `deliveries_dispatch` (beat, every 30 s) puts its rows back
and queues them again. So a killed worker's rows go out again within lease + interval.
"""

import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django_scopes import scope, scopes_disabled

from peercoach.tenancy.models import Organization

from .models import Delivery, Preference

BATCH_SIZE = 200
MORNING = time(8, 0)


def default_lease():
    """A claim not renewed, or a fan-out not claimed, for this long is taken as lost."""
    return timedelta(seconds=settings.REMINDER_LEASE_SECONDS)


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


def deliveries_fan_out(*, organization, now, batch_size=BATCH_SIZE, lease=None):
    """Queue the organisation's due rows on `email` in batches of ids; returns the ids.

    Claims older than `lease` go back to `pending` first: their worker died before the
    message was committed on the server (see `delivery.py`), so sending again is safe.
    """
    stale = now - (lease or default_lease())
    _reclaim(Delivery.objects.filter(organization=organization), stale)
    ids = list(
        _due(Delivery.objects.filter(organization=organization), now, stale)
        .order_by("due_at", "id")
        .values_list("id", flat=True)
    )
    return _queue(organization.pk, ids, now, stale, batch_size)


def deliveries_dispatch(*, now=None, batch_size=BATCH_SIZE, lease=None):
    """Take back the claims of dead workers and queue every organisation's due rows;
    returns how many rows were queued.

    The frequent half of the dispatcher (beat, every 30 s): it records nothing, and with
    nothing to do it costs two queries whatever the number of organisations, both on the
    index of unsent rows. Claims are renewed by their task's heartbeat, so only a dead
    worker's claim grows older than `lease`; sending its rows again is safe (see
    `delivery.py`).
    """
    now = now or timezone.now()
    stale = now - (lease or default_lease())
    with scopes_disabled():
        _reclaim(Delivery.objects.all(), stale)
        due = list(
            _due(Delivery.objects.all(), now, stale)
            .order_by("organization_id", "due_at", "id")
            .values_list("organization_id", "id")
        )
        by_organization = {}
        for organization_id, pk in due:
            by_organization.setdefault(organization_id, []).append(pk)
        queued = 0
        for organization_id, ids in by_organization.items():
            queued += len(_queue(organization_id, ids, now, stale, batch_size))
    return queued


def _reclaim(rows, stale):
    """Claims not renewed since `stale` go back to pending (their worker is gone)."""
    return rows.filter(status=Delivery.Status.SENDING, claimed_at__lt=stale).update(
        status=Delivery.Status.PENDING, claim_token="", enqueued_at=None
    )


def _due(rows, now, stale):
    """Pending rows that are due and not queued, or queued before `stale` and never
    claimed (the message went with its broker or its worker)."""
    return rows.filter(status=Delivery.Status.PENDING, due_at__lte=now).filter(
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale)
    )


def _queue(organization_id, ids, now, stale, batch_size):
    """Queue `ids` on `email` in batches; returns the ids queued by this call.

    Each batch is marked queued by the statement that picks it (UPDATE ... RETURNING,
    with the same conditions as `_due`): of two dispatchers at once (the 30-second and
    the 5-minute runs fall on the same instant) only one queues a given row.
    """
    from .tasks import deliveries_send

    queued = []
    for start in range(0, len(ids), batch_size):
        chunk = _mark_queued(organization_id, ids[start : start + batch_size], now, stale)
        if not chunk:
            continue
        deliveries_send.apply_async(
            kwargs={"organization_id": organization_id, "ids": chunk}, queue="email"
        )
        queued.extend(chunk)
    return queued


def _mark_queued(organization_id, ids, now, stale):
    table = Delivery._meta.db_table
    marks = ", ".join(["%s"] * len(ids))
    query = (
        f"UPDATE {table} SET enqueued_at = %s WHERE organization_id = %s "  # noqa: S608 - names are ours, values are parameters
        f"AND id IN ({marks}) AND status = %s "
        "AND (enqueued_at IS NULL OR enqueued_at < %s) RETURNING id"
    )
    adapt = connection.ops.adapt_datetimefield_value
    params = [adapt(now), organization_id, *ids, Delivery.Status.PENDING, adapt(stale)]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(query, params)
        marked = {row[0] for row in cursor.fetchall()}
    return [pk for pk in ids if pk in marked]


def reminders_dispatch(*, now=None, batch_size=BATCH_SIZE, lease=None):
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
