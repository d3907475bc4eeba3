"""A program's reminder log for its coordinators: the ledger's rows, newest first,
filtered by kind and status, never what an email said; coordinators of the organisation
only; a query count that does not grow with the rows."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from peercoach.notifications.models import Delivery, Kind
from tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db

SECRET = "We talked about my manager and my burnout"


@pytest.fixture
def program(org):
    with scope(organization=org):
        return ProgramFactory(organization=org, name="Acme Coaching Term")


def log_url(program, org_slug=None):
    return reverse(
        "workspace:reminder_log",
        kwargs={"org_slug": org_slug or program.organization.slug, "pk": program.pk},
    )


def delivery_make(program, recipient, **fields):
    organization = program.organization
    fields.setdefault("kind", Kind.MEETING)
    fields.setdefault("period", f"p{Delivery.objects.filter(organization=organization).count()}")
    fields.setdefault("due_at", datetime(2026, 3, 2, 7, 0, tzinfo=UTC))
    fields.setdefault("context", {"note": SECRET, "partner": "Someone Private"})
    return Delivery.objects.create(
        organization=organization, program=program, recipient=recipient, **fields
    )


def test_log_lists_the_program_rows_newest_first(client_for, org, coordinator, participant):
    with scope(organization=org):
        program = ProgramFactory(organization=org)
        other_program = ProgramFactory(organization=org)
        first = delivery_make(program, participant, period="2026-02")
        second = delivery_make(
            program,
            participant,
            kind=Kind.REPORT,
            period="2026-03",
            status=Delivery.Status.SENT,
            sent_at=datetime(2026, 3, 2, 7, 1, tzinfo=UTC),
            attempts=1,
        )
        delivery_make(other_program, participant, period="elsewhere")
        Delivery.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=1))

    response = client_for(coordinator).get(log_url(program))

    assert response.status_code == 200
    assert [row.pk for row in response.context["rows"]] == [second.pk, first.pk]
    page = response.content.decode()
    assert participant.display_name in page
    assert "Progress report" in page and "Meeting reminder" in page
    # Due at 08:00 in Berlin (the coordinator has no zone of their own), sent a minute later.
    assert "2 Mar 2026, 08:00" in page and "2 Mar 2026, 08:01" in page
    assert "elsewhere" not in page


def test_log_never_shows_what_the_email_said(client_for, org, coordinator, participant, program):
    with scope(organization=org):
        delivery_make(program, participant)
        delivery_make(
            program,
            participant,
            status=Delivery.Status.FAILED,
            attempts=5,
            last_error="550 mailbox unavailable",
        )

    response = client_for(coordinator).get(log_url(program))

    page = response.content.decode()
    assert SECRET not in page and "Someone Private" not in page
    for row in response.context["rows"]:
        assert "context" in row.get_deferred_fields(), "the log must not even load the context"


def test_failed_rows_are_visible_and_filtered(client_for, org, coordinator, participant, program):
    with scope(organization=org):
        delivery_make(program, participant, status=Delivery.Status.SENT)
        failed = delivery_make(
            program,
            participant,
            kind=Kind.SESSION,
            status=Delivery.Status.FAILED,
            attempts=5,
            last_error="550 5.1.1 mailbox unavailable",
        )
    client = client_for(coordinator)

    response = client.get(log_url(program), {"status": "failed"})

    assert [row.pk for row in response.context["rows"]] == [failed.pk]
    page = response.content.decode()
    assert "550 5.1.1 mailbox unavailable" in page
    assert 'data-testid="count-failed">1<' in page
    assert 'data-testid="count-all">2<' in page


def test_log_filters_by_kind_and_ignores_unknown_values(
    client_for, org, coordinator, participant, program
):
    with scope(organization=org):
        meeting = delivery_make(program, participant, kind=Kind.MEETING)
        event = delivery_make(program, participant, kind=Kind.EVENT)
    client = client_for(coordinator)

    by_kind = client.get(log_url(program), {"kind": "event"})
    assert [row.pk for row in by_kind.context["rows"]] == [event.pk]
    unknown = client.get(log_url(program), {"kind": "<script>", "status": "nope", "page": "x"})
    assert unknown.status_code == 200
    assert {row.pk for row in unknown.context["rows"]} == {meeting.pk, event.pk}


def test_log_is_for_coordinators(client_for, org, participant, program):
    assert client_for(participant).get(log_url(program)).status_code == 403


def test_another_tenants_coordinator_cannot_read_the_log(
    client_for, org, other_org, other_coordinator, participant, program
):
    with scope(organization=org):
        delivery_make(program, participant)
    client = client_for(other_coordinator)

    assert client.get(log_url(program)).status_code == 404
    # Their own tenant in the URL, our program's id: still 404.
    response = client.get(log_url(program, org_slug=other_org.slug))
    assert response.status_code == 404
    assert participant.display_name.encode() not in response.content


def test_log_query_count_does_not_grow(client_for, org, coordinator, participant, program):
    client = client_for(coordinator)

    def measure(n):
        with scope(organization=org):
            for _ in range(n - Delivery.objects.filter(organization=org).count()):
                delivery_make(program, participant)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(log_url(program))
        assert len(response.context["rows"]) == n
        return len(captured)

    client.get(log_url(program))  # warm-up: per-organisation caches filled once
    small = measure(1)
    large = measure(50)
    assert small == large, f"{small} queries for 1 row, {large} for 50"
    assert large <= 12
