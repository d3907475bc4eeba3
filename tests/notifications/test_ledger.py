"""The delivery ledger's core, in process: claim, mark, the SMTP transport's order,
refusals and backoff, and the reasons a row is skipped.

SMTP cases go through the real transport to a local aiosmtpd sink (`smtp_sink.Sink`);
the rest use Django's locmem outbox.
"""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone
from django_scopes import scope

from peercoach.notifications import delivery as ledger
from peercoach.notifications import dispatch, services
from peercoach.notifications.models import Delivery, Preference
from peercoach.tenancy.models import Membership
from tests.factories import MembershipFactory, UserFactory

from .smtp_sink import HOST, KIND, Sink

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[True, False], ids=["pipelining", "one-by-one"])
def sink(settings, request):
    """A local SMTP server, and the default mailer pointed at it (plain SMTP, no TLS);
    every SMTP case runs against a server that offers PIPELINING and one that does not."""
    with Sink(pipelining=request.param) as server:
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": HOST, "port": server.port, "use_tls": False, "timeout": 5},
            }
        }
        yield server


def _person(org, email):
    with scope(organization=org):
        user = UserFactory(email=email, first_name=email.split("@")[0].title())
        MembershipFactory(organization=org, user=user)
    return user


def _row(org, user, period="p1", **fields):
    with scope(organization=org):
        return Delivery.objects.create(
            organization=org,
            recipient=user,
            kind=KIND,
            period=period,
            due_at=timezone.now() - timedelta(minutes=1),
            context={},
            **fields,
        )


def _get(org, row):
    with scope(organization=org):
        return Delivery.objects.get(pk=row.pk)


def _send(org, rows, token="task-1"):  # noqa: S107 - a task id, not a secret
    with scope(organization=org):
        return services.deliveries_send(organization=org, ids=[row.pk for row in rows], token=token)


def _dispatch(org, now):
    with scope(organization=org):
        return dispatch.deliveries_fan_out(organization=org, now=now)


# --- Claim -----------------------------------------------------------------------------


def test_only_one_caller_claims_a_row_and_the_same_task_may_retake_it(org, participant):
    row = _row(org, participant)
    with scope(organization=org):
        assert ledger.claim(organization=org, delivery_id=row.pk, token="task-a")
        assert not ledger.claim(organization=org, delivery_id=row.pk, token="task-b")
        # The same task delivered again (its worker died): it takes its own row over.
        assert ledger.claim(organization=org, delivery_id=row.pk, token="task-a")
    claimed = _get(org, row)
    assert (claimed.status, claimed.claim_token, claimed.attempts) == ("sending", "task-a", 2)
    assert claimed.claimed_at is not None

    with scope(organization=org):
        ledger.mark_sent(organization=org, delivery_id=row.pk, token="task-a")
        assert not ledger.claim(organization=org, delivery_id=row.pk, token="task-a")
        assert not ledger.claim(organization=org, delivery_id=row.pk, token="task-b")
    assert _get(org, row).status == "sent"


def test_mark_sent_needs_the_token_that_claimed_the_row(org, participant):
    row = _row(org, participant)
    with scope(organization=org):
        ledger.claim(organization=org, delivery_id=row.pk, token="task-a")
        ledger.mark_sent(organization=org, delivery_id=row.pk, token="task-b")
    assert _get(org, row).status == "sending"


def test_a_claim_of_another_tenants_row_takes_nothing(org, other_org, participant):
    row = _row(org, participant)
    with scope(organization=other_org):
        assert not ledger.claim(organization=other_org, delivery_id=row.pk, token="task-a")
    assert _get(org, row).status == "pending"


def test_a_redelivered_task_sends_the_row_it_had_claimed_and_no_other_task_does(
    org, participant, mailoutbox
):
    row = _row(org, participant)
    with scope(organization=org):  # the first delivery of task-1 claimed it, then died
        ledger.claim(organization=org, delivery_id=row.pk, token="task-1")

    assert _send(org, [row], token="task-2") == {"sent": 0, "skipped": 0, "failed": 0}
    assert mailoutbox == []
    assert _get(org, row).claim_token == "task-1"

    assert _send(org, [row], token="task-1") == {"sent": 1, "skipped": 0, "failed": 0}
    assert _send(org, [row], token="task-1") == {"sent": 0, "skipped": 0, "failed": 0}
    assert [message.to for message in mailoutbox] == [[participant.email]]
    sent = _get(org, row)
    assert (sent.status, sent.attempts) == ("sent", 2)
    assert sent.sent_at is not None


