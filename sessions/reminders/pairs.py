"""Reminders to the members of pairs and circles: meet, log, report, and the session
tomorrow (see the package docstring for each rule)."""

from datetime import timedelta

from peercoach.notifications.dispatch import Due
from peercoach.notifications.models import Kind
from peercoach.notifications.rules import (
    DAY_BEFORE_HORIZON,
    day_text,
    link,
    local_date,
    morning_due,
    names_text,
    unrecorded,
    when_text,
)
from peercoach.tenancy.languages import override_for
from peercoach.tenancy.zones import zone_name
from programs.models import Match, Program
from programs.selectors.members import current_members, members_by_match, recipients

from .. import ics
from ..models import Session
from ..selectors.endings import active_pauses
from .common import (
    AGAIN_DAYS,
    active_pairs,
    behind_after,
    gap_days,
    last_held_days,
    pair_links,
    report_schedule,
    reported_periods,
    since_day,
)
from .timing import meeting_cycle, report_again_day

# --- Meeting reminders -------------------------------------------------------------------


def meeting_reminders(*, organization, now):
    """A reminder to meet at the start of each cycle of the pair's agreed frequency (see
    the package docstring); period "m<match>:<cycle>". Six or seven queries."""
    pairs = active_pairs(organization)
    if not pairs:
        return []
    zone = organization.time_zone
    longest = max(pair.every for pair in pairs)
    planned = {}
    for match_id, starts_at in Session.objects.filter(
        organization=organization,
        match__status=Match.Status.ACTIVE,
        status__in=(Session.Status.PROPOSED, Session.Status.SCHEDULED, Session.Status.HELD),
        starts_at__gte=now - timedelta(days=longest + 2),
    ).values_list("match_id", "starts_at"):
        planned.setdefault(match_id, []).append(local_date(starts_at, zone))
    dues = []
    for pair in pairs:
        match = pair.match
        for member in recipients(pair.members):
            user = member.user
            user_zone = zone_name(user, organization)
            today = local_date(now, user_zone)
            if not pair.in_term(today) or pair.paused(today):
                continue
            cycle, first, last = meeting_cycle(pair.start, pair.every, today)
            if cycle < 2:
                continue
            if any(first <= day <= last for day in planned.get(match.pk, ())):
                continue
            due_at = morning_due(first, user_zone, now)
            if due_at is None:
                continue
            with override_for(user, organization):  # texts in the recipient's language
                dues.append(
                    Due(
                        recipient_id=user.pk,
                        kind=Kind.MEETING,
                        period=f"m{match.pk}:{cycle}",
                        due_at=due_at,
                        program_id=pair.program.pk,
                        match_id=match.pk,
                        context={
                            "program_name": pair.program.name,
                            "partners": pair.names(but=user.pk),
                            "is_circle": pair.program.format == Program.Format.CIRCLE,
                            "frequency": pair.frequency,
                            "every_days": pair.every,
                            "cycle_ends": day_text(min(last, pair.program.term_end)),
                            **pair_links(organization, match.pk),
                        },
                    )
                )
    return unrecorded(organization=organization, kind=Kind.MEETING, dues=dues)


# --- Nudges ------------------------------------------------------------------------------


def nudges(*, organization, now):
    """A nudge to the members of a pair that held no session within its frequency plus
    the grace period (see the package docstring). Period "n<match>:<since>:<window>":
    window 1 once the grace has passed, 2 a full cycle later, and so on; a session held
    starts the count again. Six or seven queries."""
    pairs = active_pairs(organization)
    if not pairs:
        return []
    last_held = last_held_days(organization)
    dues = []
    for pair in pairs:
        match = pair.match
        since = since_day(pair, last_held)
        threshold = behind_after(pair, last_held)
        for member in recipients(pair.members):
            user = member.user
            user_zone = zone_name(user, organization)
            today = local_date(now, user_zone)
            if not pair.in_term(today) or pair.paused(today):
                continue
            gap = gap_days(pair, since, today)
            if gap <= threshold:
                continue
            window = (gap - threshold - 1) // pair.every + 1
            due_at = morning_due(today, user_zone, now)
            if due_at is None:
                continue
            held = match.pk in last_held
            with override_for(user, organization):  # texts in the recipient's language
                dues.append(
                    Due(
                        recipient_id=user.pk,
                        kind=Kind.NUDGE,
                        period=f"n{match.pk}:{since:%Y%m%d}:{window}",
                        due_at=due_at,
                        program_id=pair.program.pk,
                        match_id=match.pk,
                        context={
                            "program_name": pair.program.name,
                            "partners": pair.names(but=user.pk),
                            "is_circle": pair.program.format == Program.Format.CIRCLE,
                            "frequency": pair.frequency,
                            "every_days": pair.every,
                            "had_session": held,
                            "since": day_text(since),
                            "days": (today - since).days,
                            "log_url": link(
                                "sessions:log", org_slug=organization.slug, pk=match.pk
                            ),
                            **pair_links(organization, match.pk),
                        },
                    )
                )
    return unrecorded(organization=organization, kind=Kind.NUDGE, dues=dues)


