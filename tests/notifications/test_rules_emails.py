"""The reminder emails, sent through the ledger (`reminders_record`, `deliveries_send`) to
Django's in-memory mailbox: one per kind, with a clear subject, a link to act, the
organisation's branding and the one-click unsubscribe line and headers; and nothing
private anywhere (private notes, session logs, report answers, feedback comments,
concerns, pause reasons, what the parties wrote in their agreement)."""

import pytest
from django.core import mail
from django_scopes import scope

from peercoach.notifications import services
from peercoach.notifications.dispatch import reminders_dispatch, reminders_record
from peercoach.notifications.models import Delivery, Kind
from sessions.models import (
    Concern,
    Feedback,
    OptOut,
    Preparation,
    PrivateNote,
    Reflection,
    Session,
)
from tests.factories import ApplicationFactory, ProgramEventFactory
from tests.notifications.test_rules import (
    MONDAY,
    agreement_for,
    at,
    days,
    make_pair,
    pause_make,
    report_make,
    session_make,
)
from tests.sessions.conftest import person

pytestmark = pytest.mark.django_db

SECRET = "SECRET-7f3a"
NOW = at(MONDAY)


def _private_content(org, pair):
    """Something private of every sort, all carrying SECRET."""
    held = session_make(
        pair,
        at(MONDAY - days(50), 10, 0),
        status=Session.Status.HELD,
        shared_notes=f"{SECRET} shared notes",
        next_steps=f"{SECRET} next steps",
        note=f"{SECRET} note",
    )
    with scope(organization=org):
        PrivateNote.objects.create(organization=org, session=held, author=pair.me, body=SECRET)
        Reflection.objects.create(organization=org, session=held, author=pair.me, body=SECRET)
        Preparation.objects.create(organization=org, session=held, author=pair.me, purpose=SECRET)
        Feedback.objects.create(
            organization=org,
            session=held,
            author=pair.partner,
            coach=pair.me,
            rating=2,
            comment=SECRET,
        )
        Concern.objects.create(
            organization=org, program=pair.program, author=pair.me, category="other", body=SECRET
        )
    report = report_make(pair, pair.partner, 1)
    report.change = SECRET
    report.change_shared = True
    with scope(organization=org):
        report.save()
    pause_make(pair, MONDAY - days(40), MONDAY - days(39), reason=SECRET)


@pytest.fixture
def everything(org, participant, coordinator):
    """On Monday 8 June 2026, 08:30 Berlin, one of each kind is due."""
    # Meeting (cycle 2 from today), report prompt (period 1 due today), program event.
    steady = make_pair(org, participant, published=MONDAY - days(30))
    with scope(organization=org):
        ApplicationFactory(program=steady.program, user=person(org, "applicant@example.org"))
        ProgramEventFactory(
            program=steady.program,
            title="Group meeting",
            starts_at=at(MONDAY + days(1), 18, 0),
            location="https://meet.example.org/group",
            description=SECRET,
        )
    # A nudge (no session for 50 days), private content of every sort, and at risk.
    quiet = make_pair(org, person(org, "quiet@acme.example.org"), published=MONDAY - days(100))
    _private_content(org, quiet)
    with scope(organization=org):
        OptOut.objects.create(
            organization=org,
            match=quiet.match,
            program=quiet.program,
            user=quiet.partner,
            reason="other",
            notice=SECRET,
        )
    # An agreement open for 3 days, with what one party wrote in it; a session tomorrow.
    fresh = make_pair(org, person(org, "fresh@acme.example.org"), published=MONDAY - days(3))
    session_make(fresh, at(MONDAY + days(1), 10, 0), location="Room 4", modality="in_person")
    agreement_for(
        fresh,
        created=MONDAY - days(3),
        signed_by=[fresh.partner],
        objectives={fresh.me: SECRET, fresh.partner: SECRET},
    )
    return {"steady": steady, "quiet": quiet, "fresh": fresh}


def _send_all(org, now=NOW):
    with scope(organization=org):
        reminders_record(organization=org, now=now)
        ids = list(Delivery.objects.order_by("id").values_list("id", flat=True))
        return services.deliveries_send(organization=org, ids=ids, token="test")


def _by_kind(org):
    with scope(organization=org):
        rows = {d.pk: d for d in Delivery.objects.all()}
    found = {}
    for message in mail.outbox:
        pk = int(message.extra_headers["Message-ID"].split("-")[1].split(".")[0])
        found.setdefault(rows[pk].kind, []).append(message)
    return found