def test_a_stale_claim_goes_back_to_the_queue_after_the_lease(org, participant, mailoutbox):
    row = _row(org, participant)
    with scope(organization=org):
        ledger.claim(organization=org, delivery_id=row.pk, token="dead-task")
    now = timezone.now()
    assert _dispatch(org, now) == []  # claimed a moment ago: still someone's
    assert _dispatch(org, now + dispatch.default_lease() + timedelta(seconds=1)) == [row.pk]
    assert _get(org, row).status == "sent"
    assert len(mailoutbox) == 1


# --- The SMTP transport ----------------------------------------------------------------


def test_the_row_is_marked_sent_before_the_final_dot(org, participant, sink, monkeypatch):
    row = _row(org, participant)
    mark_sent = ledger.mark_sent

    def observed(**kwargs):
        marked = mark_sent(**kwargs)
        # Committed as sent while the server still waits for the end of the message.
        sink.events.append(("MARK", Delivery.objects.get(pk=kwargs["delivery_id"]).status))
        return marked

    monkeypatch.setattr(ledger, "mark_sent", observed)
    assert _send(org, [row]) == {"sent": 1, "skipped": 0, "failed": 0}

    assert [event[0] for event in sink.events] == ["MAIL", "RCPT", "MARK", "DATA"]
    assert ("MARK", "sent") in sink.events
    assert dict(sink.counts) == {participant.email: 1}
    [message] = sink.parsed()
    assert message["To"] == participant.email
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # A plain <URL> (RFC 2369/8058), never folded into RFC 2047 encoded words, which
    # mail clients do not decode in this header.
    [(_, raw)] = sink.messages
    [header] = [line for line in raw.split(b"\r\n") if line.startswith(b"List-Unsubscribe:")]
    assert header.startswith(b"List-Unsubscribe: <http") and header.endswith(b"/>")
    assert b"/unsubscribe/" in header
    # The site's domain (SITE_URL), never the machine's.
    domain = urlsplit(settings.SITE_URL).hostname
    assert message["Message-ID"] == f"<delivery-{row.pk}.{org.pk}@{domain}>"
    assert [part.get_content_type() for part in message.walk()] == [
        "multipart/alternative",
        "text/plain",
        "text/html",
    ]


def test_a_row_taken_over_meanwhile_never_gets_its_final_dot(
    org, participant, stranger, sink, monkeypatch
):
    """A batch slower than the lease: the dispatcher re-queued its row and another task
    claimed it. The first task finds that out when it marks the row, and hangs up before
    the final "." (the server then drops the message): only the new owner sends it."""
    taken, other = _row(org, participant), _row(org, stranger)
    mark_sent = ledger.mark_sent

    def taken_over(**kwargs):
        if kwargs["delivery_id"] == taken.pk:
            Delivery.objects.filter(organization=org, pk=taken.pk).update(claim_token="task-2")
        return mark_sent(**kwargs)

    monkeypatch.setattr(ledger, "mark_sent", taken_over)
    assert _send(org, [taken, other]) == {"sent": 1, "skipped": 0, "failed": 0}
    assert dict(sink.counts) == {stranger.email: 1}
    still = _get(org, taken)
    assert (still.status, still.claim_token) == ("sending", "task-2")

    monkeypatch.setattr(ledger, "mark_sent", mark_sent)
    assert _send(org, [taken], token="task-2") == {"sent": 1, "skipped": 0, "failed": 0}
    assert sink.counts == {participant.email: 1, stranger.email: 1}


def test_one_connection_carries_the_whole_batch(org, sink):
    people = [_person(org, f"batch{i}@example.org") for i in range(5)]
    rows = [_row(org, person) for person in people]
    assert _send(org, rows) == {"sent": 5, "skipped": 0, "failed": 0}
    assert sink.total == 5
    assert sorted(sink.counts) == sorted(person.email for person in people)
    # One SMTP session: the sink saw one MAIL per message and no second greeting is
    # observable here, so check the transport kept a single connection object instead.
    with scope(organization=org):
        assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_without_smtp_the_row_is_marked_after_the_mailer_took_it(
    org, participant, mailoutbox, monkeypatch
):
    row = _row(org, participant)
    seen = []
    mark_sent = ledger.mark_sent

    def observed(**kwargs):
        seen.append(len(mail.outbox))
        return mark_sent(**kwargs)

    monkeypatch.setattr(ledger, "mark_sent", observed)
    assert _send(org, [row]) == {"sent": 1, "skipped": 0, "failed": 0}
    assert seen == [1]
    assert _get(org, row).status == "sent"


