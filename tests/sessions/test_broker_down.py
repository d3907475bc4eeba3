"""Opting out while the broker (Redis) is down: the opt-out is recorded, the page answers
as usual, and the partner's and the team's emails arrive once the broker is back, once."""

import pytest
from django.core import mail
from django_scopes import scope

from peercoach.notifications.dispatch import reminders_dispatch
from peercoach.notifications.models import MESSAGE, Delivery
from sessions.models import OptOut
from tests.sessions.test_endings import opt_out_data, pair_url

# Real commits: the on-commit callbacks run inside the request, as in production.
pytestmark = pytest.mark.django_db(transaction=True)


def test_an_opt_out_with_the_broker_down_answers_and_its_emails_arrive_once(
    org, pair, coordinator, client_for, broker_down, settings
):
    settings.REMINDER_RULES = []  # only the outbox's rows are due
    response = client_for(pair.me).post(pair_url("opt_out", pair.match), opt_out_data("confirm"))

    assert response.status_code == 302
    assert broker_down.refused
    with scope(organization=org):
        assert OptOut.objects.filter(user=pair.me, match=pair.match).exists()
        rows = list(Delivery.objects.filter(kind=MESSAGE))
    assert sorted(row.template for row in rows) == ["opt_out_partner", "opt_out_team"]
    assert {row.status for row in rows} == {"pending"}
    assert mail.outbox == []

    # The same click again (a retry after the answer was lost) records nothing new.
    again = client_for(pair.me).post(pair_url("opt_out", pair.match), opt_out_data("confirm"))
    assert again.status_code < 500
    with scope(organization=org):
        assert Delivery.objects.filter(kind=MESSAGE).count() == 2

    broker_down.restore()
    assert reminders_dispatch()["queued"] == 2
    assert reminders_dispatch()["queued"] == 0

    assert sorted(m.to[0] for m in mail.outbox) == sorted([pair.partner.email, coordinator.email])
    with scope(organization=org):
        assert set(Delivery.objects.filter(kind=MESSAGE).values_list("status", flat=True)) == {
            "sent"
        }
