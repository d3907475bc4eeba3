"""Never twice, never lost, with real processes: a Celery worker is killed with SIGKILL in
the middle of 2,000 reminders and every recipient still gets exactly one message.

The worker is a separate `celery -A peercoach worker` process (prefork, one child), so it
reads the test's committed data (PostgreSQL only: a second process cannot see an
in-memory SQLite database) and sends over SMTP to a local aiosmtpd sink in this process.
The broker is Redis database 11 (PEERCOACH_WORKER_REDIS_DB) of TEST_REDIS_URL's server,
flushed before and after.
"""

import base64
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlparse, urlunparse

import kombu.pools
import pytest
import redis
from django.db import connection
from django.utils import timezone
from django_scopes import scope

from peercoach.accounts.models import User
from peercoach.celery import app
from peercoach.notifications import dispatch
from peercoach.notifications.models import Delivery
from peercoach.tenancy.models import Membership

from ..conftest import TEST_REDIS_URL, redis_available, require_or_skip
from .smtp_sink import HOST, KIND, Sink

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parents[2]
COUNT = 2000
BATCH = 200
# Another number for runs side by side on one Redis (each run flushes its database).
REDIS_DB = int(os.environ.get("PEERCOACH_WORKER_REDIS_DB", "11"))
NO_LOGIN = "!"  # an unusable password hash
START_TIMEOUT = 90  # the worker imports Django and the app before its first task
TIMEOUT = 180


def redis_url(db):
    """TEST_REDIS_URL's server with another database number (ours: 11-13, never 0)."""
    parsed = urlparse(TEST_REDIS_URL)
    return urlunparse(parsed._replace(path=f"/{db}"))


def database_url():
    """The test database as a URL, for a worker process to connect to."""
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def _drop_broker_pools():
    kombu.pools.reset()
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@pytest.fixture
def broker():
    """This process publishes to Redis database REDIS_DB (not eager); yields a client on it."""
    require_or_skip(connection.vendor == "postgresql", "PostgreSQL")
    url = redis_url(REDIS_DB)
    require_or_skip(redis_available(url), "Redis")
    client = redis.Redis.from_url(url)
    client.flushdb()  # leftovers of an interrupted run, unacked messages of a killed worker
    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    _drop_broker_pools()
    app.conf.update(broker_url=url, task_always_eager=False)
    try:
        yield client
    finally:
        _drop_broker_pools()
        app.conf.update(saved)
        client.flushdb()
        client.close()


