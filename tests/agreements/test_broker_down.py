"""Signing the last signature while the broker (Redis) is down: the page answers as
usual, the "agreement signed" emails wait in the outbox, and the dispatcher sends each
exactly once when the broker is back. The PDF comes from the sweep."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from agreements.models import Agreement
from agreements.tasks import agreements_pdf_sweep
from peercoach.notifications.dispatch import reminders_dispatch
from peercoach.notifications.models import MESSAGE, Delivery
from tests.agreements.test_fill import sign

# Real commits: the on-commit callbacks run inside the request, as in production.
pytestmark = pytest.mark.django_db(transaction=True)


def signed_rows(org):
    with scope(organization=org):
        return list(Delivery.objects.filter(kind=MESSAGE, template="agreement_signed"))


def test_the_last_signature_with_the_broker_down_answers_and_its_emails_arrive_once(
    pair, client_for, broker_down, settings
):
    settings.REMINDER_RULES = []  # only the outbox's rows are due
    pair.fill_required()
    sign(pair, pair.a)
    mail.outbox.clear()
    url = reverse("agreements:sign", kwargs={"org_slug": pair.org.slug, "pk": pair.agreement.pk})

    response = client_for(pair.b).post(
        url,
        {"typed_name": "Robin Diaz", "sha256": pair.sha(), "consent": "on", "intent": "on"},
    )

    assert response.status_code == 302
    assert broker_down.refused == 2  # the PDF and the emails were refused, and survived
    pair.agreement.refresh_from_db()
    assert pair.agreement.status == Agreement.Status.SIGNED
    rows = signed_rows(pair.org)
    assert sorted(row.recipient.email for row in rows) == sorted([pair.a.email, pair.b.email])
    assert {(row.status, row.enqueued_at) for row in rows} == {("pending", None)}
    assert mail.outbox == []

    broker_down.restore()
    reminders_dispatch()
    reminders_dispatch()  # a second run finds nothing left to send

    assert sorted(m.to[0] for m in mail.outbox) == sorted([pair.a.email, pair.b.email])
    assert all("signed" in m.subject.lower() for m in mail.outbox)
    assert {row.status for row in signed_rows(pair.org)} == {"sent"}

    # The PDF the broker refused comes from the sweep.
    with scope(organization=pair.org):
        Agreement.objects.filter(pk=pair.agreement.pk).update(
            signed_at=timezone.now() - timedelta(minutes=6)
        )
    assert agreements_pdf_sweep() == 1
    pair.agreement.refresh_from_db()
    assert pair.agreement.pdf_sha256