# --- Progress reports --------------------------------------------------------------------


def report_reminders(*, organization, now):
    """Progress-report prompts: when a reporting period falls due ("r<match>:<period>"),
    and once more a week later if it is still not written ("r<match>:<period>:again";
    not for weekly reporting, whose next prompt comes the same day). Only the latest
    period is prompted, so someone behind gets one email, not one per period. Nothing
    while the pair is paused. Six or seven queries."""
    pairs = active_pairs(organization)
    if not pairs:
        return []
    reported = reported_periods(organization)
    dues = []
    for pair in pairs:
        match = pair.match
        schedule = report_schedule(pair, organization)
        url = link("sessions:report", org_slug=organization.slug, pk=match.pk)
        for member in recipients(pair.members):
            user = member.user
            user_zone = zone_name(user, organization)
            today = local_date(now, user_zone)
            if pair.paused(today):
                continue
            mine = reported.get((match.pk, user.pk), set())
            latest = schedule.elapsed(today)
            wanted = []
            if report_again_day(schedule, 1) is not None:
                again = schedule.elapsed(today - timedelta(days=AGAIN_DAYS))
                wanted.append((again, AGAIN_DAYS, ":again"))
                if again == latest:  # its prompt's day is past: the reminder says it all
                    latest = 0
            wanted.append((latest, 0, ""))
            for period, delay, suffix in wanted:
                if period < 1 or period in mine:
                    continue
                due_day = schedule.period_end(period) + timedelta(days=delay)
                due_at = morning_due(due_day, user_zone, now)
                if due_at is None:
                    continue
                with override_for(user, organization):  # texts in the recipient's language
                    dues.append(
                        Due(
                            recipient_id=user.pk,
                            kind=Kind.REPORT,
                            period=f"r{match.pk}:{period}{suffix}",
                            due_at=due_at,
                            program_id=pair.program.pk,
                            match_id=match.pk,
                            context={
                                "program_name": pair.program.name,
                                "partners": pair.names(but=user.pk),
                                "period": period,
                                "period_start": day_text(schedule.period_start(period)),
                                "period_end": day_text(schedule.period_end(period)),
                                "again": bool(suffix),
                                "report_url": url,
                                "pair_url": link(
                                    "sessions:pair", org_slug=organization.slug, pk=match.pk
                                ),
                            },
                        )
                    )
    return unrecorded(organization=organization, kind=Kind.REPORT, dues=dues)


# --- Upcoming sessions -------------------------------------------------------------------


def session_reminders(*, organization, now):
    """The day before a scheduled session, to each current member of its pair or circle
    (in their own zone; a session scheduled after that morning is reminded on the morning
    of its day, if it starts later). Period "s<session>:<sequence>": rescheduling a
    session reminds again. Nothing for paused pairs. Four queries."""
    sessions = list(
        Session.objects.filter(
            organization=organization,
            status=Session.Status.SCHEDULED,
            match__status=Match.Status.ACTIVE,
            starts_at__gt=now,
            starts_at__lte=now + DAY_BEFORE_HORIZON,
        )
        .select_related("program")
        .order_by("starts_at", "id")
    )
    if not sessions:
        return []
    match_ids = {s.match_id for s in sessions}
    members = members_by_match(current_members(organization=organization, match_id__in=match_ids))
    paused = active_pauses(
        organization=organization,
        match_ids=match_ids,
        today=local_date(now, organization.time_zone),
    )
    dues = []
    for session in sessions:
        if session.match_id in paused:
            continue
        people = members.get(session.match_id, [])
        session_url = link("sessions:detail", org_slug=organization.slug, pk=session.pk)
        ics_url = link("sessions:ics", org_slug=organization.slug, pk=session.pk)
        for member in recipients(people):
            user = member.user
            user_zone = zone_name(user, organization)
            day_before = local_date(session.starts_at, user_zone) - timedelta(days=1)
            due_at = morning_due(day_before, user_zone, now)
            if due_at is None:
                continue
            others = [m.user.display_name for m in people if m.user_id != user.pk]
            with override_for(user, organization):  # texts in the recipient's language
                dues.append(
                    Due(
                        recipient_id=user.pk,
                        kind=Kind.SESSION,
                        period=f"s{session.pk}:{session.sequence}",
                        due_at=due_at,
                        program_id=session.program_id,
                        match_id=session.match_id,
                        context={
                            "program_name": session.program.name,
                            "partners": names_text(others),
                            "when": when_text(
                                session.starts_at, session.duration_minutes, user_zone
                            ),
                            "how": ics.where(session),
                            "minutes": session.duration_minutes,
                            "session_url": session_url,
                            "ics_url": ics_url,
                            "pair_url": link(
                                "sessions:pair", org_slug=organization.slug, pk=session.match_id
                            ),
                        },
                    )
                )
    return unrecorded(organization=organization, kind=Kind.SESSION, dues=dues)
