"""Reads for progress reports: the reporting periods of a pair, what is due, a person's
own reports, and the program team's page (shared answers only).

Periods. A pair's periods are counted from the day it was published (`published_at`,
else `created_at`, as a date in the organisation's time zone), every
`reporting_every_days` of its signed agreement; without one (or when it says "other"),
every 30 days. The meeting rhythm does not set it: a pair that meets every two weeks
(ATC) would otherwise write a report every two weeks, and the seeds suggest monthly
reporting (PeerSphere's agreement, item 8).
Period k runs from start + (k-1)*every to start + k*every and is due on its last date,
start + k*every.

Which period a report is for: the earliest period already due that the person has not
reported on; when every due period is reported, the upcoming one (writing early is
allowed). Nothing further ahead: once the upcoming one is in, the next opens on its due
date. Catching up on missed periods therefore goes oldest first.

Pauses shift nothing: the periods stay where they are. While a pause is active (today
between its first and last day) no report is *due* (`reports_due` leaves the pair out),
though the person may still write one.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Case, CharField, F, Value, When
from django.utils import timezone

from agreements.models import Agreement
from agreements.selectors.terms import terms_from_signed
from programs.models import Match, MatchMember, Program

from ..models import Goal, GoalProgress, ProgressReport
from .endings import active_pauses

DEFAULT_EVERY_DAYS = 30


@dataclass(frozen=True)
class Schedule:
    start: date
    every: int  # days
    source: str  # "agreement", "program" or "default"

    def period_start(self, period):
        return self.start + timedelta(days=(period - 1) * self.every)

    def period_end(self, period):
        return self.start + timedelta(days=period * self.every)

    def elapsed(self, today):
        """How many periods are due by `today` (their due date is today or earlier)."""
        if today < self.start:
            return 0
        return (today - self.start).days // self.every


@dataclass(frozen=True)
class DueReport:
    match: Match
    period: int
    period_end: date
    due: bool = True  # False: the next period, not due yet (its due date is `period_end`)
    schedule: Schedule | None = None
    reported: frozenset = frozenset()  # the periods the person has reported on


@dataclass(frozen=True)
class ReportPeriod:
    """The period a person's report form is for, and what the page says about it."""

    schedule: Schedule
    period: int | None  # None: every period so far is reported
    start: date | None
    end: date | None
    due: bool  # its due date has come
    paused: object  # the active Pause, or None
    next_opens: date | None  # when `period` is None: the day the next one can be written


def local_today(organization, today=None):
    """`today`, or the current date in the organisation's time zone."""
    return today or timezone.localdate(timezone=organization.tzinfo)


def schedule_of(*, match, program, agreed_days, organization):
    """The reporting schedule of one pair, given the days its signed agreement sets
    between reports (None: no signed agreement, or it does not say)."""
    begun = match.published_at or match.created_at
    start = timezone.localtime(begun, organization.tzinfo).date()
    if agreed_days:
        return Schedule(start=start, every=agreed_days, source="agreement")
    return Schedule(start=start, every=DEFAULT_EVERY_DAYS, source="default")


def schedule_for(match):
    """The reporting schedule of `match` (its program and organisation loaded)."""
    return schedule_of(
        match=match,
        program=match.program,
        agreed_days=agreed_reporting_days(
            organization=match.organization, match_ids=[match.pk]
        ).get(match.pk),
        organization=match.organization,
    )


def agreed_reporting_days(*, organization, match_ids):
    """{match_id: days between reports} as the pairs' signed agreements set them, in one
    query across programs (`agreement_terms_for_matches` works one program at a time,
    and its program fallback never sets a reporting frequency anyway)."""
    signed = Agreement.objects.filter(
        organization=organization, match_id__in=match_ids, status=Agreement.Status.SIGNED
    ).values_list("match_id", "pk", "signed_content")
    found = {}
    for match_id, pk, text in signed:
        days = terms_from_signed(text, agreement_id=pk).reporting_every_days
        if days:
            found[match_id] = days
    return found


def reported_periods(*, match, user):
    return set(
        ProgressReport.objects.filter(
            organization=match.organization, match=match, author=user
        ).values_list("period", flat=True)
    )


