"""Tasks through a real Celery worker consuming from Redis (not the eager shortcut).

The worker runs in a thread of this process (`celery.contrib.testing.worker`), so
it shares the locmem outbox with the test; the messages travel through Redis.
While a test runs, the Celery app points at TEST_REDIS_URL with eager execution
off; both are restored afterwards. The test purges the `email` and `default`
queues of that Redis first, so do not point REDIS_URL at a broker a real worker
uses.
"""

import logging
import re
import threading
import time
import uuid
from contextlib import contextmanager

import kombu.pools
import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import after_task_publish, task_postrun
from django.core import mail
from django.db import transaction
from django_scopes import scope

from peercoach.accounts import services
from peercoach.celery import app
from peercoach.notifications.models import MESSAGE, Delivery
from peercoach.notifications.tasks import deliveries_send, send_templated_email
from peercoach.tenancy.models import Membership

from .conftest import TEST_REDIS_URL, redis_available, require_or_skip

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

QUEUES = ["email", "default"]
TIMEOUT = 20


def _drop_broker_pools():
    """Close and forget pooled broker connections and producers.

    They are built once from the broker_url of the moment (memory:// in embedded
    mode) and reused; after this the next use builds them from the current URL.
    kombu keeps the pools in process-wide registries, hence its reset().
    """
    kombu.pools.reset()
    app._pool = None
    amqp = app.__dict__.get("amqp")  # a cached property: absent until first used
    if amqp is not None:
        amqp._producer_pool = None


@pytest.fixture
def redis_broker():
    """The Celery app on the Redis broker, not eager; yields a Redis client to look inside."""
    require_or_skip(redis_available(), "Redis")
    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    _drop_broker_pools()
    app.conf.update(broker_url=TEST_REDIS_URL, task_always_eager=False)
    client = redis.Redis.from_url(TEST_REDIS_URL)
    try:
        with app.connection_for_write() as connection:
            assert connection.transport.driver_type == "redis"
            for queue in QUEUES:  # leftovers of an interrupted run would be delivered too
                connection.default_channel.queue_purge(queue)
        yield client
    finally:
        _drop_broker_pools()
        app.conf.update(saved)
        client.close()


@contextmanager
def redis_worker():
    """A worker consuming `email` and `default` from Redis, in a thread, for the block."""
    with start_worker(
        app, pool="solo", queues=QUEUES, perform_ping_check=False, shutdown_timeout=TIMEOUT
    ) as worker:
        assert worker.consumer.connection.transport.driver_type == "redis"
        assert sorted(q.name for q in worker.consumer.task_consumer.queues) == sorted(QUEUES)
        yield worker


@pytest.fixture
def finished():
    """(task id, task name, state, thread name) of every task a worker finished."""
    runs = []

    def record(task_id=None, task=None, state=None, **kwargs):
        if not getattr(task.request, "is_eager", False):
            runs.append((task_id, task.name, state, threading.current_thread().name))

    task_postrun.connect(record, weak=False)
    yield runs
    task_postrun.disconnect(record)


@pytest.fixture
def published():
    """(task id, task name, routing key) of every message sent to the broker."""
    messages = []

    def record(sender=None, headers=None, routing_key=None, **kwargs):
        messages.append((headers["id"], sender, routing_key))

    after_task_publish.connect(record, weak=False)
    yield messages
    after_task_publish.disconnect(record)


def wait_for(predicate, what):
    deadline = time.monotonic() + TIMEOUT
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {TIMEOUT}s waiting for {what}")
        time.sleep(0.05)


def settle():
    """Give a worker that would (wrongly) send a second message the time to do it."""
    time.sleep(0.5)


def test_templated_email_goes_through_redis_and_a_worker(redis_broker, org, finished):
    to = f"worker-{uuid.uuid4().hex[:8]}@example.org"
    accept_url = "https://peercoach.example.org/invite/abc123/"
    result = send_templated_email.delay(
        template="invitation",
        to=[to],
        context={
            "first_name": "Noor",
            "inviter": "Lena Lead",
            "role": "participant",
            "accept_url": accept_url,
            "expires_at": "2030-01-31T12:00:00+00:00",
        },
        organization_id=org.pk,
    )
    # Nothing ran here: the message waits in Redis's `email` list for a worker.
    assert redis_broker.llen("email") == 1
    assert mail.outbox == []

    with redis_worker():
        wait_for(lambda: any(run[0] == result.id for run in finished), "the worker to run it")
        wait_for(lambda: mail.outbox, "the email")
        settle()

    [(task_id, name, state, thread)] = finished
    assert (task_id, name, state) == (result.id, send_templated_email.name, "SUCCESS")
    assert thread != threading.current_thread().name
    assert redis_broker.llen("email") == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [to]
    assert message.subject == f"You are invited to {org.name} on peercoach"
    assert "Hello Noor," in message.body
    assert f"Lena Lead invites you to join {org.name} as participant." in message.body
    assert accept_url in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "<html" in html
    assert f'href="{accept_url}"' in html


