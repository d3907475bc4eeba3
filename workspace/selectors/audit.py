"""Reads for the audit log page and its CSV file."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from peercoach.audit.models import Action, AuditEvent
from peercoach.tenancy.models import Membership
from programs.models import Program

# Who the log can be narrowed to besides a coordinator: actions nobody did by hand.
SYSTEM = "system"

LOG_FIELDS = (
    "id",
    "organization_id",
    "action",
    "actor_id",
    "actor_name",
    "program_id",
    "target_type",
    "target_id",
    "summary",
    "ip",
    "created_at",
    "program__id",
    "program__name",
    "program__format",
)


@dataclass(frozen=True)
class LogFilter:
    """What the coordinator narrowed the log to; empty values filter nothing."""

    action: str = ""
    who: str = ""  # a coordinator's user id, SYSTEM, or ""
    search: str = ""  # part of the actor's name or email
    program_id: int | None = None
    date_from: date | None = None  # both days included, in the organisation's time zone
    date_to: date | None = None

    @property
    def is_empty(self):
        return self == LogFilter()


def _start_of(day, zone):
    return timezone.make_aware(datetime.combine(day, time.min), zone)


# Rows about confidential concerns: only coordinators who handle concerns see them, as
# the others get no hint that a concern exists (sessions/views/concerns.py).
CONCERN_ACTIONS = (Action.CONCERN_READ, Action.CONCERN_STATUS, Action.CONCERN_NOTE)


def audit_events(*, organization, log_filter, zone, concerns_visible):
    """The organisation's audit rows matching `log_filter`, newest first, each with its
    program's id, name and format (one query; `zone` says where a day starts). Rows
    about concerns only when `concerns_visible`."""
    rows = AuditEvent.objects.filter(organization=organization)
    if not concerns_visible:
        rows = rows.exclude(action__in=CONCERN_ACTIONS)
    f = log_filter
    if f.action:
        rows = rows.filter(action=f.action)
    if f.who == SYSTEM:
        rows = rows.filter(actor__isnull=True)
    elif f.who:
        rows = rows.filter(actor_id=int(f.who))
    if f.search:
        rows = rows.filter(Q(actor_name__icontains=f.search) | Q(actor__email__icontains=f.search))
    if f.program_id is not None:
        rows = rows.filter(program_id=f.program_id)
    if f.date_from is not None:
        rows = rows.filter(created_at__gte=_start_of(f.date_from, zone))
    if f.date_to is not None:
        rows = rows.filter(created_at__lt=_start_of(f.date_to + timedelta(days=1), zone))
    return rows.select_related("program").only(*LOG_FIELDS).order_by("-created_at", "-id")


def coordinator_choices(*, organization):
    """(user id, name) of the organisation's coordinators, for the "who" filter."""
    members = (
        Membership.objects.filter(organization=organization, role=Membership.Role.COORDINATOR)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__email")
    )
    return [(str(m.user_id), m.user.display_name) for m in members]


def program_choices(*, organization):
    """(id, name) of the organisation's programs, newest first, for the program filter."""
    programs = Program.objects.filter(organization=organization).order_by("-term_start", "name")
    return [(str(pk), name) for pk, name in programs.values_list("pk", "name")]