def period_to_report(schedule, reported, today):
    """(period, due) for the form, or (None, False) when there is nothing to write yet.
    See the module's docstring for the rule."""
    elapsed = schedule.elapsed(today)
    for period in range(1, elapsed + 1):
        if period not in reported:
            return period, True
    upcoming = elapsed + 1
    if upcoming not in reported:
        return upcoming, False
    return None, False


def allowed_periods(schedule, today):
    """The periods a report may be written for on `today`: every due one and the next."""
    return range(1, schedule.elapsed(today) + 2)


def report_period(*, match, user, today=None):
    """The period `user`'s report form is for in `match`, with its dates and pause."""
    today = local_today(match.organization, today)
    schedule = schedule_for(match)
    period, due = period_to_report(schedule, reported_periods(match=match, user=user), today)
    pause = active_pauses(organization=match.organization, match_ids=[match.pk], today=today)
    if period is None:
        next_opens = schedule.period_end(schedule.elapsed(today) + 1)
        return ReportPeriod(schedule, None, None, None, False, pause.get(match.pk), next_opens)
    return ReportPeriod(
        schedule=schedule,
        period=period,
        start=schedule.period_start(period),
        end=schedule.period_end(period),
        due=due,
        paused=pause.get(match.pk),
        next_opens=None,
    )


def reports_due(*, organization, user, matches, today=None):
    """[DueReport] for the home page: for each of `matches` that is active, where `user`
    is a current member and no pause is active today, the earliest due period they have
    not reported on. At most one per pair. A constant number of queries: one for the
    memberships, programs, signed agreements, reports and pauses each, however many
    pairs and programs.
    """
    return [
        report
        for report in reports_next(
            organization=organization, user=user, matches=matches, today=today
        )
        if report.due
    ]


def reports_next(*, organization, user, matches, today=None):
    """[DueReport] of the period each of `matches` asks `user` to report on next (as
    `reports_due` chooses them), `due` or not yet: the home says when the first report
    falls due. Nothing for a pair paused today, or when the upcoming period is already
    written. The queries of `reports_due`."""
    today = local_today(organization, today)
    matches = [m for m in matches if m.status == Match.Status.ACTIVE]
    if not matches:
        return []
    ids = [m.pk for m in matches]
    current = set(
        MatchMember.objects.filter(
            organization=organization, match_id__in=ids, user=user, is_current=True
        ).values_list("match_id", flat=True)
    )
    matches = [m for m in matches if m.pk in current]
    if not matches:
        return []
    programs = {
        p.pk: p
        for p in Program.objects.filter(
            organization=organization, pk__in={m.program_id for m in matches}
        )
    }
    agreed = agreed_reporting_days(organization=organization, match_ids=[m.pk for m in matches])
    reported = {}
    for match_id, period in ProgressReport.objects.filter(
        organization=organization, match_id__in=ids, author=user
    ).values_list("match_id", "period"):
        reported.setdefault(match_id, set()).add(period)
    paused = active_pauses(organization=organization, match_ids=ids, today=today)
    found = []
    for match in matches:
        if match.pk in paused:
            continue
        report = report_next_of(
            match=match,
            program=programs[match.program_id],
            agreed_days=agreed.get(match.pk),
            reported=reported.get(match.pk, ()),
            organization=organization,
            today=today,
        )
        if report is not None:
            found.append(report)
    return found


def report_next_of(*, match, program, agreed_days, reported, organization, today):
    """The DueReport `reports_next` makes for one pair that is active, not paused today,
    and has the person as a current member, from what the caller has read: the days its
    signed agreement sets between reports (None without one), the periods the person
    reported on. None when the upcoming period is already written. No query."""
    schedule = schedule_of(
        match=match, program=program, agreed_days=agreed_days, organization=organization
    )
    mine = frozenset(reported)
    period, is_due = period_to_report(schedule, mine, today)
    if period is None:
        return None
    return DueReport(
        match=match,
        period=period,
        period_end=schedule.period_end(period),
        due=is_due,
        schedule=schedule,
        reported=mine,
    )


