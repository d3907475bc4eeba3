"""The agreement PDF through a real Celery worker consuming the `pdf` queue from Redis."""

import hashlib
import io
from contextlib import contextmanager

import pytest
from celery.contrib.testing.worker import start_worker
from django_scopes import scope

from agreements.models import Agreement, AgreementEvent
from agreements.seal import installation_seal
from agreements.selectors.agreement import canonical_text
from agreements.services.common import Actor
from agreements.services.sign import agreement_sign
from agreements.tasks import agreement_pdf_render
from peercoach.celery import app
from tests.test_celery_worker import (  # noqa: F401 - fixtures
    TIMEOUT,
    published,
    redis_broker,
    wait_for,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

QUEUES = ["pdf"]


@contextmanager
def pdf_worker():
    """A worker consuming only `pdf` from Redis, in a thread, for the block."""
    with start_worker(
        app, pool="solo", queues=QUEUES, perform_ping_check=False, shutdown_timeout=TIMEOUT
    ) as worker:
        assert worker.consumer.connection.transport.driver_type == "redis"
        assert [q.name for q in worker.consumer.task_consumer.queues] == QUEUES
        yield worker


@pytest.fixture
def pdf_queue(redis_broker):  # noqa: F811 - the fixture imported above
    """Redis with empty `pdf` and `email` queues before and after the test."""

    def purge():
        with app.connection_for_write() as connection:
            for queue in ("pdf", "email"):
                connection.default_channel.queue_purge(queue)

    purge()
    yield redis_broker
    purge()


def test_the_last_signature_queues_the_pdf_and_a_worker_seals_and_stores_it(
    pdf_queue,
    published,  # noqa: F811
    pair,
    settings,
    tmp_path,
):
    settings.PRIVATE_ROOT = tmp_path / "private"
    settings.SEAL_DIR = tmp_path / "seal"
    settings.SEAL_PKCS12 = ""
    settings.SEAL_ORG_PKCS12 = ""
    pair.fill_required()
    for user in (pair.a, pair.b):
        agreement_sign(
            agreement=pair.agreement,
            actor=Actor(user=user, ip="192.0.2.1", user_agent="worker test"),
            typed_name=user.get_full_name(),
            consent=True,
            intent=True,
            seen_sha256=canonical_text(pair.agreement)[1],
        )
    # Committed (a transactional test): the task waits in Redis for a `pdf` worker.
    pdf_messages = [m for m in published if m[1] == agreement_pdf_render.name]
    assert [routing_key for _id, _name, routing_key in pdf_messages] == ["pdf"]
    assert pdf_queue.llen("pdf") == 1
    pair.agreement.refresh_from_db()
    assert pair.agreement.status == Agreement.Status.SIGNED and not pair.agreement.pdf_sha256

    def issued():
        with scope(organization=pair.org):
            return Agreement.objects.get(pk=pair.agreement.pk).pdf_sha256

    with pdf_worker():
        wait_for(issued, "the worker to issue the PDF")

    assert pdf_queue.llen("pdf") == 0
    with scope(organization=pair.org):
        agreement = Agreement.objects.get(pk=pair.agreement.pk)
        assert agreement.pdf_sealed and not agreement.pdf_error
        assert AgreementEvent.objects.filter(agreement=agreement, kind="pdf_issued").count() == 1
        with agreement.pdf.open("rb") as handle:
            data = handle.read()
    assert agreement.pdf.path.startswith(str(tmp_path / "private"))
    assert hashlib.sha256(data).hexdigest() == agreement.pdf_sha256

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    [embedded] = PdfFileReader(io.BytesIO(data)).embedded_signatures
    context = ValidationContext(trust_roots=[installation_seal().certificate])
    assert validate_pdf_signature(embedded, context).bottom_line
