"""Program event reminders, and the pieces every reminder rule shares.

A rule (`settings.REMINDER_RULES`) is `rule(*, organization, now) -> list[Due]`, run in the
organisation's scope by the dispatcher every few minutes. The rules in this project share
three habits, kept here:

- **Mornings only.** A reminder is yielded while it is the recipient's morning
  (08:00 to 12:00 in their zone, their own or the organisation's) on its due day or a
  later one, and `due_at` is 08:00 of that local day (`morning_of`: right across
  daylight-saving changes). Something that falls due in the afternoon or at night waits
  for the next morning, and a dispatcher that was down catches up the next morning
  instead of emailing people at midnight.
- **Checked when sent.** Because a reminder is recorded at the moment it goes out, the
  rule's checks (still unsigned, nothing scheduled, not paused...) are fresh: nothing is
  recorded days ahead and then sent although it no longer applies.
- **Recorded once.** `unrecorded` drops what the ledger already holds (one query), so a
  rule yielding the same reminder every five minutes of a morning costs no insert; the
  ledger's unique constraint stays the guarantee.
"""

import zoneinfo
from datetime import UTC, timedelta

from django.db.models import Exists, OuterRef
from django.urls import NoReverseMatch, reverse
from django.utils import formats
from django.utils.translation import gettext as _

from peercoach.notifications.dispatch import Due, morning_of
from peercoach.notifications.models import Delivery, Kind
from peercoach.tenancy.models import Membership
from peercoach.tenancy.zones import zone_name
from peercoach.web.urls import absolute_url

from .models import Application, Match, MatchMember, Program, ProgramEvent

# How long after 08:00 local a reminder may still be recorded for today.
MORNING_WINDOW = timedelta(hours=4)
# Events and sessions are reminded "the day before": at most this far ahead of the start.
DAY_BEFORE_HORIZON = timedelta(days=2, hours=2)
# Programs whose events are announced: applicants accepted, pairs running.
LIVE_PROGRAMS = (Program.Status.OPEN, Program.Status.MATCHING, Program.Status.RUNNING)


# --- Shared by every rule ----------------------------------------------------------------


def local_date(moment, zone):
    return moment.astimezone(zoneinfo.ZoneInfo(zone)).date()


def morning_due(day, zone, now):
    """`due_at` for a reminder due on `day` in `zone`, or None when it is not to be
    recorded now: 08:00 of the local today, provided today is `day` or later and `now`
    lies in today's morning window (08:00 to 12:00 local)."""
    today = local_date(now, zone)
    if today < day:
        return None
    at = morning_of(today, zone)
    if at <= now < at + MORNING_WINDOW:
        return at
    return None


def reachable(user):
    """Whether reminders may go to `user` (an account that is open and has an address)."""
    return user.is_active and user.deleted_at is None and bool(user.email)


def current_members(*, organization, **filters):
    """Current members of active pairs and circles (filtered further by `filters`), with
    their users and `in_organization` (still a member of the organisation). One query."""
    return (
        MatchMember.objects.filter(
            organization=organization,
            is_current=True,
            match__status=Match.Status.ACTIVE,
            **filters,
        )
        .select_related("user")
        .annotate(
            in_organization=Exists(
                Membership.objects.filter(organization=organization, user_id=OuterRef("user_id"))
            )
        )
        .order_by("match_id", "position", "id")
    )


def members_by_match(members):
    """{match_id: [MatchMember]} of the rows of `current_members`, in order."""
    found = {}
    for member in members:
        found.setdefault(member.match_id, []).append(member)
    return found


def recipients(members):
    """The members reminders may be sent to."""
    return [m for m in members if m.in_organization and reachable(m.user)]


