"""Reminder emails carry a plain one-click unsubscribe header (RFC 2369 / RFC 8058)."""

import email.policy

import pytest
from django.utils import timezone
from django_scopes import scope

from peercoach.notifications.models import Delivery
from peercoach.notifications.services import delivery_message

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("policy", [email.policy.default, email.policy.SMTP])
def test_the_unsubscribe_header_stays_a_plain_url_whatever_its_length(org, participant, policy):
    with scope(organization=org):
        row = Delivery.objects.create(
            organization=org,
            recipient=participant,
            kind="agreement",
            period="a1:1",
            due_at=timezone.now(),
            context={"program_name": "Spring", "url": "https://example.org/x"},
        )
        message = delivery_message(delivery=row, recipient=participant, organization=org)
    raw = message.message(policy=policy).as_bytes()
    assert b"List-Unsubscribe: <http" in raw
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw
    assert len(message.extra_headers["List-Unsubscribe"]) > 78  # long enough to be folded
