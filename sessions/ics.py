"""Calendar files (iCalendar, RFC 5545) for sessions and program events: emailed
invitations, one-session and one-event downloads and each person's private feed.

Every event names the zone the session was proposed in (`DTSTART;TZID=Europe/Berlin`)
and the file carries the matching VTIMEZONE, so a session stays at 10:00 local time on
both sides of a daylight-saving change, whatever zone the reader's calendar uses.

What a file says is what the pair's members may read anyway and nothing more: the
program's name, when, how and where, who is invited, and a link to the pair's page. No
notes: calendars are synced to phones and shared with assistants.

icalendar is imported inside the functions that build files: the pages that import this
module (through the URL conf, every web worker) do not pay for it at start-up.
"""

import zoneinfo
from datetime import UTC, date, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Session
from .models.sessions import Modality

PRODID = "-//peercoach//coaching sessions//EN"

# iTIP methods: an emailed invitation or update, an emailed cancellation, and a file
# that only publishes (downloads and feeds: the calendar shows it, nobody answers it).
REQUEST = "REQUEST"
CANCEL = "CANCEL"
PUBLISH = "PUBLISH"

STATUS = {
    Session.Status.PROPOSED: "TENTATIVE",
    Session.Status.SCHEDULED: "CONFIRMED",
    Session.Status.HELD: "CONFIRMED",
    Session.Status.CANCELLED: "CANCELLED",
    Session.Status.DECLINED: "CANCELLED",
}

CONTENT_TYPE = "text/calendar; charset=utf-8"


def zone_for(session):
    """The session's zone; UTC when the stored name is not a zone this system knows."""
    try:
        return zoneinfo.ZoneInfo(session.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return UTC


def where(session):
    """The LOCATION text: the place or link, with the modality when it adds something."""
    label = str(Modality(session.modality).label) if session.modality in Modality else ""
    location = session.location.strip()
    if not location:
        return label
    if session.modality in (Modality.OTHER, Modality.IN_PERSON) or not label:
        return location
    return f"{label}: {location}"


def _address(user, **params):
    from icalendar import vCalAddress, vText

    address = vCalAddress(f"mailto:{user.email}")
    address.params["CN"] = vText(user.display_name)
    for key, value in params.items():
        address.params[key] = value
    return address


def _organizer(organization):
    from icalendar import vCalAddress, vText

    # peercoach itself organises: answers happen on the pair's page, not by calendar reply.
    address = vCalAddress(f"mailto:{parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}")
    address.params["CN"] = vText(organization.name)
    return address


def session_event(session, *, organization, attendees, url="", status=None):
    """One VEVENT for `session` (with its `program` loaded).

    `attendees`: the pair's members (users); deleted accounts are left out. `status`
    overrides the session's own (e.g. CANCELLED in a feed once the pair has ended).
    """
    from icalendar import Event

    zone = zone_for(session)
    status = status or STATUS[session.status]
    event = Event()
    event.add("uid", str(session.uid))
    event.add("sequence", session.sequence)
    event.add("dtstamp", session.updated_at or timezone.now())
    if session.created_at:
        event.add("created", session.created_at)
    if session.updated_at:
        event.add("last-modified", session.updated_at)
    event.add("dtstart", session.starts_at.astimezone(zone))
    event.add("dtend", session.ends_at.astimezone(zone))
    event.add(
        "summary",
        _("%(program)s coaching session") % {"program": session.program.name},
    )
    location = where(session)
    if location:
        event.add("location", location)
    description = _("A peer coaching session in %(program)s.") % {"program": session.program.name}
    if url:
        description += "\n" + _("See it, answer or change it in peercoach: %(url)s") % {"url": url}
        event.add("url", url)
    event.add("description", description)
    event.add("status", status)
    event.add("transp", "TRANSPARENT" if status == "CANCELLED" else "OPAQUE")
    event.add("organizer", _organizer(organization))
    for user in attendees:
        if user.deleted_at is not None or not user.email:
            continue
        if status == "CANCELLED":
            partstat = "DECLINED" if user.pk == session.responded_by_id else "NEEDS-ACTION"
        elif status == "CONFIRMED" or user.pk == session.proposed_by_id:
            partstat = "ACCEPTED"
        else:
            partstat = "NEEDS-ACTION"
        event.add(
            "attendee",
            _address(user, ROLE="REQ-PARTICIPANT", PARTSTAT=partstat, RSVP="FALSE"),
        )
    return event


def calendar_text(events, *, method=PUBLISH, name=""):
    """A VCALENDAR holding `events` (VEVENTs) and the VTIMEZONEs they name, as text."""
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    starts = []
    for event in events:
        calendar.add_component(event)
        starts.append(event.decoded("dtstart").date())
    if starts:
        # Whole years around the events: the zone's changes that matter, and no more.
        calendar.add_missing_timezones(
            first_date=date(min(starts).year, 1, 1),
            last_date=date(max(starts).year + 1, 1, 1) + timedelta(days=1),
        )
    return calendar.to_ical().decode()


def program_event(event, *, organization, url=""):
    """One VEVENT for a program event (kick-off, group meeting, debrief; its `program`
    loaded), in the organisation's zone. Its title, time, place and description are the
    program team's, written for every participant: nothing private."""
    from icalendar import Event

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
    description = event.description or ""
    if url:
        description = f"{description}\n{url}".strip()
        vevent.add("url", url)
    if description:
        vevent.add("description", description)
    vevent.add("status", "CONFIRMED")
    return vevent


def sessions_calendar(
    sessions,
    *,
    organization,
    attendees,
    method=PUBLISH,
    urls=None,
    statuses=None,
    name="",
    events=(),
):
    """A calendar file for `sessions`, and the program `events` (VEVENTs) when given.

    `attendees`: {match_id: [users]}; `urls`: {match_id: link to the pair's page};
    `statuses`: {session_id: iCalendar STATUS} overriding a session's own.
    """
    urls = urls or {}
    statuses = statuses or {}
    vevents = [
        session_event(
            session,
            organization=organization,
            attendees=attendees.get(session.match_id, ()),
            url=urls.get(session.match_id, ""),
            status=statuses.get(session.pk),
        )
        for session in sessions
    ]
    return calendar_text([*vevents, *events], method=method, name=name)
