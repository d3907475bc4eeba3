"""A pair's hub page, read in a constant number of queries, and the session rules the
participant's home (`portal.selectors.home`) applies to each of their pairs.

The hub is one pair or circle in full: its people and how to reach them, the agreement,
what is scheduled and what waits for my answer, the sessions held against the agreed
cadence, plans and reports, and the quiet actions. The hub and the home read sessions
through the schedule and log areas' selectors (`upcoming_for_matches`,
`held_for_matches`) so that "upcoming" and "held" mean the same everywhere.

Cadence: the pair agreed to meet every N days (the signed agreement, else the program's
setting). Counted from the day the pair was published (or the term's start, if later) to
today (or the term's end), paused days left out: `expected` sessions is the elapsed time
divided by N, and the pair is overdue when more than N unpaused days have passed since
its last session. A new pair that has not met yet has at least `FIRST_SESSION_DAYS` from
its start (its rhythm, if longer): meeting the partner, reading the agreement and finding
a first date take a while, and a weekly pair is not "overdue" on its eighth day. A pair
on pause is never overdue. The reminder rules and the pairs at risk count the same way
(`allowed_gap`), with a week's grace on top.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Window
from django.utils import timezone

from agreements.models import Agreement
from agreements.selectors.pairs import agreement_for_pair
from agreements.selectors.terms import terms_of
from peercoach.notifications.models import Preference
from programs.models import Match, MatchMember

from ..models import Checklist, Pause, Session
from .reports import report_next_of, reported_periods
from .schedule import upcoming_for_matches

RECENT_SESSIONS = 5
FIRST_SESSION_DAYS = 21  # a new pair's time to hold its first session (or its rhythm)


# --- Cadence ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Cadence:
    every_days: int | None  # None: no cadence was agreed ("the pair chooses", "other")
    frequency: str  # the agreed frequency as the parties read it
    held: int  # sessions held so far
    expected: int | None  # sessions the cadence asks for by today
    days_since_last: int | None  # calendar days since the last session held
    overdue: bool
    paused: bool  # on pause today
    started: bool  # False before the pair's first day (term not started yet)
    agreed: bool = True  # the cadence comes from the signed agreement, not the program


def paused_days(pauses, start, end):
    """How many days of [start, end) fall in one of `pauses` (overlaps counted once)."""
    if end <= start:
        return 0
    days = set()
    for pause in pauses:
        first = max(pause.starts_on, start)
        last = min(pause.last_day, end - timedelta(days=1))
        days.update(first + timedelta(days=n) for n in range((last - first).days + 1))
    return len(days)


def allowed_gap(every_days, *, met):
    """Unpaused days a pair may go without a session before it is behind: its rhythm, and
    before its first session at least FIRST_SESSION_DAYS from its start."""
    return every_days if met else max(every_days, FIRST_SESSION_DAYS)


def pause_today(pauses, today):
    return next((p for p in pauses if p.starts_on <= today <= p.last_day), None)


def cadence_of(
    *, every_days, frequency, held, last_held_on, start, term_end, pauses, today, agreed=True
):
    """Sessions held against the agreed cadence (see the module docstring)."""
    paused = pause_today(pauses, today) is not None
    end = min(today, term_end) if term_end else today
    started = start is not None and start <= today
    expected = None
    overdue = False
    if started and every_days:
        elapsed = max(0, (end - start).days - paused_days(pauses, start, end))
        expected = elapsed // every_days
        met = bool(last_held_on and last_held_on >= start)
        since = last_held_on if met else start
        gap = (end - since).days - paused_days(pauses, since, end)
        overdue = (
            not paused and today <= (term_end or today) and gap > allowed_gap(every_days, met=met)
        )
    return Cadence(
        every_days=every_days,
        frequency=frequency,
        held=held,
        expected=expected,
        days_since_last=(today - last_held_on).days if last_held_on else None,
        overdue=overdue,
        paused=paused,
        started=started,
        agreed=agreed,
    )


def _start_of(match, program):
    published = timezone.localdate(match.published_at) if match.published_at else None
    return max(d for d in (published, program.term_start) if d is not None)


def cadence_for(match, program, terms, held, last, pauses, today):
    """`cadence_of` for `match`: `terms` its agreed terms, `held` the sessions held so far,
    `last` the last one held (or None), `pauses` its pauses. No query."""
    return cadence_of(
        every_days=terms.meeting_every_days,
        frequency=terms.meeting_frequency,
        held=held,
        last_held_on=timezone.localdate(last.starts_at) if last else None,
        start=_start_of(match, program),
        term_end=program.term_end,
        pauses=pauses,
        today=today,
        agreed=terms.source == "signed",
    )


def pauses_by_match(*, organization, match_ids):
    """{match_id: [Pause]} of the matches. One query."""
    found = {}
    for pause in Pause.objects.filter(organization=organization, match_id__in=match_ids):
        found.setdefault(pause.match_id, []).append(pause)
    return found


def terms_from(program, agreement):
    """What `agreement_terms_for_matches` reads, from an agreement already loaded."""
    if agreement is None or agreement.status != Agreement.Status.SIGNED:
        return terms_of(program)
    return terms_of(program, agreement_id=agreement.pk, signed_content=agreement.signed_content)


# --- Sessions shared by both pages -----------------------------------------------------


def upcoming_split(sessions, user):
    """(the next scheduled session, proposals waiting for `user`'s answer, my proposals)."""
    scheduled = [s for s in sessions if s.status == Session.Status.SCHEDULED]
    proposed = [s for s in sessions if s.status == Session.Status.PROPOSED]
    waiting = [s for s in proposed if s.proposed_by_id != user.pk]
    mine = [s for s in proposed if s.proposed_by_id == user.pk]
    return (scheduled[0] if scheduled else None), waiting, mine


# --- What comes next -------------------------------------------------------------------


def reminders_off(*, organization, user):
    """The kinds of reminder the person turned off here. One query."""
    return frozenset(
        Preference.objects.filter(organization=organization, user=user, enabled=False).values_list(
            "kind", flat=True
        )
    )


def _not_due(report):
    return report if report is not None and not report.due else None


def next_reminder_for(*, match, terms, last, upcoming, report, pauses, today, off):
    """The next reminder the pair rules would send this person about `match`, from what
    the page has read already (no query): `sessions.reminders.timing.next_reminder`."""
    # The rules import this module: imported here, once both are loaded.
    from ..reminders.common import DEFAULT_EVERY_DAYS
    from ..reminders.timing import next_reminder

    program = match.program
    return next_reminder(
        today=today,
        start=_start_of(match, program),
        term_end=program.term_end,
        every=terms.meeting_every_days or DEFAULT_EVERY_DAYS,
        last_held=timezone.localdate(last.starts_at) if last else None,
        planned=[timezone.localdate(s.starts_at) for s in upcoming],
        scheduled=[
            timezone.localdate(s.starts_at)
            for s in upcoming
            if s.status == Session.Status.SCHEDULED
        ],
        report=report,
        paused=pause_today(pauses, today) is not None,
        pauses=pauses,
        off=off,
    )


# --- A pair's hub page -----------------------------------------------------------------


def pair_hub(*, match, user, today=None, now=None):
    """The hub page of `match` (from `match_for_member`) for `user`, one of its members.

    Contact details come from the signed agreement only: before everyone signed, the
    parties' phone numbers are not yet something they agreed to share.
    """
    organization = match.organization
    program = match.program
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    members = list(
        MatchMember.objects.filter(organization=organization, match=match)
        .select_related("user")
        .order_by("position", "id")
    )
    agreement = agreement_for_pair(match)  # in force, else the one being filled
    # The one in force comes first: when it is not signed, none is, and the program's
    # settings stand in (what `agreement_terms` reads, without reading it again).
    terms = terms_from(program, agreement)
    pauses = list(Pause.objects.filter(organization=organization, match=match))
    # The latest held sessions and, on each row, how many were held: one query. The
    # window counts every held row before the LIMIT.
    recent = list(
        Session.objects.filter(organization=organization, match=match, status=Session.Status.HELD)
        .annotate(held_total=Window(Count("pk")))
        .order_by("-starts_at", "-id")[:RECENT_SESSIONS]
    )
    held_count = recent[0].held_total if recent else 0
    ended = match.status == Match.Status.ENDED
    upcoming, waiting, mine, to_log, due, coming = [], [], [], [], [], []
    next_session = None
    if not ended:
        upcoming = upcoming_for_matches(organization=organization, match_ids=[match.pk], now=now)
        next_session, waiting, mine = upcoming_split(upcoming.get(match.pk, []), user)
        # Scheduled sessions whose time has passed: did they happen? The pair logs them.
        to_log = list(
            Session.objects.filter(
                organization=organization,
                match=match,
                status=Session.Status.SCHEDULED,
                starts_at__lt=now,
            ).order_by("-starts_at", "-id")[:RECENT_SESSIONS]
        )
        coming = _report_next(match, terms, pauses, user, today)
        due = [report for report in coming if report.due]
    checklist = None
    if program.first_session_checklist:
        checklist = Checklist.objects.filter(organization=organization, match=match).first()
    users = {m.user_id: m.user for m in members}
    for session in (*waiting, *mine):
        session.proposer = users.get(session.proposed_by_id)
    people = []
    for member in members:
        member.is_me = member.user_id == user.pk
        member.contact = terms.contacts.get(member.user_id) if terms.source == "signed" else None
        people.append(member)
    return {
        "members": people,
        "me": next((m for m in people if m.is_me), match.me),
        "terms": terms,
        "agreement": agreement,
        "pause": pause_today(pauses, today),
        "upcoming_pauses": [p for p in pauses if p.starts_on > today],
        "next_session": next_session,
        "waiting_for_me": waiting,
        "my_proposals": mine,
        "to_log": to_log,
        "recent_sessions": recent,
        "cadence": cadence_for(
            match, program, terms, held_count, recent[0] if recent else None, pauses, today
        ),
        "reports_due": due,
        "next_report": _not_due(coming[0] if coming else None),
        "next_reminder": None
        if ended
        else next_reminder_for(
            match=match,
            terms=terms,
            last=recent[0] if recent else None,
            upcoming=upcoming.get(match.pk, []),
            report=coming[0] if coming else None,
            pauses=pauses,
            today=today,
            off=reminders_off(organization=organization, user=user),
        ),
        "checklist": checklist,
        "checklist_done": len(checklist.done) if checklist else 0,
        "checklist_total": len(Checklist.ITEMS),
        "ended": ended,
    }


def _report_next(match, terms, pauses, user, today):
    """[DueReport] as `reports_next` makes it for this one pair, from what the hub has read
    (its program, its signed terms, its pauses, the person's member row): one query, the
    periods the person reported on."""
    if (
        match.status != Match.Status.ACTIVE
        or not match.me.is_current
        or pause_today(pauses, today) is not None
    ):
        return []
    report = report_next_of(
        match=match,
        program=match.program,
        agreed_days=(terms.reporting_every_days or None) if terms.source == "signed" else None,
        reported=reported_periods(match=match, user=user),
        organization=match.organization,
        today=today,
    )
    return [report] if report is not None else []


def sessions_for_pair(*, match):
    """Every session of the pair or circle, the latest first (for the paginated list)."""
    return Session.objects.filter(organization=match.organization, match=match).order_by(
        "-starts_at", "-id"
    )


__all__ = [
    "FIRST_SESSION_DAYS",
    "Cadence",
    "allowed_gap",
    "cadence_for",
    "cadence_of",
    "next_reminder_for",
    "pair_hub",
    "pause_today",
    "pauses_by_match",
    "reminders_off",
    "sessions_for_pair",
    "terms_from",
    "upcoming_split",
]
