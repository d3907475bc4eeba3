"""Scheduling sessions ahead: propose (several at once), accept, suggest another time,
reschedule and cancel; each change emails the other members a calendar file.

The rules, in one place:
- Only current members of an active pair or circle change its schedule.
- A proposal is answered by someone other than its proposer. In a circle one acceptance
  is enough: the circle agreed its times together, and waiting for every member would
  leave a session tentative whenever one person is slow to click (they can still
  suggest another time, reschedule or cancel).
- "Suggest another time" declines the proposal and proposes the new time in its place
  (`replaces`), by the person who suggested it: the others answer that one.
- Rescheduling (any member) turns the session back into a proposal by the person who
  moved it; its calendar UID stays and SEQUENCE grows, so calendars update the event.
- Held, cancelled and replaced sessions do not change. A new time must not have ended,
  nor start more than two years ahead (MAX_AHEAD).

Times arrive as aware datetimes built from the person's local date and time; each session
keeps the zone it was proposed in (`time_zone`), which its calendar files name.
"""

import zoneinfo
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from peercoach.notifications.services import message_queue
from peercoach.tenancy.languages import language_of
from peercoach.tenancy.zones import zone_of
from programs.models import Match, MatchMember

from .. import ics
from ..models import CalendarFeed, Session
from ..models.sessions import Modality, new_feed_token
from ..selectors.schedule import pair_url

# How many sessions one proposal may hold (e.g. six dates, or a date repeated).
MAX_PER_BATCH = 12
MAX_NOTE = 2000
# How far ahead a session may be planned: beyond any program's term, and far enough from
# the calendar's last year that its files can still be written.
MAX_AHEAD = timedelta(days=2 * 366)


class ScheduleError(Exception):
    """A change that cannot happen now, with a message for the person who tried."""


# --- Checks ----------------------------------------------------------------------------


def _current_members(match):
    """The pair's current members (with users); ScheduleError unless the pair is active."""
    status = (
        Match.objects.filter(organization=match.organization, pk=match.pk)
        .values_list("status", flat=True)
        .first()
    )
    if status != Match.Status.ACTIVE:
        raise ScheduleError(_("This pair or circle has ended: its schedule cannot change."))
    return list(
        MatchMember.objects.filter(organization=match.organization, match=match, is_current=True)
        .select_related("user")
        .order_by("position", "id")
    )


def _require_member(members, user):
    if not any(member.user_id == user.pk for member in members):
        raise ScheduleError(_("Only the members of this pair or circle change its schedule."))


def _locked(session):
    """The session's row, re-read and locked until the transaction ends."""
    locked = (
        Session.objects.select_for_update(of=("self",))
        .select_related("program", "match")
        .get(organization=session.organization, pk=session.pk)
    )
    organization = session.organization
    locked.organization = locked.program.organization = locked.match.organization = organization
    locked.match.program = locked.program
    return locked


def _require_open(session):
    if session.status == Session.Status.HELD:
        raise ScheduleError(_("This session was held and logged: it cannot change any more."))
    if session.status == Session.Status.CANCELLED:
        raise ScheduleError(_("This session was cancelled. Propose a new one instead."))
    if session.status == Session.Status.DECLINED:
        raise ScheduleError(
            _("Another time was suggested for this session; answer that proposal instead.")
        )


def _zone_name(name):
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            _("“%(zone)s” is not a known time zone."), params={"zone": name}
        ) from exc
    return name


def _check_details(*, duration_minutes, modality, location, note):
    errors = {}
    if not isinstance(duration_minutes, int) or not 5 <= duration_minutes <= 600:
        errors["duration_minutes"] = _("A session lasts from 5 to 600 minutes.")
    if modality not in Modality.values:
        errors["modality"] = _("Choose how you meet from the list.")
    if len(location) > 500:
        errors["location"] = _("Keep the place or link under 500 characters.")
    if len(note) > MAX_NOTE:
        errors["note"] = _("Keep the note under %(max)s characters.") % {"max": MAX_NOTE}
    if errors:
        raise ValidationError(errors)


def _check_time(starts_at, duration_minutes, zone, now, field="date"):
    if starts_at > now + MAX_AHEAD:
        raise ValidationError({field: _("Choose a date within the next two years.")})
    if starts_at + timedelta(minutes=duration_minutes) <= now:
        raise ValidationError(
            {
                field: _("%(when)s has already passed. Choose a time still to come.")
                % {"when": when_text(starts_at, duration_minutes, zone)}
            }
        )


def _clean(text):
    return (text or "").replace("\x00", "").strip()


# --- Propose ---------------------------------------------------------------------------


