"""Isolation rows: log (see __init__).

The participant's pair (`target.participant_pair`, reciprocal, partner gil@) holds a
held session in which each partner coached the other, and a scheduled one two hours
ago that nobody logged yet. Only the pair's members reach these pages: the stranger
and every other tenant get 404 (coordinators too; tests/sessions/test_log_privacy.py
tries them).
"""

from datetime import timedelta

from django.utils import timezone
from django_scopes import scope

from programs.models import Program
from sessions.models import Session
from sessions.services.log import session_log
from tests.test_isolation import PARTY_PAGE, Row

OWNER_POST = PARTY_PAGE._replace(owner=302)


def _pair(target):
    match = target.participant_pair
    match.organization = target.org
    match.program.organization = target.org
    return match


def _held(target):
    def make(t):
        match = _pair(t)
        with scope(organization=t.org):
            return session_log(
                match=match,
                user=t.actors["participant"],
                starts_at=timezone.now() - timedelta(days=1),
                duration_minutes=90,
                modality="zoom",
                halves=(45, 45),
                shared_notes="What we agreed",
            )

    return target.memo("log:held", make)


def _scheduled(target):
    def make(t):
        match = _pair(t)
        with scope(organization=t.org):
            return Session.objects.create(
                organization=t.org,
                program=match.program,
                match=match,
                status=Session.Status.SCHEDULED,
                starts_at=timezone.now() - timedelta(hours=2),
                time_zone="Europe/Berlin",
                duration_minutes=60,
            )

    return target.memo("log:scheduled", make)


def _upcoming_prepared(target):
    """A session tomorrow, in a program that uses preparation."""

    def make(t):
        match = _pair(t)
        with scope(organization=t.org):
            Program.objects.filter(pk=match.program_id).update(session_preparation=True)
            return Session.objects.create(
                organization=t.org,
                program=match.program,
                match=match,
                status=Session.Status.SCHEDULED,
                starts_at=timezone.now() + timedelta(days=1),
                time_zone="Europe/Berlin",
                duration_minutes=60,
            )

    return target.memo("log:upcoming", make)


def _session_kwargs(make):
    return lambda target: {"org_slug": target.org.slug, "pk": make(target).pk}


def _pair_kwargs(target):
    return {"org_slug": target.org.slug, "pk": _pair(target).pk}


def _log_data(target):
    """A valid reciprocal log: yesterday 10:00 local time, 45 minutes each way."""
    day = timezone.localdate(timezone.now(), target.org.tzinfo) - timedelta(days=1)
    return {
        "date": day.isoformat(),
        "start_time": "10:00",
        "duration_minutes": "90",
        "modality": "teams",
        "half_1_minutes": "45",
        "half_2_minutes": "45",
        "shared_notes": "Posted notes",
    }


ROWS = {
    "sessions:log": Row(
        checks={"GET": PARTY_PAGE, "POST": OWNER_POST},
        owner="participant",
        kwargs=_pair_kwargs,
        data=_log_data,
        owner_post_changes=True,
    ),
    "sessions:log_scheduled": Row(
        checks={"GET": PARTY_PAGE, "POST": OWNER_POST},
        owner="participant",
        kwargs=_session_kwargs(_scheduled),
        data=_log_data,
        owner_post_changes=True,
    ),
    "sessions:detail": Row(
        checks={"GET": PARTY_PAGE},
        owner="participant",
        kwargs=_session_kwargs(_held),
    ),
    "sessions:private_note": Row(
        checks={"POST": OWNER_POST},
        owner="participant",
        kwargs=_session_kwargs(_held),
        data=lambda target: {"body": "Only mine"},
        owner_post_changes=True,
    ),
    "sessions:feedback": Row(
        checks={"GET": PARTY_PAGE, "POST": OWNER_POST},
        owner="participant",
        kwargs=_session_kwargs(_held),
        data=lambda target: {"rating": "4", "comment": "Helpful questions"},
        owner_post_changes=True,
    ),
    "sessions:reflection": Row(
        checks={"GET": PARTY_PAGE, "POST": OWNER_POST},
        owner="participant",
        kwargs=_session_kwargs(_held),
        data=lambda target: {"body": "I talked too much"},
        owner_post_changes=True,
    ),
    "sessions:prepare": Row(
        checks={"GET": PARTY_PAGE, "POST": OWNER_POST},
        owner="participant",
        kwargs=_session_kwargs(_upcoming_prepared),
        data=lambda target: {"purpose": "Decide", "outcomes": "A plan", "process": "Ask"},
        owner_post_changes=True,
    ),
    "sessions:checklist": Row(
        checks={"GET": PARTY_PAGE, "POST": OWNER_POST},
        owner="participant",
        kwargs=_pair_kwargs,
        data=lambda target: {"items": ["confidentiality"]},
        owner_post_changes=True,
    ),
}
