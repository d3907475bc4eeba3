"""Recovery in process: the frequent dispatcher takes back only dead claims, and the
heartbeat keeps a live batch's claims fresh however slow its SMTP server.

The kill -9 runs with real workers are in test_recovery_worker.py.
"""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_scopes import scope

from peercoach.notifications import delivery as ledger
from peercoach.notifications import dispatch, services
from peercoach.notifications.models import Delivery
from tests.factories import MembershipFactory, UserFactory

from ..conftest import require_or_skip
from .smtp_sink import HOST, KIND, Sink

pytestmark = pytest.mark.django_db


def _person(org, email):
    with scope(organization=org):
        user = UserFactory(email=email, first_name="P")
        MembershipFactory(organization=org, user=user)
    return user


def _row(org, user, period="p1"):
    with scope(organization=org):
        return Delivery.objects.create(
            organization=org,
            recipient=user,
            kind=KIND,
            period=period,
            due_at=timezone.now() - timedelta(minutes=1),
        )


def _get(row):
    with scope(organization=row.organization):
        return Delivery.objects.get(pk=row.pk)


def test_the_production_lease_and_schedule_bring_a_dead_claim_back_within_two_minutes(settings):
    lease = dispatch.default_lease()
    heartbeat = timedelta(seconds=settings.REMINDER_HEARTBEAT_SECONDS)
    every = timedelta(seconds=settings.CELERY_BEAT_SCHEDULE["deliveries-dispatch"]["schedule"])
    # The worst case: the last beat just before the kill, the dispatcher just before the
    # lease runs out. Room is left for queuing and sending.
    assert lease + every <= timedelta(seconds=100)
    assert lease >= 3 * heartbeat  # a live batch survives a couple of slow beats
    sweep = settings.CELERY_BEAT_SCHEDULE["agreements-pdf-sweep"]["schedule"]
    from agreements.tasks import SWEEP_AFTER

    assert SWEEP_AFTER + timedelta(seconds=sweep) <= timedelta(seconds=100)


def test_the_frequent_dispatcher_takes_back_only_claims_older_than_the_lease(
    org, other_org, participant, other_participant, mailoutbox
):
    mine, theirs = _row(org, participant), _row(other_org, other_participant)
    for row in (mine, theirs):
        with scope(organization=row.organization):
            ledger.claim(organization=row.organization, delivery_id=row.pk, token="dead-task")
    now = timezone.now()
    assert dispatch.deliveries_dispatch(now=now) == 0  # claimed a moment ago: still theirs
    assert {_get(mine).status, _get(theirs).status} == {"sending"}

    later = now + dispatch.default_lease() + timedelta(seconds=1)
    # Both organisations in one run; tasks are eager in tests: sent at once.
    assert dispatch.deliveries_dispatch(now=later) == 2
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [participant.email, other_participant.email]
    )
    assert {_get(mine).status, _get(theirs).status} == {"sent"}
    assert dispatch.deliveries_dispatch(now=later) == 0


def test_the_frequent_dispatcher_queues_due_rows_and_leaves_future_ones(
    org, participant, stranger, mailoutbox
):
    due = _row(org, participant)
    with scope(organization=org):
        future = Delivery.objects.create(
            organization=org,
            recipient=stranger,
            kind=KIND,
            period="later",
            due_at=timezone.now() + timedelta(hours=1),
        )
    assert dispatch.deliveries_dispatch() == 1
    assert (_get(due).status, _get(future).status) == ("sent", "pending")
    assert [m.to for m in mailoutbox] == [[participant.email]]


def test_a_run_with_nothing_to_do_costs_two_queries(
    org, other_org, participant, django_assert_num_queries
):
    row = _row(org, participant)
    with scope(organization=org):
        Delivery.objects.filter(pk=row.pk).update(status="sent")
    with django_assert_num_queries(2):
        assert dispatch.deliveries_dispatch() == 0


def test_the_heartbeat_renews_the_claims_its_task_still_holds_and_no_other(
    org, participant, stranger, coordinator
):
    ours, sent, theirs = (_row(org, user) for user in (participant, stranger, coordinator))
    with scope(organization=org):
        ledger.claim_batch(organization=org, ids=[ours.pk, sent.pk], token="alive")
        ledger.claim(organization=org, delivery_id=theirs.pk, token="dead")
        long_ago = timezone.now() - timedelta(hours=1)
        Delivery.objects.filter(pk__in=[ours.pk, sent.pk, theirs.pk]).update(claimed_at=long_ago)
        Delivery.objects.filter(pk=sent.pk).update(status="sent")

        heartbeat = ledger.ClaimHeartbeat(organization=org, token="alive", every=3600)
        heartbeat.tick()  # not due yet
        assert _get(ours).claimed_at == long_ago
        heartbeat.every = 0
        heartbeat.tick()
    assert _get(ours).claimed_at > timezone.now() - timedelta(seconds=5)
    assert _get(sent).claimed_at == _get(theirs).claimed_at == long_ago


@pytest.fixture
def slow_sink(settings):
    """An SMTP sink that takes `delay` seconds to accept each message."""
    with Sink() as server:
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": HOST, "port": server.port, "use_tls": False, "timeout": 10},
            }
        }
        yield server


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("connections", [1, 3])
@pytest.mark.parametrize("beating", [True, False], ids=["heartbeat", "no-heartbeat"])
def test_a_live_batch_slower_than_the_lease_is_never_taken_over(
    org, slow_sink, settings, connections, beating
):
    """Six messages at 0.5 s each take three times the 1 s lease; the dispatcher runs
    every 0.1 s meanwhile. The heartbeat (every 0.2 s, from its own thread) keeps the
    claims fresh: nothing is re-queued, every row is claimed once and sent once."""
    require_or_skip(connection.vendor == "postgresql", "PostgreSQL")
    # The control without a heartbeat shows that the dispatcher would take it over.
    settings.REMINDER_HEARTBEAT_SECONDS = 0.2 if beating else 3600
    settings.REMINDER_SMTP_CONNECTIONS = connections
    slow_sink.delay = 0.5 * connections
    lease = timedelta(seconds=1)
    people = [_person(org, f"slow{i}@example.org") for i in range(6)]
    rows = [_row(org, person) for person in people]
    ids = [row.pk for row in rows]
    with scope(organization=org):
        Delivery.objects.filter(pk__in=ids).update(enqueued_at=timezone.now())

    result = {}

    def send():
        try:
            with scope(organization=org):
                result["counts"] = services.deliveries_send(
                    organization=org, ids=ids, token="slow-task"
                )
        finally:
            connection.close()

    sender = threading.Thread(target=send)
    started = time.monotonic()
    sender.start()
    requeued = 0
    while sender.is_alive():
        requeued += dispatch.deliveries_dispatch(lease=lease)
        time.sleep(0.1)
    sender.join()
    elapsed = time.monotonic() - started

    assert elapsed > 2 * lease.total_seconds()
    # Never twice either way (the claim token, see delivery.py)...
    assert dict(slow_sink.counts) == {person.email: 1 for person in people}
    if not beating:
        assert requeued > 0  # ...but without the heartbeat a live batch is taken over
        return
    assert result["counts"] == {"sent": 6, "skipped": 0, "failed": 0}
    assert requeued == 0
    with scope(organization=org):
        assert set(Delivery.objects.filter(pk__in=ids).values_list("status", "attempts")) == {
            ("sent", 1)
        }
