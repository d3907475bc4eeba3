"""Calendar files attached to reminders: the session of tomorrow, the program event of
tomorrow (settings.REMINDER_ATTACHMENTS). Built at sending time from the row's period, so
the file shows the session or event as it is then."""

import zoneinfo
from datetime import timedelta

from django.utils import timezone
from icalendar import Event

from programs.models import MatchMember, ProgramEvent

from .. import ics
from ..models import Session


def _object_id(period, prefix):
    """The id in a period like "s512:3" or "e7:20261025T0800Z", else None."""
    head = period.split(":", 1)[0]
    if not head.startswith(prefix) or not head[1:].isdecimal():
        return None
    return int(head[1:])


def session_calendar(*, delivery, organization):
    session_id = _object_id(delivery.period, "s")
    session = (
        Session.objects.filter(organization=organization, pk=session_id)
        .select_related("program")
        .first()
    )
    if session is None:
        return []
    members = [
        m.user
        for m in MatchMember.objects.filter(
            organization=organization, match_id=session.match_id, is_current=True
        ).select_related("user")
        if m.user.deleted_at is None
    ]
    text = ics.sessions_calendar(
        [session], organization=organization, attendees={session.match_id: members}
    )
    return [{"filename": "coaching-session.ics", "content": text, "mimetype": "text/calendar"}]


def event_calendar(*, delivery, organization):
    event_id = _object_id(delivery.period, "e")
    event = (
        ProgramEvent.objects.filter(organization=organization, pk=event_id)
        .select_related("program")
        .first()
    )
    if event is None:
        return []
    zone = zoneinfo.ZoneInfo(organization.time_zone)
    vevent = Event()
    vevent.add("uid", f"event-{event.pk}-{organization.pk}@peercoach")
    vevent.add("summary", f"{event.program.name}: {event.title}")
    vevent.add("dtstart", event.starts_at.astimezone(zone))
    vevent.add(
        "dtend", (event.starts_at + timedelta(minutes=event.duration_minutes)).astimezone(zone)
    )
    vevent.add("dtstamp", timezone.now())
    if event.location:
        vevent.add("location", event.location)
    if event.description:
        vevent.add("description", event.description)
    text = ics.calendar_text([vevent])
    return [{"filename": "program-event.ics", "content": text, "mimetype": "text/calendar"}]
