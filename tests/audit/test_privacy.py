"""What participants write never reaches the audit log: not an opt-out notice (shared or
not), not a concern or a handler's note on it, not a private note or self-reflection."""

from datetime import timedelta

import pytest
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from peercoach.audit.models import AuditEvent
from peercoach.tenancy.models import Membership
from sessions.models import OptOut, PrivateNote, Reflection, Session
from sessions.services import concerns, endings
from tests.conftest import _member
from tests.sessions.conftest import pair_make

from .conftest import export_url, log_url

pytestmark = pytest.mark.django_db

SENTINELS = {
    "notice": "SENTINEL-OPT-OUT-NOTICE",
    "shared_notice": "SENTINEL-SHARED-NOTICE",
    "concern": "SENTINEL-CONCERN-BODY",
    "concern_note": "SENTINEL-HANDLER-NOTE",
    "private_note": "SENTINEL-PRIVATE-NOTE",
    "reflection": "SENTINEL-REFLECTION",
}


def test_no_private_text_in_rows_page_or_csv(org, coordinator, participant, stranger, client_for):
    handler = _member(org, Membership.Role.COORDINATOR, "handler@acme.example.org", mfa=True)
    with scope(organization=org):
        Membership.objects.filter(user=handler).update(handles_concerns=True)
    pair = pair_make(org, participant)
    shared_pair = pair_make(org, stranger)
    with scope(organization=org):
        session = Session.objects.create(
            organization=org,
            program=pair.program,
            match=pair.match,
            status=Session.Status.HELD,
            starts_at=timezone.now() - timedelta(days=2),
            time_zone="UTC",
            duration_minutes=60,
        )
        PrivateNote.objects.create(
            organization=org, session=session, author=participant, body=SENTINELS["private_note"]
        )
        Reflection.objects.create(
            organization=org, session=session, author=participant, body=SENTINELS["reflection"]
        )
        endings.opt_out_give(
            match=pair.match,
            user=participant,
            reason=OptOut.Reason.MISMATCH,
            notice=SENTINELS["notice"],
        )
        endings.opt_out_give(
            match=shared_pair.match,
            user=stranger,
            reason=OptOut.Reason.NO_TIME,
            notice=SENTINELS["shared_notice"],
            notice_shared=True,
        )
        concern = concerns.concern_raise(
            organization=org, author=participant, category="other", body=SENTINELS["concern"]
        )
    client = client_for(handler)
    detail = reverse("sessions:concern_detail", kwargs={"org_slug": org.slug, "pk": concern.pk})
    close = reverse("sessions:concern_close", kwargs={"org_slug": org.slug, "pk": concern.pk})
    assert client.get(detail).status_code == 200
    client.post(close, {"action": "close", "note": SENTINELS["concern_note"]})
    client.post(close, {"action": "note", "note": SENTINELS["concern_note"]})

    with scope(organization=org):
        rows = list(AuditEvent.objects.filter(organization=org).values())
        assert len(rows) >= 5  # two opt-outs, a reading, a closing, a note
        for sentinel in SENTINELS.values():
            assert not AuditEvent.objects.filter(
                Q(summary__contains=sentinel)
                | Q(actor_name__contains=sentinel)
                | Q(target_type__contains=sentinel)
            ).exists()
    flat = repr(rows)
    for name, sentinel in SENTINELS.items():
        assert sentinel not in flat, name

    for viewer in (coordinator, handler):
        page = client_for(viewer).get(log_url(org)).content.decode()
        exported = client_for(viewer).get(export_url(org)).content.decode("utf-8-sig")
        for name, sentinel in SENTINELS.items():
            assert sentinel not in page, name
            assert sentinel not in exported, name
    # Rows about concerns reach only those who handle them, and even there the
    # concern's author stays unnamed.
    page = client_for(handler).get(log_url(org, action="concern_read")).content.decode()
    assert "Concern" in page and participant.display_name not in page
    page = client_for(coordinator).get(log_url(org)).content.decode()
    assert "Concern" not in page
