"""When the pair rules send, as date arithmetic: the rules (`pairs`) use it to decide what
is due today, and the participant's home and pair page use `next_reminder` to say what
comes next, so the page and the email never disagree.

Dates are the pair's calendar dates (see the package docstring); a reminder goes out in
the morning of its day.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from peercoach.notifications.models import Kind

from ..selectors.home import paused_days
from .common import AGAIN_DAYS, behind_days

LOOKAHEAD_CYCLES = 6  # meeting cycles looked at for the next one without a session planned


def meeting_cycle(start, every, day):
    """(cycle, first day, last day) of the agreed rhythm that `day` falls in; cycle 1
    starts on the pair's first day. A meeting reminder goes out on the first day of every
    cycle from the second on, unless a session is planned within it."""
    cycle = (day - start).days // every + 1
    first = start + timedelta(days=(cycle - 1) * every)
    return cycle, first, first + timedelta(days=every - 1)


def report_again_day(schedule, period):
    """The day a report still not written is reminded once more, or None (weekly reporting:
    the next prompt comes the same day)."""
    if schedule.every <= AGAIN_DAYS:
        return None
    return schedule.period_end(period) + timedelta(days=AGAIN_DAYS)


@dataclass(frozen=True)
class NextReminder:
    kind: str  # peercoach.notifications.models.Kind
    day: date


def next_reminder(
    *,
    today,
    start,
    term_end,
    every,
    last_held,
    planned,
    scheduled,
    report,
    paused,
    pauses=(),
    off=frozenset(),
):
    """The next pair reminder after `today` that the rules would send one member, or None.

    `start`, `term_end`, `every`: the pair's first day, the term's end and the agreed
    days between meetings (the rules' `PairState`); `last_held`: the day of the last
    session held, or None; `planned`: days of sessions proposed, scheduled or held;
    `scheduled`: days of the scheduled sessions to come; `report`: the person's
    `reports_next` entry (or None); `paused`: a pause today (nothing is sent); `pauses`:
    the pair's pauses (their days do not count towards a nudge); `off`: the kinds the
    person turned off. Assumes nothing changes meanwhile: a session logged or a
    report written moves it on.
    """
    if paused:
        return None
    found = []
    # The day before a scheduled session.
    found += [NextReminder(Kind.SESSION, day - timedelta(days=1)) for day in scheduled]
    in_term = start <= today <= term_end
    if in_term:
        # The first day of the next cycle without a session planned in it.
        cycle, _first, last = meeting_cycle(start, every, today)
        for _n in range(LOOKAHEAD_CYCLES):
            cycle, first, last = meeting_cycle(start, every, last + timedelta(days=1))
            if first > term_end:
                break
            if cycle >= 2 and not any(first <= day <= last for day in planned):
                found.append(NextReminder(Kind.MEETING, first))
                break
        # A nudge the day after the rhythm and its grace have run out, unless a session is
        # scheduled before it (holding it starts the count again).
        met = last_held is not None and last_held >= start
        since = last_held if met else start
        held_off = paused_days(pauses, since, today)
        nudge = since + timedelta(days=behind_days(every, met=met) + 1 + held_off)
        while nudge <= today:  # overdue already: the next window, a cycle later
            nudge += timedelta(days=every)
        if nudge <= term_end and not any(day <= nudge for day in scheduled):
            found.append(NextReminder(Kind.NUDGE, nudge))
    if report is not None and report.schedule is not None:
        if report.due:
            again = report_again_day(report.schedule, report.period)
            if again is not None:
                found.append(NextReminder(Kind.REPORT, again))
        # The prompt of the next period to fall due.
        period = report.schedule.elapsed(today) + 1
        if period not in report.reported:
            found.append(NextReminder(Kind.REPORT, report.schedule.period_end(period)))
    found = [r for r in found if r.day > today and r.kind not in off]
    return min(found, key=lambda r: (r.day, r.kind), default=None)
