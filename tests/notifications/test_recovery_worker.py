"""Recovery with real processes: a worker killed with SIGKILL in the middle of a batch,
another worker started, the frequent dispatcher run on a clock as beat runs it; every
row is sent within two minutes of the kill, exactly once.

The lease, heartbeat and dispatch interval are shortened (4 s, 1 s, 1 s) so that the
test stays short; bench/recovery.py measures the same thing with the production values.
The SMTP sink answers slowly, so that the second worker's batches last longer than the
lease: they must not be taken over (each of their rows is claimed once).
"""

import time

import pytest
from django_scopes import scope

from peercoach.notifications import dispatch
from peercoach.notifications.models import Delivery

from .smtp_sink import Sink
from .test_delivery_worker import (  # noqa: F401 - the broker fixture
    START_TIMEOUT,
    Worker,
    broker,
    due_rows,
    people,
    statuses,
    unacked_ids,
    wait_until,
    worker_env,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

COUNT = 600
BATCH = 200
LEASE = 4
HEARTBEAT = 1
DISPATCH_EVERY = 1.0
RECOVERY_LIMIT = 120


def test_a_killed_workers_batch_is_sent_again_within_two_minutes_exactly_once(
    broker,  # noqa: F811
    org,
    settings,
    tmp_path,
):
    settings.REMINDER_LEASE_SECONDS = LEASE  # the dispatcher runs in this process
    users = people(org, COUNT, "recover")
    due_rows(org, users, period="recovery-test")

    with Sink(keep=False) as sink:
        sink.delay = 0.08  # 200 messages over 4 connections: about 4 s a batch
        env = worker_env(sink.port) | {"REMINDER_HEARTBEAT_SECONDS": str(HEARTBEAT)}
        assert dispatch.deliveries_dispatch(batch_size=BATCH) == COUNT

        kill_at = 60
        sink.stall("rcpt", after=kill_at)
        first = Worker(name="recovery-1", env=env, log=tmp_path / "worker1.log")
        try:
            wait_until(sink.stalled.is_set, f"message {kill_at + 1}", START_TIMEOUT, first)
            # The other connections wait at RCPT too: none is between its mark and its
            # final "." when the kill comes (that window is test_delivery_worker's).
            sink.pause()
            time.sleep(0.3)
        finally:
            first.kill()
        killed = time.monotonic()
        sink.release()
        with scope(organization=org):
            lost = set(unacked_ids(broker))
            stuck = Delivery.objects.filter(organization=org, status="sending").count()
        assert lost and stuck > 0, "killed in the middle of a batch"

        second = Worker(name="recovery-2", env=env, log=tmp_path / "worker2.log")
        runs = requeued = 0
        try:
            # As beat runs it: on a clock, whatever the workers are doing.
            while statuses(org).get("sent", 0) < COUNT:
                if not second.alive():
                    pytest.fail(f"the second worker exited; log: {tmp_path / 'worker2.log'}")
                if time.monotonic() - killed > RECOVERY_LIMIT + 30:
                    pytest.fail(f"not every row was sent again: {statuses(org)}")
                requeued += dispatch.deliveries_dispatch(batch_size=BATCH)
                runs += 1
                time.sleep(DISPATCH_EVERY)
            recovered = time.monotonic() - killed
            sink.wait_for(COUNT, timeout=10)
            time.sleep(1)  # room for a (wrong) second copy to arrive
        finally:
            second.stop()
        counts = dict(sink.counts)

    with scope(organization=org):
        attempts = dict(Delivery.objects.filter(organization=org).values_list("pk", "attempts"))
    print(
        f"\nRESULT recovery_reminders lease={LEASE}s heartbeat={HEARTBEAT}s "
        f"dispatch_every={DISPATCH_EVERY}s killed_claims={stuck} "
        f"all_sent_after_kill={recovered:.1f}s dispatcher_runs={runs} requeued={requeued}"
    )
    assert recovered < RECOVERY_LIMIT
    assert counts == {user.email: 1 for user in users}, "every recipient exactly once"
    assert statuses(org) == {"sent": COUNT}
    # Only the killed batch's rows were claimed twice: the second worker's batches, each
    # longer than the lease, were kept by their heartbeat and never taken over.
    assert {pk for pk, n in attempts.items() if n > 1} <= lost
    assert max(attempts.values()) == 2