def test_one_email_of_each_kind_with_unsubscribe_link_and_branding(org, everything):
    org.brand_colour = "#123456"
    org.save(update_fields=["brand_colour"])

    counts = _send_all(org)

    found = _by_kind(org)
    assert set(found) == set(Kind.values)
    assert counts["failed"] == 0 and counts["sent"] == len(mail.outbox)
    for kind, messages in found.items():
        for message in messages:
            html = message.alternatives[0].content
            unsubscribe = message.extra_headers["List-Unsubscribe"].strip("<>")
            assert "/unsubscribe/" in unsubscribe
            assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            assert unsubscribe in message.body, kind
            assert "Turn them off in one click" in message.body, kind
            assert f'href="{unsubscribe}"' in html, kind
            assert "Turn them off in one click" in html, kind
            assert "#123456" in html and org.name in html, kind
            assert "\n" not in message.subject and message.subject.strip(), kind
            assert "http://" in message.body or "https://" in message.body, kind
            assert "{{" not in message.body and "{%" not in message.body, kind


def test_subjects_and_links_say_what_to_do(org, everything):
    _send_all(org)
    found = _by_kind(org)
    steady, fresh = everything["steady"], everything["fresh"]
    program = steady.program.name

    def one(kind, user=steady.me):
        return next(m for m in found[kind] if m.to == [user.email])

    assert one(Kind.MEETING).subject == f"Time to plan your next session in {program}"
    assert f"/pairs/{steady.match.pk}/sessions/new/" in one(Kind.MEETING).body
    assert one(Kind.REPORT).subject == f"Your progress report for {program} is due"
    assert f"/pairs/{steady.match.pk}/report/" in one(Kind.REPORT).body
    session = one(Kind.SESSION, fresh.me)
    assert session.subject == f"Coming up: your coaching session with {fresh.partner.display_name}"
    assert "Tuesday 9 June 2026, 10:00–11:00 (Europe/Berlin)" in session.body
    assert "Room 4" in session.body and "/calendar.ics" in session.body
    assert one(Kind.EVENT).subject == f"Coming up in {program}: Group meeting"
    assert 'href="https://meet.example.org/group"' in one(Kind.EVENT).alternatives[0].content
    agreement = one(Kind.AGREEMENT, fresh.me)
    assert agreement.subject == (
        f"Your coaching agreement in {fresh.program.name} awaits your signature"
    )
    assert [m.to for m in found[Kind.AGREEMENT]] == [[fresh.me.email]]
    assert f"Already signed: {fresh.partner.display_name}." in agreement.body
    quiet = everything["quiet"]
    nudge = one(Kind.NUDGE, quiet.me)
    assert nudge.subject == f"Has your coaching in {quiet.program.name} stalled?"
    assert f"/pairs/{quiet.match.pk}/sessions/log/" in nudge.body
    assert found[Kind.DIGEST][0].subject == "1 pair may need your attention this week"


def test_no_private_content_in_any_email_or_ledger_row(org, everything):
    _send_all(org)

    assert mail.outbox
    for message in mail.outbox:
        text = " ".join([message.subject, message.body, message.alternatives[0].content])
        assert SECRET not in text
        assert "SECRET" not in str(message.extra_headers)
    with scope(organization=org):
        for context in Delivery.objects.values_list("context", flat=True):
            assert SECRET not in str(context)


def test_the_digest_lists_names_and_reasons_only(org, everything, coordinator):
    _send_all(org)
    (digest,) = _by_kind(org)[Kind.DIGEST]
    quiet = everything["quiet"]

    assert digest.to == [coordinator.email]
    assert quiet.me.display_name in digest.body
    assert "No session held for 50 days. Their rhythm: at least once a month." in digest.body
    assert f"/programs/{quiet.program.pk}/matches/" in digest.body
    assert "what pairs write stays with them" in digest.body


def test_a_kind_turned_off_after_recording_is_skipped_when_sending(org, participant):
    from peercoach.notifications.models import Preference

    make_pair(org, participant, published=MONDAY - days(30))
    with scope(organization=org):
        reminders_record(organization=org, now=NOW)
        Preference.objects.create(
            organization=org, user=participant, kind=Kind.MEETING, enabled=False
        )
        ids = list(Delivery.objects.values_list("id", flat=True))
        services.deliveries_send(organization=org, ids=ids, token="t")
        skipped = Delivery.objects.get(recipient=participant, kind=Kind.MEETING)

    assert skipped.status == Delivery.Status.SKIPPED
    assert [participant.email] not in [m.to for m in mail.outbox if "Time to plan" in m.subject]


def test_the_dispatcher_sends_each_reminder_once(org, everything):
    first = reminders_dispatch(now=NOW)
    sent = len(mail.outbox)
    again = reminders_dispatch(now=at(MONDAY, 8, 35))

    assert first["recorded"] == first["queued"] == sent > 0
    assert again == {"recorded": 0, "queued": 0}
    assert len(mail.outbox) == sent
