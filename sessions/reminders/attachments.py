"""Calendar files attached to reminders: the session of tomorrow, the program event of
tomorrow (settings.REMINDER_ATTACHMENTS). Built at sending time from the row's period, so
the file shows the session or event as it is then."""

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
    vevent = ics.program_event(event, organization=organization)
    text = ics.calendar_text([vevent])
    return [{"filename": "program-event.ics", "content": text, "mimetype": "text/calendar"}]
