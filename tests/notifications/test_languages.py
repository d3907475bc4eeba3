"""Emails and reminders in each recipient's language: theirs, else their organisation's
default, else English; two recipients of one fan-out each get their own.

Expected texts are the catalogue's own (`gettext` under "es"), never copied in here, and
each is checked to differ from the English: the test fails if Spanish is not applied.
"""

import pytest
from django.core import mail
from django.utils import formats, timezone, translation
from django.utils.translation import gettext, ngettext
from django_scopes import scope

from peercoach.accounts.models import Invitation
from peercoach.accounts.services import invitation_create
from peercoach.notifications.models import Kind
from peercoach.notifications.services import message_queue
from peercoach.tenancy.models import Membership
from tests.conftest import _member
from tests.notifications.test_rules import MONDAY, at, days, make_pair, session_make
from tests.notifications.test_rules_emails import _by_kind, _send_all, everything  # noqa: F401 - a fixture
from tests.sessions.conftest import person

pytestmark = pytest.mark.django_db


def spanish(msgid, **values):
    """The Spanish catalogue's translation of `msgid`, filled in; fails when there is none
    (the check would then prove nothing)."""
    with translation.override("es"):
        text = gettext(msgid)
    assert text != msgid, f"No Spanish for {msgid!r}: compile the catalogue"
    return text % values if values else text


def english(msgid, **values):
    return msgid % values if values else msgid


def test_one_fan_out_speaks_each_recipient_language(org, participant, commit):
    """The same message to two people: the one who chose Spanish reads it in Spanish
    (subject, text and HTML), the other in English."""
    participant.first_name, participant.language = "Pat", "es"
    participant.save(update_fields=["first_name", "language"])
    other = person(org, "robin@acme.example.org")
    other.first_name = "Robin"
    other.save(update_fields=["first_name"])
    context = {"program_name": "Peer Coaching", "agreement_url": "https://x.example/a/1/"}

    with scope(organization=org), commit():
        message_queue(
            template="agreement_signed", to=[participant, other], context=context, organization=org
        )

    by_address = {message.to[0]: message for message in mail.outbox}
    es, en = by_address[participant.email], by_address[other.email]
    subject = "Your agreement in %(program_name)s is signed"
    assert es.subject == spanish(subject, program_name="Peer Coaching")
    assert en.subject == english(subject, program_name="Peer Coaching")
    greeting = "Hello %(first_name)s,"
    assert spanish(greeting, first_name="Pat") in es.body
    assert english(greeting, first_name="Robin") in en.body
    es_html, en_html = es.alternatives[0].content, en.alternatives[0].content
    assert '<html lang="es">' in es_html and spanish(greeting, first_name="Pat") in es_html
    assert '<html lang="en">' in en_html and english(greeting, first_name="Robin") in en_html


def test_someone_without_a_choice_reads_the_organisation_default(org, participant, commit):
    org.default_language = "es"
    org.save(update_fields=["default_language"])
    context = {"program_name": "Peer Coaching", "agreement_url": "https://x.example/a/1/"}
    with scope(organization=org), commit():
        message_queue(
            template="agreement_signed", to=[participant], context=context, organization=org
        )
    (message,) = mail.outbox
    assert message.subject == spanish(
        "Your agreement in %(program_name)s is signed", program_name="Peer Coaching"
    )


def test_an_invitation_goes_out_in_the_organisation_language(org, coordinator, commit):
    """The invitee has no account, hence no language of their own."""
    org.default_language = "es"
    org.save(update_fields=["default_language"])
    with scope(organization=org), commit():
        invitation_create(
            organization=org,
            email="new@acme.example.org",
            role=Membership.Role.PARTICIPANT,
            invited_by=coordinator,
        )
    (message,) = mail.outbox
    assert message.subject == spanish("You are invited to %(org)s on peercoach", org=org.name)
    # The role was written into the message when it was queued: in Spanish too.
    with translation.override("es"):
        role = str(Membership.Role.PARTICIPANT.label).lower()
    assert role != "participant" and role in message.body
    # The expiry date in Spanish words: "4 de diciembre de 2026", the month in lower case.
    with scope(organization=org), translation.override("es"):
        invitation = Invitation.objects.get(email="new@acme.example.org")
        expires = timezone.localtime(invitation.expires_at, org.tzinfo)
        day = formats.date_format(expires, "LONG_DATE_FORMAT")
    assert day.endswith(f" de {expires.year}") and day == day.lower()
    assert day in " ".join(message.body.split())
    assert day in message.alternatives[0].content


def test_a_reminder_fan_out_with_both_languages(org):
    """The session reminder to both members of a pair: one reads Spanish, with the date
    written the Spanish way, the other English, as before."""
    first = person(org, "fresh@acme.example.org")
    fresh = make_pair(org, first, published=MONDAY - days(3))
    session_make(fresh, at(MONDAY + days(1), 10, 0), location="Room 4", modality="in_person")
    fresh.me.language = "es"
    fresh.me.save(update_fields=["language"])

    _send_all(org)

    sessions = {m.to[0]: m for m in _by_kind(org)[Kind.SESSION]}
    es, en = sessions[fresh.me.email], sessions[fresh.partner.email]
    subject = "Coming up: your coaching session with %(partners)s"
    assert es.subject == spanish(subject, partners=fresh.partner.display_name)
    assert en.subject == english(subject, partners=fresh.me.display_name)
    # Django's own Spanish names of days and months, in the Spanish order.
    assert "martes, 9 de junio de 2026, 10:00–11:00 (Europe/Berlin)" in es.body
    assert "Tuesday 9 June 2026, 10:00–11:00 (Europe/Berlin)" in en.body
    assert '<html lang="es">' in es.alternatives[0].content
    # Its calendar file too: the ICS summary in Spanish.
    (calendar,) = [a for a in es.attachments if a[0].endswith(".ics")]
    assert spanish("%(program)s coaching session", program=fresh.program.name) in calendar[1]


def test_the_weekly_digest_reasons_in_each_coordinator_language(org, everything, coordinator):  # noqa: F811
    """The reasons are texts found once per language of the coordinators who get it."""
    coordinator.language = "es"
    coordinator.save(update_fields=["language"])
    second = _member(org, Membership.Role.COORDINATOR, "second@acme.example.org")

    _send_all(org)

    digests = {m.to[0]: m for m in _by_kind(org)[Kind.DIGEST]}
    es, en = digests[coordinator.email], digests[second.email]
    english_reason = "No session held for 50 days."
    assert english_reason in en.body and english_reason not in es.body
    with translation.override("es"):
        spanish_reason = ngettext(
            "No session held for %(days)s day.", "No session held for %(days)s days.", 50
        ) % {"days": 50}
    assert spanish_reason != english_reason and spanish_reason in es.body
    assert "lunes, 8 de junio de 2026" in es.body and "Monday 8 June 2026" in en.body
