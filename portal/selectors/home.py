"""What the participant's home shows, one read per card, in a constant number of queries.

The home is every active pair or circle of the person at a glance (partners, the
agreement, the next and last session, the cadence, goals, reports and the next
reminder), the pairs that ended, the surveys waiting for an answer, and the events and
resources of their programs. It composes the apps: programs for the pairs and the
programs, agreements for the agreement of each pair, sessions for everything about
sessions (the cadence and reminder rules stay in `sessions.selectors.home`, shared with
the pair's hub), surveys for the open surveys.

Queries do not depend on the number of pairs, sessions, goals, programs or surveys
(tests/portal/test_home.py, tests/test_query_counts.py).
"""

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, prefetch_related_objects
from django.utils import timezone

from agreements.models import Agreement
from agreements.selectors.pairs import agreements_for_pairs_prefetch
from programs.models import Match, MatchMember, Program, ProgramEvent, Resource
from programs.selectors.participant import my_active_matches, my_applications, programs_visible
from sessions.models import Pause, Session
from sessions.selectors.goals import goals_for
from sessions.selectors.home import (
    Cadence,
    cadence_for,
    next_reminder_for,
    pause_today,
    pauses_by_match,
    reminders_off,
    terms_from,
    upcoming_split,
)
from sessions.selectors.log import held_for_matches
from sessions.selectors.reports import reports_next
from sessions.selectors.schedule import LIVE_APPLICATIONS, upcoming_for_matches
from surveys.selectors import open_surveys_for_participant

HOME_EVENTS = 10


@dataclass
class PairSummary:
    match: Match
    partners: list  # MatchMember rows of the others
    me: MatchMember | None
    agreement: Agreement | None
    next_session: Session | None
    waiting_for_me: list
    last_session: Session | None
    cadence: Cadence
    pause: Pause | None
    goals: list = field(default_factory=list)
    reports_due: list = field(default_factory=list)
    next_report: object = None  # reports.DueReport not due yet: when it falls due
    next_reminder: object = None  # reminders.timing.NextReminder, or None
    upcoming: list = field(default_factory=list)  # every session not ended yet