def report_goals(*, organization, user, program):
    """The person's goals in `program` that a report asks about: all but dropped ones,
    in timeline order."""
    return list(
        Goal.objects.filter(organization=organization, plan__user=user, plan__program=program)
        .exclude(status=Goal.Status.DROPPED)
        .select_related("plan")
        .order_by(F("target_date").asc(nulls_last=True), "position", "id")
    )


def my_reports(*, match, user):
    """The person's own reports for `match`, latest period first, with their goals."""
    return list(
        ProgressReport.objects.filter(organization=match.organization, match=match, author=user)
        .prefetch_related("goals")
        .order_by("-period", "-id")
    )


# --- The program team's page -------------------------------------------------------------


@dataclass(frozen=True)
class SharedGoal:
    title: str
    status: str
    progress: str


@dataclass
class ReportRow:
    """One report as the program team may read it. An answer the author did not share is
    None, and its text never left the database."""

    pk: int
    match_id: int
    pair: list
    author: str
    period: int
    period_end: date
    submitted_at: object
    rating: int
    working: str | None
    beneficial: str | None
    change: str | None
    goals: list = field(default_factory=list)
    goals_not_shared: int = 0


def _if_shared(flag, column):
    return Case(When(**{flag: True}, then=F(column)), default=Value(None), output_field=CharField())


def reports_of_program(*, organization, program):
    """The program's reports, newest first, as rows of values in which every answer the
    author did not share is NULL (picked in SQL: the text is never read). Paginate it and
    give a page to `report_rows`."""
    return (
        ProgressReport.objects.filter(organization=organization, program=program)
        .order_by("-submitted_at", "-id")
        .values(
            "pk",
            "match_id",
            "author_id",
            "period",
            "period_end",
            "submitted_at",
            "rating",
            working_seen=_if_shared("working_shared", "working"),
            beneficial_seen=_if_shared("beneficial_shared", "beneficial"),
            change_seen=_if_shared("change_shared", "change"),
        )
    )


def report_rows(*, organization, reports):
    """ReportRows for a page of `reports_of_program`: three more queries however many."""
    reports = list(reports)
    users = {
        u.pk: u for u in get_user_model().objects.filter(pk__in={r["author_id"] for r in reports})
    }
    pairs = {}
    for member in (
        MatchMember.objects.filter(
            organization=organization, match_id__in={r["match_id"] for r in reports}
        )
        .select_related("user")
        .order_by("position", "id")
    ):
        pairs.setdefault(member.match_id, []).append(member.user.display_name)
    goals = {}
    hidden = {}
    for row in (
        GoalProgress.objects.filter(
            organization=organization, report_id__in=[r["pk"] for r in reports]
        )
        .order_by("id")
        .values(
            "report_id",
            "shared",
            title_seen=_if_shared("shared", "goal_title"),
            status_seen=_if_shared("shared", "status"),
            progress_seen=_if_shared("shared", "progress"),
        )
    ):
        if row["shared"]:
            goals.setdefault(row["report_id"], []).append(
                SharedGoal(
                    title=row["title_seen"] or "",
                    status=_label(Goal.Status, row["status_seen"]),
                    progress=row["progress_seen"] or "",
                )
            )
        else:
            hidden[row["report_id"]] = hidden.get(row["report_id"], 0) + 1
    answers = ProgressReport.Answer
    return [
        ReportRow(
            pk=r["pk"],
            match_id=r["match_id"],
            pair=pairs.get(r["match_id"], []),
            author=users[r["author_id"]].display_name if r["author_id"] in users else "",
            period=r["period"],
            period_end=r["period_end"],
            submitted_at=r["submitted_at"],
            rating=r["rating"],
            working=_label(answers, r["working_seen"]),
            beneficial=_label(answers, r["beneficial_seen"]),
            change=r["change_seen"],
            goals=goals.get(r["pk"], []),
            goals_not_shared=hidden.get(r["pk"], 0),
        )
        for r in reports
    ]


def _label(choices, value):
    if value is None:
        return None
    try:
        return str(choices(value).label)
    except ValueError:
        return value