def session_propose(
    *,
    match,
    by,
    starts,
    duration_minutes,
    modality,
    time_zone,
    location="",
    note="",
    now=None,
):
    """Propose a session at each of `starts` (aware datetimes), all or none.

    Guarantees: every session is PROPOSED by `by`, in `time_zone`, with the same length,
    modality, place and note; at most MAX_PER_BATCH; no two start at the same moment;
    none has ended by `now` and none starts more than MAX_AHEAD after it. After commit
    the other members get one email with one calendar file holding every session.
    Returns the sessions, soonest first.
    Raises ValidationError for bad input, ScheduleError when the pair has ended or `by`
    is not a current member.
    """
    now = now or timezone.now()
    location, note = _clean(location), _clean(note)
    _check_details(
        duration_minutes=duration_minutes, modality=modality, location=location, note=note
    )
    zone = zoneinfo.ZoneInfo(_zone_name(time_zone))
    starts = sorted(starts)
    if not starts:
        raise ValidationError(_("Give at least one date and time."))
    if len(starts) > MAX_PER_BATCH:
        raise ValidationError(
            _("Propose at most %(max)s sessions at once.") % {"max": MAX_PER_BATCH}
        )
    if len(set(starts)) != len(starts):
        raise ValidationError(_("Two of the sessions start at the same time."))
    for starts_at in starts:
        _check_time(starts_at, duration_minutes, zone, now)
    with transaction.atomic():
        members = _current_members(match)
        _require_member(members, by)
        sessions = [
            Session.objects.create(
                organization=match.organization,
                program=match.program,
                match=match,
                status=Session.Status.PROPOSED,
                starts_at=starts_at,
                time_zone=time_zone,
                duration_minutes=duration_minutes,
                modality=modality,
                location=location,
                proposed_by=by,
                note=note,
            )
            for starts_at in starts
        ]
        _email_others(
            match=match,
            members=members,
            by=by,
            template="session_proposed",
            sessions=sessions,
            note=note,
        )
    return sessions


# --- Answer a proposal -----------------------------------------------------------------