def participant_home(*, organization, membership, user, today=None, now=None):
    """The participant home's context: {"programs", "pairs", "past_pairs", "events",
    "resources", "open_surveys", "changes_at"}; `changes_at` is the first instant after
    `now` at which the home changes with time alone (a session it shows starts or ends, an
    event starts), or None."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    programs = programs_for_home(organization=organization, membership=membership, user=user)
    matches = matches_for_home(organization=organization, user=user)
    events, resources = program_items(
        organization=organization, matches=matches, programs=programs, now=now
    )
    pairs = pair_summaries(
        organization=organization, user=user, matches=matches, today=today, now=now
    )
    return {
        "programs": programs,
        "pairs": pairs,
        "past_pairs": past_pairs(organization=organization, user=user),
        "events": events,
        "resources": resources,
        "open_surveys": open_surveys_for_participant(organization=organization, user=user),
        "changes_at": changes_at(pairs=pairs, events=events, now=now),
    }


def changes_at(*, pairs, events, now):
    """The first instant after `now` at which a session of `pairs` starts or ends or one
    of `events` starts, or None."""
    instants = [event.starts_at for event in events]
    for pair in pairs:
        for session in pair.upcoming:
            instants += [session.starts_at, session.ends_at]
    return min((at for at in instants if at > now), default=None)


def programs_for_home(*, organization, membership, user):
    """The programs listed on the home, each with `my_application` (or None). Ended
    programs stay listed only for the people who took part. Two queries."""
    applications = my_applications(organization=organization, user=user)
    programs = []
    for program in programs_visible(organization=organization, membership=membership):
        program.my_application = applications.get(program.pk)
        if program.status != Program.Status.CLOSED or program.my_application:
            programs.append(program)
    return programs


def matches_for_home(*, organization, user):
    """The person's active pairs and circles (`my_active_matches`) with the agreement each
    shows. Three queries."""
    matches = my_active_matches(organization=organization, user=user)
    prefetch_related_objects(matches, agreements_for_pairs_prefetch())
    # A member who left a circle that goes on no longer sees it here.
    return [
        m for m in matches if any(x.user_id == user.pk and x.is_current for x in m.members.all())
    ]


def pair_summaries(*, organization, user, matches, today, now):
    """A PairSummary for each of `matches` (from `matches_for_home`). Queries do not
    depend on the number of pairs, sessions, goals or reports; none without pairs."""
    if not matches:
        return []
    match_ids = [m.pk for m in matches]
    upcoming = upcoming_for_matches(organization=organization, match_ids=match_ids, now=now)
    held = held_for_matches(organization=organization, match_ids=match_ids)
    pauses = pauses_by_match(organization=organization, match_ids=match_ids)
    goals = goals_for(
        organization=organization,
        user=user,
        program_ids=sorted({m.program_id for m in matches}),
    )
    terms = {m.pk: terms_from(m.program, next(iter(m.agreements.all()), None)) for m in matches}
    due, coming = {}, {}
    for report in reports_next(organization=organization, user=user, matches=matches, today=today):
        if report.due:
            due.setdefault(report.match.pk, []).append(report)
        coming[report.match.pk] = report
    off = reminders_off(organization=organization, user=user)
    pairs = []
    for match in matches:
        members = list(match.members.all())
        next_session, waiting, _mine = upcoming_split(upcoming.get(match.pk, []), user)
        log = held.get(match.pk) or {"count": 0, "last": None}
        match_pauses = pauses.get(match.pk, [])
        next_report = coming.get(match.pk)
        pairs.append(
            PairSummary(
                match=match,
                partners=[m for m in members if m.user_id != user.pk and m.is_current],
                me=next((m for m in members if m.user_id == user.pk), None),
                agreement=next(iter(match.agreements.all()), None),
                next_session=next_session,
                waiting_for_me=waiting,
                last_session=log["last"],
                cadence=cadence_for(
                    match,
                    match.program,
                    terms[match.pk],
                    log["count"],
                    log["last"],
                    match_pauses,
                    today,
                ),
                pause=pause_today(match_pauses, today),
                goals=goals.get(match.program_id, []),
                reports_due=due.get(match.pk, []),
                next_report=next_report if next_report and not next_report.due else None,
                next_reminder=next_reminder_for(
                    match=match,
                    terms=terms[match.pk],
                    last=log["last"],
                    upcoming=upcoming.get(match.pk, []),
                    report=next_report,
                    pauses=match_pauses,
                    today=today,
                    off=off,
                ),
                upcoming=upcoming.get(match.pk, []),
            )
        )
    return pairs


def program_items(*, organization, matches, programs, now):
    """(events coming up, resources) of the person's programs: those of their pairs and
    those their application is live in, each row with its `program`. Two queries, none
    without such programs."""
    program_ids = {m.program_id for m in matches} | {
        p.pk
        for p in programs
        if p.my_application is not None and p.my_application.status in LIVE_APPLICATIONS
    }
    if not program_ids:
        return [], []
    names = {p.pk: p for p in programs} | {m.program_id: m.program for m in matches}
    events = list(
        ProgramEvent.objects.filter(
            organization=organization, program_id__in=program_ids, starts_at__gte=now
        ).order_by("starts_at", "id")[:HOME_EVENTS]
    )
    resources = list(
        Resource.objects.filter(organization=organization, program_id__in=program_ids).order_by(
            "program_id", "position", "id"
        )
    )
    for row in (*events, *resources):
        row.program = names[row.program_id]
    return events, resources


def past_pairs(*, organization, user):
    """The person's pairs and circles that ended, or that they left: still readable (the
    log, their own private notes), newest first. Two queries."""
    mine = MatchMember.objects.filter(organization=organization, user=user)
    matches = (
        Match.objects.filter(organization=organization, members__in=mine)
        .filter(Q(status=Match.Status.ENDED) | Q(members__in=mine.filter(is_current=False)))
        .exclude(status=Match.Status.PROPOSED)
        .select_related("program")
        .prefetch_related(Prefetch("members", queryset=MatchMember.objects.select_related("user")))
        .distinct()
        .order_by("-ended_at", "-id")
    )
    result = list(matches)
    for match in result:
        match.others = [m for m in match.members.all() if m.user_id != user.pk]
        me = next((m for m in match.members.all() if m.user_id == user.pk), None)
        match.left_on_my_own = match.status != Match.Status.ENDED and me is not None
    return result
