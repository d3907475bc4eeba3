"""The outbox: every email is a ledger row written in its action's transaction, sent
after commit (at once with eager tasks, as in embedded mode), by the dispatcher when the
broker refused it, and never twice."""

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_scopes import scope

from peercoach.notifications.dispatch import reminders_dispatch
from peercoach.notifications.models import MESSAGE, Delivery, Kind, Preference
from peercoach.notifications.preferences import preference_set
from peercoach.notifications.services import message_queue, messages_muted

pytestmark = pytest.mark.django_db

DECISION = {"program_name": "Peer Coaching", "status": "accepted", "program_url": "/p/1/"}


def rows(org):
    with scope(organization=org):
        return list(Delivery.objects.filter(kind=MESSAGE).order_by("id"))


@pytest.fixture(autouse=True)
def _no_rules(settings):
    settings.REMINDER_RULES = []  # the dispatcher finds only the outbox's rows


def test_a_message_is_recorded_in_the_transaction_and_sent_when_it_commits(
    org, participant, commit
):
    with scope(organization=org), commit():
        message_queue(
            template="application_decision", to=[participant], context=DECISION, organization=org
        )
        (row,) = rows(org)
        assert row.status == "pending" and mail.outbox == []  # not before the commit
    (message,) = mail.outbox
    assert message.to == [participant.email]
    assert f"Hello {participant.first_name}," in message.body  # filled in from the recipient
    assert "Peer Coaching" in message.body
    (row,) = rows(org)
    assert row.status == "sent" and row.template == "application_decision"


def test_a_rolled_back_action_leaves_no_message(org, participant, commit):
    with scope(organization=org), commit(), pytest.raises(RuntimeError), transaction.atomic():
        message_queue(
            template="application_decision",
            to=[participant],
            context=DECISION,
            organization=org,
        )
        raise RuntimeError("the action failed")
    assert rows(org) == [] and mail.outbox == []


def test_an_event_recorded_twice_is_sent_once(org, participant, commit):
    for _ in range(2):  # the action retried after its commit
        with scope(organization=org), commit():
            message_queue(
                template="application_decision",
                to=[participant],
                context=DECISION,
                organization=org,
                key="decision:7",
            )
    reminders_dispatch()
    assert len(rows(org)) == 1 and len(mail.outbox) == 1


def test_an_address_without_an_account_with_a_date_rendered_in_the_organisations_zone(org, commit):
    org.time_zone = "Europe/Zurich"
    org.save()
    with scope(organization=org), commit():
        message_queue(
            template="invitation",
            to=["new.person@example.org"],
            organization=org,
            context={
                "first_name": "Noa",
                "inviter": "",
                "role": "participant",
                "accept_url": "http://testserver/invite/x/",
                "expires_at": datetime(2027, 1, 4, 12, 0, tzinfo=UTC),
            },
        )
    (message,) = mail.outbox
    assert message.to == ["new.person@example.org"]
    assert "Hello Noa," in message.body
    assert "4 January 2027, 13:00 CET" in message.body  # the datetime came back from JSON
    (row,) = rows(org)
    assert row.recipient is None and row.context["expires_at"] == "2027-01-04T12:00:00Z"


def test_attachments_travel_with_the_row(org, participant, commit):
    calendar = {
        "filename": "session.ics",
        "content": "BEGIN:VCALENDAR",
        "mimetype": "text/calendar",
    }
    with scope(organization=org), commit():
        message_queue(
            template="application_decision",
            to=[participant],
            context=DECISION,
            organization=org,
            attachments=[calendar],
        )
    assert mail.outbox[0].attachments[0][:2] == ("session.ics", "BEGIN:VCALENDAR")


def test_a_message_is_never_turned_off_and_is_no_kind_to_choose(org, participant, commit):
    assert MESSAGE not in Kind.values  # so not on the preferences page either
    with pytest.raises(ValueError, match="Unknown kind"):
        preference_set(organization=org, user=participant, kind=MESSAGE, enabled=False)
    with scope(organization=org):
        for kind in Kind.values:
            Preference.objects.create(organization=org, user=participant, kind=kind, enabled=False)
    with scope(organization=org), commit():
        message_queue(
            template="application_decision", to=[participant], context=DECISION, organization=org
        )
    assert len(mail.outbox) == 1


def test_a_message_to_an_account_closed_meanwhile_is_skipped(org, participant, commit, broker_down):
    with scope(organization=org), commit():
        message_queue(
            template="application_decision", to=[participant], context=DECISION, organization=org
        )
    broker_down.restore()
    participant.deleted_at = timezone.now()
    participant.save()
    reminders_dispatch()
    assert mail.outbox == []
    (row,) = rows(org)
    assert row.status == "skipped"


def test_a_refused_enqueue_leaves_the_row_to_the_next_dispatcher_run(
    org, participant, commit, broker_down
):
    with scope(organization=org), commit():
        message_queue(
            template="application_decision", to=[participant], context=DECISION, organization=org
        )
    (row,) = rows(org)
    assert (row.status, row.enqueued_at) == ("pending", None)
    broker_down.restore()
    assert reminders_dispatch()["queued"] == 1
    assert len(mail.outbox) == 1 and rows(org)[0].status == "sent"


def test_the_ledger_refuses_a_message_to_nobody(org):
    with scope(organization=org), pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(
            organization=org, kind=MESSAGE, period="x", template="t", due_at=timezone.now()
        )


def test_muted_records_nothing(org, participant, commit):
    with scope(organization=org), commit(), messages_muted():
        assert (
            message_queue(
                template="application_decision",
                to=[participant],
                context=DECISION,
                organization=org,
            )
            == []
        )
    assert rows(org) == [] and mail.outbox == []


def test_a_message_has_a_message_id_of_its_row_in_the_sites_domain(
    org, participant, commit, settings
):
    settings.SITE_URL = "https://coach.example.org:8443"
    with scope(organization=org), commit():
        message_queue(
            template="application_decision", to=[participant], context=DECISION, organization=org
        )
    (row,) = rows(org)
    (message,) = mail.outbox
    assert message.message()["Message-ID"] == f"<delivery-{row.pk}.{org.pk}@coach.example.org>"
