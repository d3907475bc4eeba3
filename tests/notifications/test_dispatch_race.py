"""Two dispatchers at once (a second beat, a manual run during the periodic one) and
batches that overlap: each reminder is recorded once and sent once.

Real threads with their own PostgreSQL connections, started together at a barrier; tasks
run in-process (eager), so each dispatcher sends its batches itself, over SMTP to a local
aiosmtpd sink. PostgreSQL only: SQLite serialises writers, so nothing would race.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_scopes import scope

from peercoach.notifications import dispatch, services
from peercoach.notifications.models import Delivery
from peercoach.tenancy.models import Membership

from ..conftest import require_or_skip
from .smtp_sink import HOST, KIND, Sink
from .test_delivery_worker import due_rows, people

pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = 150
ROUNDS = 4


def race_rule(*, organization, now):
    """A test rule: every participant is due an agreement reminder in the period named
    by `now` (both dispatchers are given the same `now`). One query."""
    members = Membership.objects.filter(
        organization=organization, role=Membership.Role.PARTICIPANT
    ).values_list("user_id", flat=True)
    period = f"race-{now:%Y%m%dT%H%M%S%f}"
    for user_id in members:
        yield dispatch.Due(
            recipient_id=user_id,
            kind=KIND,
            period=period,
            due_at=now - timedelta(seconds=1),
            context={"program_name": "Race"},
        )


@pytest.fixture
def smtp(settings):
    require_or_skip(connection.vendor == "postgresql", "PostgreSQL")
    settings.REMINDER_RULES = [f"{__name__}.race_rule"]
    with Sink(keep=False) as sink:
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": HOST, "port": sink.port, "use_tls": False, "timeout": 10},
            }
        }
        yield sink


def together(*calls):
    """Run the calls in threads released at the same instant; return their results."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)
    errors = []

    def run(index, call):
        try:
            barrier.wait(10)
            results[index] = call()
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads), "a caller hung"
    assert not errors, errors
    return results


def test_two_dispatchers_at_once_record_and_send_each_reminder_once(org, smtp):
    users = people(org, PEOPLE, "race")
    overlap = 0
    for round_ in range(ROUNDS):
        now = timezone.now()

        def dispatcher(now=now):
            return dispatch.reminders_dispatch(now=now, batch_size=25)

        runs = together(dispatcher, dispatcher)
        queued = sum(run["queued"] for run in runs)
        assert queued >= PEOPLE
        overlap += queued - PEOPLE  # rows both dispatchers queued
        with scope(organization=org):
            period = f"race-{now:%Y%m%dT%H%M%S%f}"
            rows = Delivery.objects.filter(organization=org, period=period)
            assert rows.count() == PEOPLE  # recorded once each
            assert set(rows.values_list("status", flat=True)) == {"sent"}
        assert smtp.counts == {user.email: round_ + 1 for user in users}  # sent once each

    # A third run afterwards finds nothing to do.
    assert dispatch.reminders_dispatch(now=now) == {"recorded": 0, "queued": 0}
    assert smtp.total == PEOPLE * ROUNDS
    # Each row is marked queued by the statement that picks it: never queued twice.
    assert overlap == 0


def test_overlapping_batches_sent_at_once_send_each_row_once(org, smtp):
    users = people(org, 300, "overlap")
    ids = [row.pk for row in due_rows(org, users, period="overlap")]

    def sender(chunk, token):
        def send():
            with scope(organization=org):
                return services.deliveries_send(organization=org, ids=chunk, token=token)

        return send

    results = together(
        sender(ids[:200], "task-a"),
        sender(ids[100:], "task-b"),
        sender(ids[::-1], "task-c"),
    )
    sent = [result["sent"] for result in results]
    assert sum(sent) == len(ids)  # 700 ids asked for, 300 rows: each sent by one batch
    assert sum(result["failed"] + result["skipped"] for result in results) == 0
    assert smtp.counts == {user.email: 1 for user in users}
    with scope(organization=org):
        assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    print(f"\nsent by each batch: {sent}")
