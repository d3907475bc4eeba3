"""The pipelined mark on PostgreSQL (`delivery.SentMark` outside any transaction, as in a
worker): `BEGIN; UPDATE` travels with MAIL/RCPT/DATA, COMMIT with the final ".".

The in-process ledger tests run inside the test's transaction, where the mark takes the
plain committed path; these run with real commits (transactional test case) through the
real transport to a local SMTP sink.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_scopes import scope
from psycopg import pq

from peercoach.notifications import delivery as ledger
from peercoach.notifications import services
from peercoach.notifications.models import Delivery
from tests.factories import MembershipFactory, UserFactory

from ..conftest import require_or_skip
from .smtp_sink import HOST, KIND, Sink

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sink(settings):
    require_or_skip(connection.vendor == "postgresql", "PostgreSQL")
    with Sink() as server:
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": HOST, "port": server.port, "use_tls": False, "timeout": 5},
            }
        }
        yield server


def _rows(org, count):
    rows = []
    with scope(organization=org):
        for index in range(count):
            user = UserFactory(email=f"pipe{index}@example.org")
            MembershipFactory(organization=org, user=user)
            rows.append(
                Delivery.objects.create(
                    organization=org,
                    recipient=user,
                    kind=KIND,
                    period="p1",
                    due_at=timezone.now() - timedelta(minutes=1),
                )
            )
    return rows


def _send(org, rows, token="task-1"):  # noqa: S107 - a task id, not a secret
    assert not connection.in_atomic_block  # the pipelined path, not the plain one
    with scope(organization=org):
        return services.deliveries_send(organization=org, ids=[row.pk for row in rows], token=token)


def _states(org):
    with scope(organization=org):
        return sorted(Delivery.objects.values_list("status", "claim_token", "attempts"))


def test_a_batch_is_marked_sent_and_each_message_arrives_once(org, sink):
    rows = _rows(org, 5)
    assert _send(org, rows) == {"sent": 5, "skipped": 0, "failed": 0}
    assert sorted(sink.counts.values()) == [1] * 5
    assert _states(org) == [("sent", "task-1", 1)] * 5
    with scope(organization=org):
        assert all(row.sent_at for row in Delivery.objects.all())
    # The connection is back to idle, usable by the ORM.
    assert connection.connection.pgconn.transaction_status == pq.TransactionStatus.IDLE


def test_the_mark_answers_before_the_final_dot(org, sink, monkeypatch):
    """When `begin()` has returned, the row reads `sent` from another connection
    (COMMIT is in the server's hands) while the sink still waits for the "."."""
    [row] = _rows(org, 1)
    begin = ledger.SentMark.begin
    seen = []

    def observed(mark):
        result = begin(mark)
        from django.db import connections

        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                for _ in range(50):  # the COMMIT is in flight; wait for it, briefly
                    cursor.execute(
                        f"SELECT status FROM {Delivery._meta.db_table} WHERE id = %s",  # noqa: S608
                        [row.pk],
                    )
                    status = cursor.fetchone()[0]
                    if status == "sent":
                        break
                    import time

                    time.sleep(0.01)
        finally:
            other.close()
        seen.append((status, sink.total))
        return result

    monkeypatch.setattr(ledger.SentMark, "begin", observed)
    assert _send(org, [row]) == {"sent": 1, "skipped": 0, "failed": 0}
    assert seen == [("sent", 0)]
    assert sink.total == 1


def test_a_row_taken_over_is_rolled_back_and_its_message_dropped(org, sink, monkeypatch):
    taken, kept = _rows(org, 2)
    start = ledger.SentMark.start

    def stolen(mark):
        if mark.delivery_id == taken.pk:
            with scope(organization=org):
                Delivery.objects.filter(pk=taken.pk).update(claim_token="task-2")
        start(mark)

    monkeypatch.setattr(ledger.SentMark, "start", stolen)
    assert _send(org, [taken, kept]) == {"sent": 1, "skipped": 0, "failed": 0}
    assert dict(sink.counts) == {"pipe1@example.org": 1}
    with scope(organization=org):
        still = Delivery.objects.get(pk=taken.pk)
    assert (still.status, still.claim_token, still.sent_at) == ("sending", "task-2", None)


@pytest.mark.parametrize("stage", ["rcpt", "data"])
def test_a_refusal_leaves_the_row_pending_and_unmarked(org, sink, stage):
    """Refused at RCPT: the mark begun with MAIL is rolled back. Refused at the final
    ".": the committed mark is undone."""
    [row] = _rows(org, 1)
    sink.refuse("451 4.3.0 Try again later", stage=stage, times=1)
    assert _send(org, [row]) == {"sent": 0, "skipped": 0, "failed": 1}
    with scope(organization=org):
        waiting = Delivery.objects.get(pk=row.pk)
    assert (waiting.status, waiting.sent_at, waiting.attempts) == ("pending", None, 1)
    assert waiting.last_error.startswith("451")
    assert sink.total == 0
    assert connection.connection.pgconn.transaction_status == pq.TransactionStatus.IDLE


def test_a_dropped_connection_gives_back_the_rest_of_the_batch(org, sink, settings):
    settings.REMINDER_SMTP_CONNECTIONS = 1
    first, *rest = _rows(org, 3)
    sink.drop("rcpt")
    assert _send(org, [first, *rest]) == {"sent": 0, "skipped": 0, "failed": 1}
    with scope(organization=org):
        tried = Delivery.objects.get(pk=first.pk)
        given_back = list(Delivery.objects.filter(pk__in=[row.pk for row in rest]))
    assert (tried.status, tried.attempts, tried.sent_at) == ("pending", 1, None)
    # Claimed with the batch but never tried: pending again, the claim not counted.
    assert [(r.status, r.claim_token, r.attempts, r.enqueued_at) for r in given_back] == [
        ("pending", "", 0, None)
    ] * 2
    assert sink.total == 0
    assert connection.connection.pgconn.transaction_status == pq.TransactionStatus.IDLE


def test_a_batch_goes_over_several_connections_at_once(org, sink, settings):
    """REMINDER_SMTP_CONNECTIONS threads, each with its own SMTP connection and its
    own database connection: every message once, the counts added up."""
    settings.REMINDER_SMTP_CONNECTIONS = 3
    rows = _rows(org, 9)
    assert _send(org, rows) == {"sent": 9, "skipped": 0, "failed": 0}
    assert sorted(sink.counts.values()) == [1] * 9
    assert sink.connections == 3
    assert _states(org) == [("sent", "task-1", 1)] * 9


def test_one_connection_dropping_leaves_the_others_sending(org, sink, settings):
    settings.REMINDER_SMTP_CONNECTIONS = 3
    rows = _rows(org, 9)
    sink.drop("rcpt")  # the first RCPT of whichever connection comes first
    counts = _send(org, rows)
    # The dropped lane's first row failed (back to pending, one attempt); the rest of
    # that lane was given back untried; the two other lanes sent all theirs.
    assert counts == {"sent": 6, "skipped": 0, "failed": 1}
    assert sink.total == 6
    with scope(organization=org):
        states = sorted(Delivery.objects.values_list("status", "attempts"))
    assert states == [("pending", 0)] * 2 + [("pending", 1)] + [("sent", 1)] * 6