# --- Refusals and broken connections -----------------------------------------------------


@pytest.mark.parametrize("stage", ["rcpt", "data"])
def test_a_temporary_refusal_puts_the_row_back_with_a_later_due_time(org, participant, sink, stage):
    row = _row(org, participant)
    sink.refuse("451 4.3.0 Try again later", stage=stage, times=1)
    before = timezone.now()
    assert _send(org, [row]) == {"sent": 0, "skipped": 0, "failed": 1}

    waiting = _get(org, row)
    assert (waiting.status, waiting.attempts, waiting.claim_token) == ("pending", 1, "")
    assert waiting.last_error.startswith("451")
    assert waiting.enqueued_at is None
    assert waiting.sent_at is None  # even when the refusal answered the final "."
    # Backoff: 2 minutes after the first attempt.
    assert before + timedelta(minutes=2) <= waiting.due_at <= timezone.now() + timedelta(minutes=2)
    assert sink.total == 0

    assert _dispatch(org, timezone.now()) == []  # not due again yet
    assert _dispatch(org, timezone.now() + timedelta(minutes=3)) == [row.pk]
    assert dict(sink.counts) == {participant.email: 1}
    assert _get(org, row).status == "sent"


def test_the_backoff_doubles_with_each_attempt(org, participant, sink):
    row = _row(org, participant, attempts=2)
    sink.refuse("421 4.7.0 Slow down", stage="data", times=1)
    before = timezone.now()
    _send(org, [row])
    waiting = _get(org, row)
    assert (waiting.status, waiting.attempts) == ("pending", 3)
    assert before + timedelta(minutes=8) <= waiting.due_at <= timezone.now() + timedelta(minutes=8)


def test_the_last_temporary_refusal_fails_for_good(org, participant, sink):
    row = _row(org, participant, attempts=ledger.MAX_ATTEMPTS - 1)
    sink.refuse("451 4.3.0 Try again later", stage="data")
    assert _send(org, [row]) == {"sent": 0, "skipped": 0, "failed": 1}
    failed = _get(org, row)
    assert (failed.status, failed.attempts) == ("failed", ledger.MAX_ATTEMPTS)
    assert failed.last_error.startswith("451")
    assert _dispatch(org, timezone.now() + timedelta(days=1)) == []


@pytest.mark.parametrize("stage", ["rcpt", "data"])
def test_a_permanent_refusal_fails_at_once_and_the_batch_goes_on(org, sink, stage):
    refused, other = _person(org, "gone@example.org"), _person(org, "here@example.org")
    rows = [_row(org, refused), _row(org, other)]
    sink.refuse("550 5.1.1 No such user", stage=stage, recipients=[refused.email])
    assert _send(org, rows) == {"sent": 1, "skipped": 0, "failed": 1}

    failed = _get(org, rows[0])
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert failed.last_error.startswith("550")
    assert _get(org, rows[1]).status == "sent"
    assert dict(sink.counts) == {other.email: 1}
    assert _dispatch(org, timezone.now() + timedelta(days=1)) == []


def test_a_connection_lost_before_the_message_loses_nothing(org, sink):
    people = [_person(org, f"lost{i}@example.org") for i in range(3)]
    rows = [_row(org, person) for person in people]
    sink.drop("rcpt", times=1)  # the server goes away before it has the first message
    assert _send(org, rows) == {"sent": 0, "skipped": 0, "failed": 1}

    first = _get(org, rows[0])
    assert (first.status, first.attempts) == ("pending", 1)
    assert first.due_at > timezone.now() + timedelta(minutes=1)
    # The batch stopped; its other rows are free for the dispatcher's next run at once.
    for row in rows[1:]:
        rest = _get(org, row)
        assert (rest.status, rest.attempts, rest.enqueued_at) == ("pending", 0, None)
    assert sink.total == 0

    assert sorted(_dispatch(org, timezone.now())) == [row.pk for row in rows[1:]]
    assert _dispatch(org, timezone.now() + timedelta(minutes=3)) == [rows[0].pk]
    assert sink.counts == {person.email: 1 for person in people}
    with scope(organization=org):
        assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_no_answer_to_the_final_dot_is_never_sent_twice(org, participant, sink):
    """The server has the whole message and drops the connection before it answers the
    final ".": it may well deliver it. The row was marked sent before the "." and must
    stay so (with the unknown outcome written down), never go round again."""
    row = _row(org, participant)
    sink.drop("data", times=1)
    _send(org, [row])
    assert sink.total == 1  # the server kept it

    after = _get(org, row)
    assert after.status == "sent"
    assert after.sent_at is not None
    assert after.last_error  # the unknown outcome is written down
    for minutes in (0, 3, 60):
        _dispatch(org, timezone.now() + timedelta(minutes=minutes))
    assert dict(sink.counts) == {participant.email: 1}


