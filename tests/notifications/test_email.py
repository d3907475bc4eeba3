import re

import pytest
from django.core import mail

from peercoach.notifications.services import email_render
from peercoach.notifications.tasks import send_templated_email

pytestmark = pytest.mark.django_db


def _context():
    from datetime import UTC, datetime

    return {
        "first_name": "Ana",
        "inviter": "Kim",
        "role": "Participant",
        "accept_url": "http://testserver/invite/abc/",
        "expires_at": datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
    }


def test_render_gives_one_line_subject_text_and_branded_html(org):
    org.brand_colour = "#123456"
    subject, text, html = email_render(template="invitation", context=_context(), organization=org)
    assert subject == "You are invited to Acme University on peercoach"
    assert "\n" not in subject
    assert "Hello Ana," in text and "http://testserver/invite/abc/" in text
    assert "Kim invites you to join Acme University as participant." in text
    assert "Kim invites you to join Acme University as participant." in html
    assert "#123456" in html and 'href="http://testserver/invite/abc/"' in html


@pytest.mark.parametrize(
    ("utc_hour", "shown"), [(0, "29 March 2026, 01:30 CET"), (1, "29 March 2026, 03:30 CEST")]
)
def test_dates_in_emails_use_the_organisations_time_zone(org, utc_hour, shown):
    # Berlin moves to summer time at 01:00 UTC on 29 March 2026.
    from datetime import UTC, datetime

    context = {**_context(), "expires_at": datetime(2026, 3, 29, utc_hour, 30, tzinfo=UTC)}
    _, text, _ = email_render(template="invitation", context=context, organization=org)
    assert shown in text


def test_task_runs_in_process_in_embedded_mode(org):
    context = {**_context(), "expires_at": "2026-03-29T01:30:00+00:00"}
    send_templated_email.delay(
        template="invitation", to=["ana@example.org"], context=context, organization_id=org.pk
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ana@example.org"]
    assert [mimetype for _, mimetype in message.alternatives] == ["text/html"]


def test_a_transactional_email_has_a_message_id_in_the_sites_domain(org, settings):
    settings.SITE_URL = "https://coach.example.org:8443"
    send_templated_email.delay(
        template="invitation", to=["ana@example.org"], context=_context(), organization_id=org.pk
    )
    send_templated_email.delay(
        template="invitation", to=["bo@example.org"], context=_context(), organization_id=org.pk
    )
    ids = [message.message()["Message-ID"] for message in mail.outbox]
    assert all(re.fullmatch(r"<[^@<>]+@coach\.example\.org>", value) for value in ids), ids
    assert ids[0] != ids[1]


def test_task_turns_iso_datetimes_back_into_dates(org):
    context = {**_context(), "expires_at": "2026-03-29T01:30:00+00:00"}
    send_templated_email.delay(
        template="invitation", to=["ana@example.org"], context=context, organization_id=org.pk
    )
    assert "The link works until 29 March 2026, 03:30 CEST." in mail.outbox[0].body
