"""Isolation rows: schedule (proposing, answering, moving and cancelling sessions; calendar
files; the person's calendar page and private feed).

The pair's pages are for its members only. The calendar page is every member's own page
(the stranger sees theirs, with no feed: they are in no pair). The feed is global: the
secret token in its URL is the key, whoever holds it.
"""

from datetime import timedelta

from django.utils import timezone
from django_scopes import scope

from peercoach.tenancy.zones import zone_of
from sessions.models import CalendarFeed, Session
from tests.test_isolation import MEMBER_PAGE, PARTY_PAGE, Expect, Row, in_tenant


def pair_kwargs(target):
    return {"org_slug": target.org.slug, "pk": target.participant_pair.pk}


def _day(target, days):
    zone = zone_of(target.actors["participant"], target.org)
    return (timezone.localdate(timezone=zone) + timedelta(days=days)).isoformat()


def _proposal(target):
    """A session in the participant's pair, proposed by the partner: the participant
    answers it."""

    def make(t):
        match = t.participant_pair
        with scope(organization=t.org):
            partner = match.members.exclude(user=t.actors["participant"]).get().user
            return Session.objects.create(
                organization=t.org,
                program=match.program,
                match=match,
                starts_at=timezone.now() + timedelta(days=5),
                time_zone="UTC",
                duration_minutes=60,
                proposed_by=partner,
            )

    return target.memo("schedule:proposal", make)


def session_kwargs(target):
    return {"org_slug": target.org.slug, "pk": _proposal(target).pk}


def with_pair(target):
    """The tenant's kwargs, once the participant is in a pair (so they get a feed)."""
    target.participant_pair  # noqa: B018 (made on first use)
    return in_tenant(target)


def _feed(target):
    def make(t):
        t.participant_pair  # noqa: B018
        with scope(organization=t.org):
            return CalendarFeed.objects.create(organization=t.org, user=t.actors["participant"])

    return target.memo("schedule:feed", make)


def propose_data(target):
    return {
        "slot-TOTAL_FORMS": "6",
        "slot-INITIAL_FORMS": "0",
        "slot-MIN_NUM_FORMS": "0",
        "slot-MAX_NUM_FORMS": "6",
        "slot-0-date": _day(target, 7),
        "slot-0-time": "10:00",
        "slot-1-date": _day(target, 21),
        "slot-1-time": "10:00",
        "duration_minutes": "60",
        "modality": "zoom",
        "location": "https://zoom.example.org/j/1",
        "repeat_times": "1",
    }


def reschedule_data(target):
    return {
        "date": _day(target, 9),
        "time": "15:00",
        "duration_minutes": "60",
        "modality": "phone",
        "location": "",
        "note": "Moved",
    }


PARTY_ACTION = PARTY_PAGE._replace(owner=302)

ROWS = {
    "sessions:schedule": Row(
        checks={"GET": PARTY_PAGE, "POST": PARTY_ACTION},
        owner="participant",
        kwargs=pair_kwargs,
        data=propose_data,
        owner_post_changes=True,
    ),
    "sessions:respond": Row(
        checks={"POST": PARTY_ACTION},
        owner="participant",
        kwargs=session_kwargs,
        data=lambda target: {"action": "accept"},
        owner_post_changes=True,
    ),
    "sessions:reschedule": Row(
        checks={"GET": PARTY_PAGE, "POST": PARTY_ACTION},
        owner="participant",
        kwargs=session_kwargs,
        data=reschedule_data,
        owner_post_changes=True,
    ),
    "sessions:cancel": Row(
        checks={"POST": PARTY_ACTION},
        owner="participant",
        kwargs=session_kwargs,
        data=lambda target: {"note": "Something came up"},
        owner_post_changes=True,
    ),
    "sessions:ics": Row(checks={"GET": PARTY_PAGE}, owner="participant", kwargs=session_kwargs),
    # A program event's calendar file: for everyone who may see the program, as its page.
    "sessions:event_ics": Row(
        checks={"GET": MEMBER_PAGE},
        owner="coordinator",
        kwargs=lambda target: {
            "org_slug": target.org.slug,
            "pk": target.program.pk,
            "event_pk": target.event.pk,
        },
    ),
    # Every member's own page; the owner's first visit makes their feed.
    "sessions:calendar": Row(checks={"GET": MEMBER_PAGE}, owner="participant", kwargs=with_pair),
    # The stranger is in no pair: told so, nothing made.
    "sessions:calendar_reset": Row(
        checks={"POST": MEMBER_PAGE._replace(stranger=302, owner=302)},
        owner="participant",
        kwargs=with_pair,
        owner_post_changes=True,
    ),
    "sessions:feed": Row(
        checks={
            "GET": Expect(
                anonymous=200, other_coordinator=200, other_participant=200, stranger=200, owner=200
            )
        },
        owner="participant",
        kwargs=lambda target: {"token": _feed(target).token},
        rationale=(
            "Calendar apps fetch the feed without signing in: the secret token in the URL "
            "is the only key (replaceable by its owner); the feed names its organisation "
            "itself, and an unknown token is 404."
        ),
    ),
}