def names_text(names):
    """ "Ana", "Ana and Ben", "Ana, Ben and Cy"."""
    names = [str(n) for n in names if n]
    if len(names) <= 1:
        return "".join(names)
    return _("%(first)s and %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}


def day_text(day):
    return formats.date_format(day, "l j F Y")


def when_text(starts_at, minutes, zone):
    """ "Tuesday 20 October 2026, 10:00–11:00 (Europe/Berlin)", in `zone`."""
    tz = zoneinfo.ZoneInfo(zone)
    start = starts_at.astimezone(tz)
    end = (starts_at + timedelta(minutes=minutes)).astimezone(tz)
    hours = f"{formats.time_format(start, 'H:i')}–{formats.time_format(end, 'H:i')}"
    return f"{day_text(start)}, {hours} ({zone})"


def link(name, **kwargs):
    return absolute_url(reverse(name, kwargs=kwargs))


def unrecorded(*, organization, kind, dues):
    """Those of `dues` (all of `kind`) that the ledger does not hold yet. One query."""
    if not dues:
        return []
    seen = set(
        Delivery.objects.filter(
            organization=organization, kind=kind, period__in={due.period for due in dues}
        ).values_list("recipient_id", "period")
    )
    return [due for due in dues if (due.recipient_id, due.period) not in seen]


# --- Program events ----------------------------------------------------------------------


def _event_ics_url(organization, event):
    # No calendar file for program events exists yet (see the report of issue 7): the
    # link appears in the email as soon as the URL `programs:event_ics` does.
    try:
        return link(
            "programs:event_ics",
            org_slug=organization.slug,
            pk=event.program_id,
            event_pk=event.pk,
        )
    except NoReverseMatch:
        return ""


def event_reminders(*, organization, now):
    """Program events (kick-off, group meetings, debrief), the day before in each
    recipient's zone: to the current members of the program's active pairs and circles
    and to its accepted applicants, while the program is open, matching or running.

    One reminder per person per event and start time (period "e<event>:<start, UTC>"): an
    event moved to another time is reminded again. Four queries, whatever the number of
    events and people.
    """
    events = list(
        ProgramEvent.objects.filter(
            organization=organization,
            starts_at__gt=now,
            starts_at__lte=now + DAY_BEFORE_HORIZON,
            program__status__in=LIVE_PROGRAMS,
        )
        .select_related("program")
        .order_by("starts_at", "id")
    )
    if not events:
        return []
    program_ids = {event.program_id for event in events}
    people = {}  # program_id -> {user_id: user}
    for member in current_members(organization=organization, program_id__in=program_ids):
        if member.in_organization and reachable(member.user):
            people.setdefault(member.program_id, {})[member.user_id] = member.user
    accepted = (
        Application.objects.filter(
            organization=organization,
            program_id__in=program_ids,
            status=Application.Status.ACCEPTED,
        )
        .select_related("user")
        .annotate(
            in_organization=Exists(
                Membership.objects.filter(organization=organization, user_id=OuterRef("user_id"))
            )
        )
    )
    for application in accepted:
        if application.in_organization and reachable(application.user):
            people.setdefault(application.program_id, {})[application.user_id] = application.user
    dues = []
    for event in events:
        program = event.program
        program_url = link("programs:detail", org_slug=organization.slug, pk=program.pk)
        ics_url = _event_ics_url(organization, event)
        period = f"e{event.pk}:{event.starts_at.astimezone(UTC):%Y%m%dT%H%MZ}"
        for user in people.get(event.program_id, {}).values():
            zone = zone_name(user, organization)
            due_at = morning_due(local_date(event.starts_at, zone) - timedelta(days=1), zone, now)
            if due_at is None:
                continue
            dues.append(
                Due(
                    recipient_id=user.pk,
                    kind=Kind.EVENT,
                    period=period,
                    due_at=due_at,
                    program_id=program.pk,
                    context={
                        "program_name": program.name,
                        "event_title": event.title,
                        "event_kind": str(event.get_kind_display()),
                        "when": when_text(event.starts_at, event.duration_minutes, zone),
                        "location": event.location,
                        "location_is_link": event.location_is_link,
                        "program_url": program_url,
                        "ics_url": ics_url,
                    },
                )
            )
    return unrecorded(organization=organization, kind=Kind.EVENT, dues=dues)