class Worker:
    """`celery -A peercoach worker -Q email` (or `queues`) in its own process group."""

    def __init__(self, *, name, env, log, concurrency=1, queues="email"):
        args = [
            "-A",
            "peercoach",
            "worker",
            "-Q",
            queues,
            "--pool",
            "prefork",
            "--concurrency",
            str(concurrency),
            "--prefetch-multiplier",
            "1",
            "--hostname",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "INFO",
        ]
        command = [sys.executable, "-m", "celery", *args]
        self.log = log
        self._log_file = open(log, "ab")  # noqa: SIM115 - closed in stop()/kill()
        self.process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: main process + pool child
        )

    def kill(self):
        """SIGKILL to the whole group, as the OOM killer or a pulled plug would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self._log_file.close()

    def stop(self):
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
            except ProcessLookupError:
                pass
        self._log_file.close()

    def alive(self):
        return self.process.poll() is None


def worker_env(sink_port):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("EMAIL_", "CELERY_")) and key != "PYTEST_CURRENT_TEST"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="peercoach.settings",
        DATABASE_URL=database_url(),
        REDIS_URL=redis_url(REDIS_DB),
        EMAIL_HOST=HOST,
        EMAIL_PORT=str(sink_port),
        EMAIL_USE_TLS="false",
        EMAIL_USE_SSL="false",
        PYTHONUNBUFFERED="1",
    )
    return env


def people(org, count, prefix):
    """`count` participants of `org` with distinct addresses, inserted in bulk."""
    users = User.objects.bulk_create(
        User(email=f"{prefix}{i:05}@example.org", first_name=f"P{i}", password=NO_LOGIN)
        for i in range(count)
    )
    with scope(organization=org):
        Membership.objects.bulk_create(
            Membership(organization=org, user=user, role=Membership.Role.PARTICIPANT)
            for user in users
        )
    return users


def due_rows(org, users, period):
    due_at = timezone.now() - timedelta(minutes=1)
    with scope(organization=org):
        return Delivery.objects.bulk_create(
            Delivery(
                organization=org,
                recipient=user,
                kind=KIND,
                period=period,
                due_at=due_at,
                context={"program_name": "Kill test"},
            )
            for user in users
        )


def unacked_ids(client):
    """The ledger ids in the tasks Redis holds as delivered to a worker but not acked."""
    ids = []
    for raw in client.hvals("unacked"):
        payload = json.loads(raw)[0]
        body = payload["body"]
        if payload.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        _, kwargs, _ = json.loads(body)
        ids.extend(kwargs.get("ids", []))
    return ids


def wait_until(predicate, what, timeout, worker=None):
    deadline = time.monotonic() + timeout
    while not predicate():
        if worker is not None and not worker.alive():
            pytest.fail(f"the worker exited while waiting for {what}; log: {worker.log}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)


def statuses(org):
    with scope(organization=org):
        rows = Delivery.objects.filter(organization=org).values_list("status", flat=True)
        counts = {}
        for status in rows:
            counts[status] = counts.get(status, 0) + 1
        return counts


KILL_POINTS = {
    # The worker waits for the answer to RCPT: its row is claimed, nothing of the
    # message is on the server. The row must come back and be sent once.
    "before-the-message": "rcpt",
    # The server has the whole message and the final "."; the worker waits for the
    # answer. The row was marked sent before the "." and must not be sent again.
    "after-the-final-dot": "data",
    # Wherever the worker happens to be. Between the write of COMMIT to PostgreSQL and
    # the write of the final "." (two system calls, microseconds per message) a kill
    # loses that message: see the module docstring of delivery.py. Opt-in, because such a
    # loss is rare but possible: run with PEERCOACH_KILL_ANYWHERE=1.
    "anywhere": None,
}


@pytest.mark.parametrize("where", list(KILL_POINTS))
def test_kill_9_mid_run_every_recipient_gets_exactly_one_message(broker, org, tmp_path, where):
    if where == "anywhere" and os.environ.get("PEERCOACH_KILL_ANYWHERE") != "1":
        pytest.skip("a random kill can land between COMMIT and the dot; opt in to measure it")
    started = time.monotonic()
    users = people(org, COUNT, "kill")
    rows = due_rows(org, users, period="kill-test")
    assert len(rows) == COUNT
    stage = KILL_POINTS[where]

    with Sink(keep=False) as sink:
        env = worker_env(sink.port)
        first = dispatch.reminders_dispatch(now=timezone.now(), batch_size=BATCH)
        assert first == {"recorded": 0, "queued": COUNT}
        assert broker.llen("email") == COUNT // BATCH

        kill_at = random.randint(int(COUNT * 0.3), int(COUNT * 0.6))
        if stage:
            sink.stall(stage, after=kill_at)
        worker = Worker(name="hc-kill-1", env=env, log=tmp_path / "worker1.log")
        try:
            if stage:
                wait_until(sink.stalled.is_set, f"message {kill_at + 1}", START_TIMEOUT, worker)
                # The batch's other connections go on until each reaches the same stage
                # and is parked there too; kill only then, so none of them is caught
                # between its COMMIT and its final "." (the "anywhere" case below).
                sink.settle()
            else:
                wait_until(
                    lambda: sink.total >= kill_at, f"{kill_at} messages", START_TIMEOUT, worker
                )
                time.sleep(random.uniform(0, 0.006))  # anywhere in the next message's work
        finally:
            worker.kill()
        sink.release()
        time.sleep(0.3)  # the sink sees the connection drop; a half-sent message is discarded
        at_kill = sink.total
        snapshot = statuses(org)
        with scope(organization=org):
            stuck = list(
                Delivery.objects.filter(organization=org, status="sending").values_list(
                    "pk", flat=True
                )
            )
            lost_batch = unacked_ids(broker)
            lost_unsent = Delivery.objects.filter(
                organization=org, pk__in=lost_batch, status__in=["pending", "sending"]
            ).count()
        assert 0 < at_kill < COUNT, "the worker must be killed mid-run"
        assert set(stuck) <= set(lost_batch), "only the killed task's rows can be stuck"
        # The batch's other SMTP connections (REMINDER_SMTP_CONNECTIONS) went on until
        # parked, so more than `kill_at` may have arrived; but every row marked sent is a
        # message the sink has, and the other way round.
        if stage == "rcpt":  # the held message's row is claimed, not sent
            assert at_kill == snapshot["sent"] >= kill_at
            assert stuck
        elif stage == "data":  # the held message's row was marked before its "."
            assert at_kill == snapshot["sent"] >= kill_at + 1

        second = Worker(name="hc-kill-2", env=env, log=tmp_path / "worker2.log")
        try:
            time.sleep(2.2)  # past the short lease below
            again = dispatch.reminders_dispatch(
                now=timezone.now(), batch_size=BATCH, lease=timedelta(seconds=2)
            )

            def settled():
                return broker.llen("email") == 0 and statuses(org).get("sent", 0) == COUNT

            wait_until(settled, "every row sent and the queue drained", TIMEOUT, second)
            sink.wait_for(COUNT, timeout=10)
            time.sleep(1)  # room for a (wrong) second copy to arrive
        finally:
            second.stop()

        counts = dict(sink.counts)

    elapsed = time.monotonic() - started
    expected = {user.email: 1 for user in users}
    missing = sorted(set(expected) - set(counts))
    twice = {address: n for address, n in counts.items() if n != 1}
    print(
        f"\n[{where}] kill -9 at {at_kill}/{COUNT} messages; rows then {snapshot}; "
        f"stuck claims {len(stuck)}; the killed task held {len(lost_batch)} ids, "
        f"{lost_unsent} of them not sent; the second dispatch re-queued {again['queued']} "
        f"rows (stale claims and every pending row queued more than the 2 s lease ago); "
        f"missing {len(missing)}, duplicates {len(twice)}; {elapsed:.1f} s"
    )
    assert not missing, f"never lost: {len(missing)} recipients got nothing, e.g. {missing[:5]}"
    assert not twice, f"never twice: {dict(list(twice.items())[:5])}"
    assert counts == expected
    assert statuses(org) == {"sent": COUNT}
    assert again["queued"] >= lost_unsent
