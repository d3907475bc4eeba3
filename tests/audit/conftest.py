"""Helpers for the audit log's tests: reading the log, planting events."""

from datetime import datetime

import pytest
from django.urls import reverse
from django_scopes import scope

from peercoach.audit.models import AuditEvent
from peercoach.audit.services import audit_record


def events(org, **filters):
    """The organisation's audit rows, oldest first."""
    with scope(organization=org):
        return list(AuditEvent.objects.filter(organization=org, **filters).order_by("id"))


def only_event(org, **filters):
    found = events(org, **filters)
    assert len(found) == 1, (
        f"expected one audit row, found {[(e.action, e.summary) for e in found]}"
    )
    return found[0]


def log_url(org, **query):
    from urllib.parse import urlencode

    base = reverse("workspace:audit_log", kwargs={"org_slug": org.slug})
    return f"{base}?{urlencode(query)}" if query else base


def export_url(org, **query):
    from urllib.parse import urlencode

    base = reverse("workspace:audit_export", kwargs={"org_slug": org.slug})
    return f"{base}?{urlencode(query)}" if query else base


def plant(org, action, *, at=None, actor=None, program=None, target=None, summary="", ip=None):
    """An audit row as the hooks write it, optionally back-dated to `at` (aware)."""
    with scope(organization=org):
        event = audit_record(
            organization=org,
            action=action,
            actor=actor,
            program=program,
            target=target,
            summary=summary,
            ip=ip,
        )
        if at is not None:
            AuditEvent.objects.filter(pk=event.pk).update(created_at=at)
            event.created_at = at
    return event


@pytest.fixture
def named_coordinator(coordinator):
    coordinator.first_name, coordinator.last_name = "Cora", "Ortiz"
    coordinator.save()
    return coordinator


def aware(zone, *args):
    return datetime(*args, tzinfo=zone)