def session_accept(*, session, by, now=None):
    """Accept a proposal: the session becomes SCHEDULED, answered by `by`.

    Guarantees: only a current member other than the proposer accepts (in a circle one
    acceptance is enough); only a proposal that has not ended; SEQUENCE grows so calendars
    replace the tentative event. The other members are emailed the confirmed event.
    Raises ScheduleError otherwise (nothing changes).
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(session)
        members = _current_members(locked.match)
        _require_member(members, by)
        if locked.status == Session.Status.SCHEDULED:
            raise ScheduleError(_("This session is already scheduled."))
        _require_open(locked)
        if locked.proposed_by_id == by.pk:
            raise ScheduleError(
                _("You proposed this time: the others in your pair or circle accept it.")
            )
        if locked.ends_at <= now:
            raise ScheduleError(_("This time has already passed. Suggest another one."))
        locked.status = Session.Status.SCHEDULED
        locked.responded_by = by
        locked.sequence += 1
        locked.save(update_fields=["status", "responded_by", "sequence", "updated_at"])
        _email_others(
            match=locked.match,
            members=members,
            by=by,
            template="session_scheduled",
            sessions=[locked],
        )
    return locked


def session_suggest(*, session, by, starts_at, time_zone, note="", duration_minutes=None, now=None):
    """Answer a proposal with another time.

    Guarantees: the proposal becomes DECLINED (answered by `by`, SEQUENCE grows) and a new
    PROPOSED session by `by` replaces it (`replaces`), with the same modality and place,
    `note` and `time_zone`. Only a current member other than the proposer answers (the
    proposer reschedules instead). The others are emailed the new proposal and the
    withdrawal of the old one. Returns the new session.
    Raises ValidationError (time passed, bad note) or ScheduleError (nothing changes).
    """
    now = now or timezone.now()
    note = _clean(note)
    zone = zoneinfo.ZoneInfo(_zone_name(time_zone))
    with transaction.atomic():
        locked = _locked(session)
        members = _current_members(locked.match)
        _require_member(members, by)
        if locked.status == Session.Status.SCHEDULED:
            raise ScheduleError(_("This session is already scheduled. Reschedule it to move it."))
        _require_open(locked)
        if locked.proposed_by_id == by.pk:
            raise ScheduleError(_("You proposed this time: reschedule it to change it."))
        duration = duration_minutes or locked.duration_minutes
        _check_details(
            duration_minutes=duration, modality=locked.modality, location=locked.location, note=note
        )
        _check_time(starts_at, duration, zone, now)
        old_start = locked.starts_at
        locked.status = Session.Status.DECLINED
        locked.responded_by = by
        locked.sequence += 1
        locked.save(update_fields=["status", "responded_by", "sequence", "updated_at"])
        new = Session.objects.create(
            organization=locked.organization,
            program=locked.program,
            match=locked.match,
            status=Session.Status.PROPOSED,
            starts_at=starts_at,
            time_zone=time_zone,
            duration_minutes=duration,
            modality=locked.modality,
            location=locked.location,
            proposed_by=by,
            note=note,
            replaces=locked,
        )
        _email_others(
            match=locked.match,
            members=members,
            by=by,
            template="session_proposed",
            sessions=[new],
            note=note,
            withdrawn=[locked],
            previous=(old_start, locked.duration_minutes),
        )
    return new


# --- Change a session ------------------------------------------------------------------


def session_reschedule(
    *,
    session,
    by,
    starts_at,
    time_zone,
    note="",
    duration_minutes=None,
    modality=None,
    location=None,
    now=None,
):
    """Move a proposed or scheduled session (any current member).

    Guarantees: the session is PROPOSED again, by `by`, in `time_zone`, with the new
    time (and length, modality, place when given) and `note`; its UID stays and SEQUENCE
    grows. Something must change, and the new time must not have ended. The others are
    emailed the updated event. Raises ValidationError or ScheduleError (nothing changes).
    """
    now = now or timezone.now()
    note = _clean(note)
    zone = zoneinfo.ZoneInfo(_zone_name(time_zone))
    with transaction.atomic():
        locked = _locked(session)
        members = _current_members(locked.match)
        _require_member(members, by)
        _require_open(locked)
        duration = duration_minutes or locked.duration_minutes
        modality = modality or locked.modality
        location = locked.location if location is None else _clean(location)
        _check_details(duration_minutes=duration, modality=modality, location=location, note=note)
        _check_time(starts_at, duration, zone, now)
        if (starts_at, duration, modality, location) == (
            locked.starts_at,
            locked.duration_minutes,
            locked.modality,
            locked.location,
        ):
            raise ValidationError(_("Nothing changed: choose another time, length or place."))
        previous = (locked.starts_at, locked.duration_minutes)
        locked.starts_at = starts_at
        locked.time_zone = time_zone
        locked.duration_minutes = duration
        locked.modality = modality
        locked.location = location
        locked.status = Session.Status.PROPOSED
        locked.proposed_by = by
        locked.responded_by = None
        locked.note = note
        locked.sequence += 1
        locked.save()
        _email_others(
            match=locked.match,
            members=members,
            by=by,
            template="session_changed",
            sessions=[locked],
            note=note,
            previous=previous,
        )
    return locked


def session_cancel(*, session, by, note=""):
    """Cancel a proposed or scheduled session (any current member).

    Guarantees: the session becomes CANCELLED, answered by `by` with `note`; SEQUENCE
    grows. The others are emailed a calendar cancellation (METHOD:CANCEL). Held,
    cancelled and replaced sessions raise ScheduleError (nothing changes).
    """
    note = _clean(note)
    if len(note) > MAX_NOTE:
        raise ValidationError(
            {"note": _("Keep the note under %(max)s characters.") % {"max": MAX_NOTE}}
        )
    with transaction.atomic():
        locked = _locked(session)
        members = _current_members(locked.match)
        _require_member(members, by)
        _require_open(locked)
        locked.status = Session.Status.CANCELLED
        locked.responded_by = by
        locked.note = note
        locked.sequence += 1
        locked.save(update_fields=["status", "responded_by", "note", "sequence", "updated_at"])
        _email_others(
            match=locked.match,
            members=members,
            by=by,
            template="session_cancelled",
            sessions=[locked],
            note=note,
        )
    return locked


def sessions_on_match_end(*, match, ended_by=None):
    """Cancel the sessions still to come of a pair or circle that has just ended.

    Runs inside `programs.services.proposals.match_end`'s transaction, after the members
    stopped being current. Every proposed or scheduled session that has not started is
    CANCELLED (SEQUENCE grows) with a note, and each former member but `ended_by` gets
    one calendar cancellation after commit, so the events leave their calendars too.
    Idempotent: a second call finds nothing left to cancel.
    """
    now = timezone.now()
    upcoming = list(
        Session.objects.select_for_update(of=("self",))
        .filter(
            organization=match.organization,
            match=match,
            status__in=Session.UPCOMING,
            starts_at__gt=now,
        )
        .order_by("starts_at", "id")
    )
    if not upcoming:
        return []
    note = _("The pair or circle has ended.")
    for session in upcoming:
        session.status = Session.Status.CANCELLED
        session.responded_by = ended_by
        session.note = note
        session.sequence += 1
        session.organization = match.organization
    Session.objects.bulk_update(upcoming, ["status", "responded_by", "note", "sequence"])
    members = list(
        MatchMember.objects.filter(organization=match.organization, match=match)
        .select_related("user")
        .order_by("position", "id")
    )
    _email_others(
        match=match,
        members=members,
        by=ended_by,
        template="sessions_cancelled_ended",
        sessions=upcoming,
        note=note,
    )
    return upcoming


# --- The private calendar feed --------------------------------------------------------


def calendar_feed_ensure(*, organization, user):
    """The person's feed in `organization`, made on first use.

    Safe when two requests make it at once: the (organization, user) constraint keeps one
    row and `get_or_create` returns that row to both.
    """
    feed, _created = CalendarFeed.objects.get_or_create(organization=organization, user=user)
    return feed


def calendar_feed_reset(*, organization, user):
    """Give the person's feed a new secret token: the old URL stops working at once.
    Returns the feed (made if there was none)."""
    with transaction.atomic():
        feed = calendar_feed_ensure(organization=organization, user=user)
        feed.token = new_feed_token()
        feed.save(update_fields=["token"])
    return feed


# --- Emails ----------------------------------------------------------------------------


def when_text(starts_at, duration_minutes, zone):
    """ "Tuesday 20 October 2026, 10:00–11:00 (Europe/Berlin)" in `zone`."""
    start = starts_at.astimezone(zone)
    end = (starts_at + timedelta(minutes=duration_minutes)).astimezone(zone)
    day = formats.date_format(start, "WEEKDAY_DATE_FORMAT")
    hours = f"{formats.time_format(start, 'H:i')}–{formats.time_format(end, 'H:i')}"
    if end.date() != start.date():
        hours = (
            f"{formats.time_format(start, 'H:i')}–{formats.date_format(end, 'DAY_MONTH_FORMAT')} "
            + (formats.time_format(end, "H:i"))
        )
    return f"{day}, {hours} ({zone.key if hasattr(zone, 'key') else zone})"


def _session_lines(sessions, zone):
    return [
        {
            "when": when_text(s.starts_at, s.duration_minutes, zone),
            "minutes": s.duration_minutes,
            "how": ics.where(s),
        }
        for s in sessions
    ]


def _email_others(*, match, members, by, template, sessions, note="", withdrawn=(), previous=None):
    """Email every current member but `by` (deleted accounts and empty addresses left
    out) once, after commit, with the calendar file(s) for `sessions`."""
    organization = match.organization
    program = match.program
    for session in (*sessions, *withdrawn):
        session.program = program
    attendees = {match.pk: [m.user for m in members if m.user.deleted_at is None]}
    url = pair_url(organization, match.pk)
    cancelling = template in {"session_cancelled", "sessions_cancelled_ended"}
    calendars = {}  # the calendar files in each recipient's language, made once per language

    def attachments_in(language):
        if language in calendars:
            return calendars[language]
        with translation.override(language):
            made = [
                {
                    "filename": "coaching-session.ics"
                    if len(sessions) == 1
                    else "coaching-sessions.ics",
                    "content": ics.sessions_calendar(
                        sessions,
                        organization=organization,
                        attendees=attendees,
                        method=ics.CANCEL if cancelling else ics.REQUEST,
                        urls={match.pk: url},
                    ),
                    "mimetype": "text/calendar",
                }
            ]
            if withdrawn:
                made.append(
                    {
                        "filename": "withdrawn-session.ics",
                        "content": ics.sessions_calendar(
                            withdrawn,
                            organization=organization,
                            attendees=attendees,
                            method=ics.CANCEL,
                            urls={match.pk: url},
                        ),
                        "mimetype": "text/calendar",
                    }
                )
        calendars[language] = made
        return made

    for member in members:
        user = member.user
        if by is not None and user.pk == by.pk:
            continue
        if user.deleted_at is not None or not user.email or not user.is_active:
            continue
        zone = zone_of(user, organization)
        # What is written into the context now (dates, counts) is in the recipient's
        # language, as the message will be.
        language = language_of(user, organization)
        with translation.override(language):
            message_queue(
                template=template,
                to=[user],
                organization=organization,
                attachments=attachments_in(language),
                context={
                    "first_name": user.first_name,
                    "actor_name": by.display_name if by is not None else _("The program team"),
                    "program_name": program.name,
                    "pair_url": url,
                    "sessions": _session_lines(sessions, zone),
                    "count": len(sessions),
                    "count_text": ngettext("%(n)s session", "%(n)s sessions", len(sessions))
                    % {"n": len(sessions)},
                    "note": note,
                    "previous": when_text(previous[0], previous[1], zone) if previous else "",
                    "suggested": bool(withdrawn),
                    "is_circle": program.format == program.Format.CIRCLE,
                },
            )
