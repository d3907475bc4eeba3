"""A PDF render killed with SIGKILL comes back within two minutes, once.

A real `celery worker -Q pdf` process renders the signed agreement's PDF; it is killed
while the render holds the agreement's row lock (the render is under way, nothing is
committed). The sweep, run on a clock as beat runs it, leaves a live render alone (the
row is locked) and queues the killed one again once its lock is gone; a second worker
issues the PDF. SWEEP_AFTER is shortened to 2 s and the sweep runs every second so that
the test stays short; bench/recovery.py measures it with the production values.
"""

import datetime
import hashlib
import time

import pytest
from django.db import OperationalError, transaction
from django_scopes import scopes_disabled

from agreements import tasks
from agreements.models import Agreement, AgreementEvent
from agreements.selectors.agreement import canonical_text
from agreements.services.common import Actor
from agreements.services.documents import pdf_verify
from agreements.services.sign import agreement_sign
from tests.notifications.test_delivery_worker import (  # noqa: F401 - the broker fixture
    START_TIMEOUT,
    Worker,
    broker,
    wait_until,
    worker_env,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SWEEP_EVERY = 1.0
RECOVERY_LIMIT = 120


def rendering(agreement):
    """True while a render holds the agreement's row lock.

    The render first counts its attempt in a short transaction of its own (an UPDATE,
    which also locks the row, and stamps the organisation), then takes the row lock for
    the render. Only a lock seen after that count is committed is the render's: the sweep
    may rightly queue the agreement again in the gap between the two.
    """
    with scopes_disabled():
        counted = Agreement.objects.filter(pk=agreement.pk, pdf_attempts__gte=1).exists()
    if not counted:
        return False
    try:
        with scopes_disabled(), transaction.atomic():
            Agreement.objects.select_for_update(nowait=True).filter(pk=agreement.pk).exists()
    except OperationalError:
        return True
    return False


def issued(agreement):
    with scopes_disabled():
        return Agreement.objects.filter(pk=agreement.pk).exclude(pdf_sha256="").exists()


def test_a_killed_render_is_queued_again_and_the_pdf_issued_within_two_minutes_once(
    broker,  # noqa: F811
    pair,
    settings,
    monkeypatch,
    tmp_path,
):
    pair.fill_required()
    for user in (pair.a, pair.b):
        agreement_sign(
            agreement=pair.agreement,
            actor=Actor(user=user, ip="192.0.2.1", user_agent="recovery test"),
            typed_name=user.get_full_name(),
            consent=True,
            intent=True,
            seen_sha256=canonical_text(pair.agreement)[1],
        )
    assert broker.llen("pdf") == 1  # queued on commit of the last signature
    with scopes_disabled():
        agreement = Agreement.objects.get(pk=pair.agreement.pk)
    assert agreement.status == Agreement.Status.SIGNED and not agreement.pdf_sha256

    env = worker_env(0) | {
        "PRIVATE_ROOT": str(settings.PRIVATE_ROOT),
        "SEAL_DIR": str(settings.SEAL_DIR),
        "SEAL_PKCS12": "",
        "SEAL_ORG_PKCS12": "",
    }
    monkeypatch.setattr(tasks, "SWEEP_AFTER", datetime.timedelta(0))
    first = Worker(name="pdf-1", env=env, log=tmp_path / "worker1.log", queues="pdf")
    try:
        wait_until(lambda: rendering(agreement), "the render to start", START_TIMEOUT, first)
        # A live render is never queued a second time, however old the signature.
        assert tasks.agreements_pdf_sweep() == 0
    finally:
        first.kill()
    killed = time.monotonic()
    agreement.refresh_from_db()
    assert not agreement.pdf_sha256, "killed during the render, before its commit"
    assert agreement.pdf_attempts == 1

    monkeypatch.setattr(tasks, "SWEEP_AFTER", datetime.timedelta(seconds=2))
    second = Worker(name="pdf-2", env=env, log=tmp_path / "worker2.log", queues="pdf")
    queued = runs = 0
    try:
        while not issued(agreement):
            if not second.alive():
                pytest.fail(f"the second worker exited; log: {tmp_path / 'worker2.log'}")
            if time.monotonic() - killed > RECOVERY_LIMIT + 30:
                pytest.fail("the PDF was not issued again")
            queued += tasks.agreements_pdf_sweep()
            runs += 1
            time.sleep(SWEEP_EVERY)
        recovered = time.monotonic() - killed
        time.sleep(1)  # room for a (wrong) second render
    finally:
        second.stop()

    print(
        f"\nRESULT recovery_pdf sweep_after=2s sweep_every={SWEEP_EVERY}s "
        f"pdf_after_kill={recovered:.1f}s sweep_runs={runs} queued={queued}"
    )
    assert recovered < RECOVERY_LIMIT
    agreement.refresh_from_db()
    with scopes_disabled():
        events = AgreementEvent.objects.filter(agreement=agreement, kind="pdf_issued").count()
        with agreement.pdf.open("rb") as handle:
            data = handle.read()
    assert events == 1, "issued once"
    assert agreement.pdf_attempts == 2 and agreement.pdf_sealed and not agreement.pdf_error
    assert hashlib.sha256(data).hexdigest() == agreement.pdf_sha256
    assert pdf_verify(data).issued
    # The stored file is the one the row names, and no other was left beside it.
    assert [p.name for p in (settings.PRIVATE_ROOT / "agreements").rglob("*.pdf")] == [
        f"{agreement.pk}.pdf"
    ]
