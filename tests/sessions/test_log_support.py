"""Helpers for the log tests (no tests here): URLs, POST bodies, sessions made through the
services, and counting rows across every tenant."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from programs.models import Program
from sessions.models import Session
from sessions.services.log import Slot, session_log

BERLIN = ZoneInfo("Europe/Berlin")  # the test organisations' zone (OrganizationFactory)


def url(name, pk, org_slug="acme"):
    return reverse(f"sessions:{name}", kwargs={"org_slug": org_slug, "pk": pk})


def local_day(days_ago=2):
    return timezone.localdate(timezone.now(), BERLIN) - timedelta(days=days_ago)


def log_post(pair=None, **over):
    """A valid log POST for `pair` two days ago at 10:00 Berlin time, 90 minutes."""
    data = {
        "date": local_day().isoformat(),
        "start_time": "10:00",
        "duration_minutes": "90",
        "modality": "zoom",
        "location": "Room 4",
        "next_steps": "",
        "shared_notes": "",
        "private_note": "",
    }
    if pair is not None and pair.program.format == Program.Format.RECIPROCAL:
        data.update(half_1_minutes="45", half_2_minutes="45")
    if pair is not None and pair.program.format == Program.Format.CIRCLE:
        for person in pair.people:
            data.update(
                {f"attended_{person.pk}": "on", f"slot_{person.pk}": "20"},
            )
    data.update(over)
    return {key: value for key, value in data.items() if value is not None}


def held(pair, *, by=None, halves=(45, 45), slots=None, duration=90, days_ago=2, **fields):
    """A held session of `pair`, logged through the service by `by` (default: the
    participant)."""
    org = pair.program.organization
    with scope(organization=org):
        if pair.program.format == Program.Format.CIRCLE and slots is None:
            slots = [Slot(user_id=person.pk, minutes=20) for person in pair.people]
        return session_log(
            match=pair.match,
            user=by or pair.me,
            starts_at=timezone.now() - timedelta(days=days_ago),
            duration_minutes=duration,
            modality="zoom",
            halves=halves if pair.program.format == Program.Format.RECIPROCAL else None,
            slots=slots,
            **fields,
        )


def upcoming(pair, *, days=3, status=Session.Status.SCHEDULED, at=None):
    """A proposed or scheduled session of `pair`, `days` ahead."""
    org = pair.program.organization
    with scope(organization=org):
        return Session.objects.create(
            organization=org,
            program=pair.program,
            match=pair.match,
            status=status,
            starts_at=at or timezone.now() + timedelta(days=days),
            time_zone="Europe/Berlin",
            duration_minutes=60,
            proposed_by=pair.me,
        )


def rows(model, **filters):
    with scopes_disabled():
        return list(model.objects.filter(**filters))


def count(model, **filters):
    with scopes_disabled():
        return model.objects.filter(**filters).count()