# --- Skipped rows ----------------------------------------------------------------------


def _turn_off(org, user):
    with scope(organization=org):
        Preference.objects.create(organization=org, user=user, kind=KIND, enabled=False)


def _delete_account(org, user):
    user.deleted_at = timezone.now()
    user.save(update_fields=["deleted_at"])


def _deactivate(org, user):
    user.is_active = False
    user.save(update_fields=["is_active"])


def _leave(org, user):
    with scope(organization=org):
        Membership.objects.filter(organization=org, user=user).delete()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (_turn_off, "Turned off by the person."),
        (_delete_account, "The account is closed."),
        (_deactivate, "The account is closed."),
        (_leave, "No longer a member of the organisation."),
    ],
    ids=["kind-turned-off", "account-deleted", "account-inactive", "left-organisation"],
)
def test_a_row_no_longer_wanted_is_skipped_and_the_rest_is_sent(
    org, participant, stranger, sink, change, reason
):
    """Recorded while wanted, changed before sending: checked again at send time."""
    skipped, sent = _row(org, participant), _row(org, stranger)
    change(org, participant)
    assert _send(org, [skipped, sent]) == {"sent": 1, "skipped": 1, "failed": 0}

    row = _get(org, skipped)
    assert (row.status, row.last_error) == ("skipped", reason)
    assert row.sent_at is None
    assert _get(org, sent).status == "sent"
    assert dict(sink.counts) == {stranger.email: 1}
    assert _dispatch(org, timezone.now() + timedelta(days=1)) == []


def test_a_kind_turned_off_is_not_even_recorded(org, participant, stranger, settings):
    settings.REMINDER_RULES = ["tests.notifications.test_ledger.rule_everyone"]
    _turn_off(org, participant)
    with scope(organization=org):
        assert dispatch.reminders_record(organization=org, now=timezone.now()) == 1
        assert list(Delivery.objects.values_list("recipient_id", flat=True)) == [stranger.pk]


def rule_everyone(*, organization, now):
    """A test rule: every participant of the organisation is due an agreement reminder."""
    members = Membership.objects.filter(
        organization=organization, role=Membership.Role.PARTICIPANT
    ).values_list("user_id", flat=True)
    for user_id in members:
        yield dispatch.Due(recipient_id=user_id, kind=KIND, period="everyone", due_at=now)


# --- Pipelining (RFC 2920) ----------------------------------------------------------------


def test_mail_rcpt_and_data_travel_together_only_when_the_server_offers_it(
    org, participant, sink, monkeypatch
):
    used = []
    pipelined = ledger.Transport._data_pipelined

    def observed(self, message, body):
        used.append(message.to)
        return pipelined(self, message, body)

    monkeypatch.setattr(ledger.Transport, "_data_pipelined", observed)
    assert _send(org, [_row(org, participant)]) == {"sent": 1, "skipped": 0, "failed": 0}
    assert used == ([[participant.email]] if sink.pipelining else [])
    assert sink.counts == {participant.email: 1}


class _NoMark:
    def start(self):
        pass

    def begin(self):
        return True

    def end(self):
        pass

    def abort(self):
        self.aborted = True


def test_a_refused_recipient_when_the_server_still_accepts_data_commits_nothing(sink):
    """Pipelined, DATA is already sent when a RCPT's refusal is read: a server that
    accepts DATA for the other recipient gets no message at all (the client hangs up),
    as without pipelining, where the first refusal stops the transaction."""
    from django.core.mail import EmailMessage

    sink.refuse("550 5.1.1 No such user", stage="rcpt", recipients=["gone@example.org"])
    message = EmailMessage(
        "Hi", "Body", "team@example.org", ["here@example.org", "gone@example.org"]
    )
    mark = _NoMark()
    with ledger.Transport() as transport, pytest.raises(ledger.SendRefused) as refused:
        transport.send(message, mark=mark)
    assert refused.value.code == 550 and mark.aborted
    sink.settle(quiet=0.2)
    assert sink.total == 0
    with ledger.Transport() as transport:  # a new connection works as before
        transport.send(
            EmailMessage("Hi", "Body", "team@example.org", ["here@example.org"]), mark=_NoMark()
        )
    assert sink.wait_for(1) == 1
