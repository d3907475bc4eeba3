"""Program event reminders (`settings.REMINDER_RULES`).

See `peercoach.notifications.rules` for what every rule shares (mornings only, checked
when sent, recorded once).
"""

from datetime import UTC, timedelta

from django.db.models import Exists, OuterRef
from django.urls import NoReverseMatch

from peercoach.notifications.dispatch import Due
from peercoach.notifications.models import Kind
from peercoach.notifications.rules import (
    DAY_BEFORE_HORIZON,
    link,
    local_date,
    morning_due,
    reachable,
    unrecorded,
    when_text,
)
from peercoach.tenancy.languages import override_for
from peercoach.tenancy.models import Membership
from peercoach.tenancy.zones import zone_name

from .models import Application, Program, ProgramEvent
from .selectors.members import current_members

# Programs whose events are announced: applicants accepted, pairs running.
LIVE_PROGRAMS = (Program.Status.OPEN, Program.Status.MATCHING, Program.Status.RUNNING)


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
            with override_for(user, organization):  # texts in the recipient's language
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