def test_invitation_email_is_sent_once_even_when_redelivered(
    redis_broker, org, coordinator, finished, published
):
    with transaction.atomic(), scope(organization=org):
        invitation = services.invitation_create(
            organization=org,
            email="Rae.Redelivery@example.org",
            role=Membership.Role.PARTICIPANT,
            invited_by=coordinator,
            first_name="Rae",
        )
        assert published == [], "enqueued before the invitation was committed"
    # The email is a row of the outbox, its sending the ledger's task.
    [(task_id, name, routing_key)] = published
    assert (name, routing_key) == (deliveries_send.name, "email")
    with scope(organization=org):
        ids = list(Delivery.objects.filter(kind=MESSAGE).values_list("pk", flat=True))
    assert len(ids) == 1

    with redis_worker():
        wait_for(lambda: any(run[0] == task_id for run in finished), "the worker to run it")
        wait_for(lambda: mail.outbox, "the invitation email")
        # A redelivery hands the worker the same message again: same id, same arguments.
        deliveries_send.apply_async(kwargs={"organization_id": org.pk, "ids": ids}, task_id=task_id)
        wait_for(
            lambda: sum(run[0] == task_id for run in finished) == 2, "the worker to run it again"
        )
        settle()

    assert [(run[0], run[2]) for run in finished] == [(task_id, "SUCCESS")] * 2
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["rae.redelivery@example.org"]
    assert message.subject == f"You are invited to {org.name} on peercoach"
    with scope(organization=org):
        invitation.refresh_from_db()
    assert invitation.sent_nonce == invitation.nonce
    assert invitation.sent_at is not None
    # The link in the email opens this very invitation.
    token = re.search(r"/invite/([^/\s]+)/", message.body)[1]
    assert services.invitation_from_token(token=token).pk == invitation.pk
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert f"/invite/{token}/" in html


def test_matching_run_goes_through_a_worker_once(
    redis_broker, org, coordinator, finished, published
):
    """A matching run is queued on commit, executed by the worker, and a redelivery is a no-op."""
    from programs.models import Match, MatchingRun, MatchMember
    from programs.services.pairing import matching_run_start
    from programs.tasks import matching_run_execute
    from tests.factories import ApplicationFactory, MembershipFactory, ProgramFactory, UserFactory

    with scope(organization=org):
        program = ProgramFactory(organization=org)
        for i in range(40):
            user = UserFactory(email=f"w{i:02}@acme.example.org")
            MembershipFactory(organization=org, user=user)
            ApplicationFactory(program=program, user=user, group=f"G{i % 4}")
        with transaction.atomic():
            run = matching_run_start(program=program, started_by=coordinator)
            assert published == [], "enqueued before the run was committed"
    [(task_id, name, routing_key)] = published
    assert (name, routing_key) == (matching_run_execute.name, "default")

    def run_state():
        with scope(organization=org):
            return MatchingRun.objects.get(pk=run.pk)

    with redis_worker():
        wait_for(lambda: run_state().status == "done", "the worker to finish the run")
        with scope(organization=org):
            first = sorted(Match.objects.filter(program=program).values_list("pk", "score"))
        matching_run_execute.apply_async(
            kwargs={"run_id": run.pk, "organization_id": org.pk}, task_id=task_id
        )
        wait_for(lambda: sum(r[0] == task_id for r in finished) == 2, "the redelivered task")

    done = run_state()
    assert (done.status, done.progress, done.pool_size) == ("done", 100, 40)
    with scope(organization=org):
        assert sorted(Match.objects.filter(program=program).values_list("pk", "score")) == first
        assert len(first) == 20
        assert MatchMember.objects.filter(program=program, is_current=True).count() == 40


def test_a_task_through_a_worker_writes_one_log_line(redis_broker, org):
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("peercoach.task")
    logger.addHandler(handler)
    try:
        with redis_worker():
            result = send_templated_email.delay(
                template="invitation",
                to=[f"logged-{uuid.uuid4().hex[:8]}@example.org"],
                context={"first_name": "Noor", "inviter": "Lena", "role": "participant"},
                organization_id=org.pk,
            )

            def lines():
                return [r for r in records if getattr(r, "task_id", None) == result.id]

            wait_for(lines, "the task's log line")
            settle()
    finally:
        logger.removeHandler(handler)
    (line,) = lines()
    assert (line.task, line.state, line.levelname) == (
        "peercoach.notifications.tasks.send_templated_email",
        "SUCCESS",
        "INFO",
    )
    assert line.organization_id == org.pk and line.duration_ms > 0
    assert "@" not in line.getMessage()
