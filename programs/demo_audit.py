"""Demo data for the audit log: the log of a term that has been running for a few weeks.
It lives with programs because it reads programs and pairs, which the platform's audit
app must not import.

The demo goes through the hooked services (decisions, the matching run, publishing,
signatures, opt-outs), so those rows exist already, all stamped with the moment the demo
was loaded. This moves each to the date of what it records (the pairs' publication, and
the days before it for the run and the decisions) and adds what a coordinator did in the
browser before that: create the program, open it, download the applications. The
addresses are from the documentation ranges (RFC 5737).
"""

from datetime import timedelta

from django.utils import timezone

from peercoach.audit.models import Action, AuditEvent
from peercoach.tenancy.models import Membership

from .demo import demo_programs
from .models import Match

COORDINATOR_IP = "192.0.2.{}"


def audit_demo_load(*, organizations):
    """A loader of settings.DEMO_LOADERS (see peercoach.demo), listed last: it dates the
    audit rows the loaders before it wrote. `audit_demo_build` for the organisations' demo
    programs; the demo command prints nothing of it."""
    audit_demo_build(programs=demo_programs(organizations))
    return {}


def audit_demo_build(*, programs):
    """Shape each program's audit rows as above. Idempotent: a program whose creation is
    already in the log is left as it is. Runs in the caller's transaction, with scopes
    disabled."""
    for index, program in enumerate(programs):
        organization = program.organization
        rows = AuditEvent.objects.filter(organization=organization, program=program)
        if rows.filter(action=Action.PROGRAM_CREATED).exists():
            continue
        published = (
            Match.objects.filter(organization=organization, program=program)
            .exclude(published_at=None)
            .order_by("published_at")
            .values_list("published_at", flat=True)
            .first()
        ) or timezone.now()
        coordinator = (
            Membership.objects.filter(organization=organization, role=Membership.Role.COORDINATOR)
            .select_related("user")
            .order_by("id")
            .first()
        )
        ip = COORDINATOR_IP.format(10 + index)
        for action, days_before in (
            (Action.APPLICATION_DECIDED, 6),
            (Action.PAIRING_RUN, 2),
            (Action.PAIRING_PUBLISHED, 0),
        ):
            for n, row in enumerate(rows.filter(action=action).order_by("id")):
                rows.filter(pk=row.pk).update(
                    created_at=published - timedelta(days=days_before, minutes=30 - 5 * n),
                    ip=ip,
                )
        actor = coordinator.user if coordinator else None
        for action, days_before, summary in (
            (Action.PROGRAM_CREATED, 35, program.get_format_display()),
            (Action.PROGRAM_STATUS, 28, "Draft → Open"),
            (Action.EXPORT, 7, "applications.csv"),
        ):
            event = AuditEvent.objects.create(
                organization=organization,
                action=action,
                actor=actor,
                actor_name=actor.display_name if actor else "",
                program=program,
                target_type="programs.program",
                target_id=program.pk,
                summary=summary,
                ip=ip,
            )
            AuditEvent.objects.filter(pk=event.pk).update(
                created_at=published - timedelta(days=days_before, hours=3)
            )
