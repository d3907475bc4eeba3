"""Reads for a program's dashboard: the funnel, sessions over the term, opt-outs by
reason, progress-report ratings by period, and the pairs at risk (workspace.selectors.
risk), all narrowed by the group / community filter.

The filter applies to people by their own application (applications, the people of
each funnel stage, opt-outs, report ratings) and to pairs and circles that have at
least one such member (pair counts, sessions, pairs at risk).

Only activity and status are read: counts, dates, ratings and names. Session notes,
private notes, reflections, feedback comments, report answers, opt-out notices and
concerns are never selected. A fixed number of queries, whatever the number of pairs,
sessions, reports or opt-outs.
"""

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, Exists, OuterRef, Q
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.models import Agreement
from peercoach.accounts.models import Invitation
from peercoach.notifications.models import Delivery, Kind
from peercoach.notifications.rules import local_date
from peercoach.tenancy.models import Membership
from programs.models import Application, Match, MatchMember, Program
from sessions.models import OptOut, ProgressReport, Session
from sessions.selectors.risk import Rule, pairs_at_risk, rule_labels
from sessions.services.nudge import nudge_period

PUBLISHED = (Match.Status.ACTIVE, Match.Status.ENDED)
WEEKLY_UP_TO_DAYS = 7 * 30  # longer terms are charted by month
MAX_MONTHS = 120  # a longer term's later sessions count in the last month charted
DEFAULT_EVERY_DAYS = 30  # "the pair chooses": reminders count monthly too


@dataclass(frozen=True)
class Filters:
    group: str = ""
    community: str = ""

    @property
    def active(self):
        return bool(self.group or self.community)

    def query(self):
        """The filter as query-string pairs, for links that keep it."""
        return [(k, v) for k, v in (("group", self.group), ("community", self.community)) if v]


@dataclass(frozen=True)
class FilterOptions:
    groups: list
    communities: list


def filter_options(*, program):
    """The groups and communities named in the program's applications. One query."""
    rows = (
        Application.objects.filter(organization_id=program.organization_id, program=program)
        .values_list("group", "community")
        .distinct()
    )
    groups, communities = set(), set()
    for group, community in rows:
        if group:
            groups.add(group)
        if community:
            communities.add(community)
    return FilterOptions(groups=sorted(groups, key=str.casefold), communities=sorted(communities))


def _person_in(program, filters, user_field):
    """Whether the person in `user_field` applied to `program` within the filter."""
    applications = Application.objects.filter(
        organization_id=program.organization_id, program=program, user_id=OuterRef(user_field)
    )
    if filters.group:
        applications = applications.filter(group=filters.group)
    if filters.community:
        applications = applications.filter(community=filters.community)
    return Exists(applications)


def pairs_in(*, program, filters):
    """The ids of the program's pairs and circles with at least one member within the
    filter, as a subquery; None when no filter is set (every pair)."""
    if not filters.active:
        return None
    return MatchMember.objects.filter(
        _person_in(program, filters, "user_id"),
        organization_id=program.organization_id,
        program=program,
    ).values("match_id")


# --- The funnel --------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    people: int | None  # None: not reached yet (completed, before the term's end)
    pairs: int | None  # None: a stage of people only
    url: str
    help: str


def _term_over(program, today):
    return today > program.term_end or program.status == Program.Status.CLOSED


def funnel(*, program, filters, today):
    """[Stage] from invited to opted out. Five queries."""
    org_id = program.organization_id
    slug = program.organization.slug
    invited = (
        Membership.objects.filter(organization_id=org_id, role=Membership.Role.PARTICIPANT).count()
        + Invitation.objects.filter(
            organization_id=org_id,
            role=Membership.Role.PARTICIPANT,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=datetime.combine(today, time.min, tzinfo=program.organization.tzinfo),
        ).count()
    )

    applications = Application.objects.filter(organization_id=org_id, program=program)
    if filters.group:
        applications = applications.filter(group=filters.group)
    if filters.community:
        applications = applications.filter(community=filters.community)
    applied = applications.aggregate(
        applied=Count("pk"), accepted=Count("pk", filter=Q(status=Application.Status.ACCEPTED))
    )

    over = _term_over(program, today)
    zone = zoneinfo.ZoneInfo(program.organization.time_zone)
    term_end_at = datetime.combine(program.term_end, time.min, tzinfo=zone)
    # Subqueries for `IN`, which the database hashes once, rather than a lookup per row.
    signed = Agreement.objects.filter(
        organization_id=org_id, program=program, status=Agreement.Status.SIGNED
    ).values("match_id")
    opted = OptOut.objects.filter(organization_id=org_id, program=program).values("match_id")
    still_there = Q(is_current=True, match__status=Match.Status.ACTIVE)

    members = MatchMember.objects.filter(
        organization_id=org_id, program=program, match__status__in=PUBLISHED
    )
    if filters.active:
        members = members.filter(_person_in(program, filters, "user_id"))
    counts = {
        "paired": Count("user_id", distinct=True),
        "signed": Count("user_id", distinct=True, filter=Q(match_id__in=signed)),
        "active": Count("user_id", distinct=True, filter=still_there),
    }
    if over:  # still together at the term's end: never left, or ended after it without leaving
        left = Exists(
            OptOut.objects.filter(
                organization_id=org_id, match_id=OuterRef("match_id"), user_id=OuterRef("user_id")
            )
        )
        counts["completed"] = Count(
            "user_id",
            distinct=True,
            filter=still_there
            | (Q(match__status=Match.Status.ENDED, match__ended_at__gte=term_end_at) & ~Q(left)),
        )
    people = members.aggregate(**counts)

    matches = Match.objects.filter(organization_id=org_id, program=program, status__in=PUBLISHED)
    scope = pairs_in(program=program, filters=filters)
    if scope is not None:
        matches = matches.filter(pk__in=scope)
    counts = {
        "paired": Count("pk"),
        "signed": Count("pk", filter=Q(pk__in=signed)),
        "active": Count("pk", filter=Q(status=Match.Status.ACTIVE)),
        "opted_out": Count("pk", filter=Q(pk__in=opted)),
    }
    if over:
        counts["completed"] = Count(
            "pk",
            filter=Q(status=Match.Status.ACTIVE)
            | Q(status=Match.Status.ENDED, ended_at__gte=term_end_at),
        )
    pairs = matches.aggregate(**counts)

    opt_outs = OptOut.objects.filter(organization_id=org_id, program=program)
    if filters.active:
        opt_outs = opt_outs.filter(_person_in(program, filters, "user_id"))
    opted_people = opt_outs.aggregate(n=Count("user_id", distinct=True))["n"]

    def url(name, query=""):
        return reverse(name, kwargs={"org_slug": slug, "pk": program.pk}) + query

    unit = _("pairs") if program.is_pairs else _("circles")
    return [
        Stage(
            "invited",
            _("Invited"),
            invited,
            None,
            reverse("accounts:people", kwargs={"org_slug": slug}),
            _(
                "Participants of the organisation and open invitations: everyone who may "
                "apply. Not filtered by group."
            ),
        ),
        Stage(
            "applied",
            _("Applied"),
            applied["applied"],
            None,
            url("programs:applications"),
            _("Every application, whatever its status."),
        ),
        Stage(
            "accepted",
            _("Accepted"),
            applied["accepted"],
            None,
            url("programs:applications", "?status=accepted"),
            _("Applications accepted (paired or waiting for a partner)."),
        ),
        Stage(
            "paired",
            _("Paired"),
            people["paired"],
            pairs["paired"],
            url("programs:matches"),
            _("People in published %(unit)s, still going or ended.") % {"unit": unit},
        ),
        Stage(
            "signed",
            _("Agreement signed"),
            people["signed"],
            pairs["signed"],
            url("agreements:status_list"),
            _("Their coaching agreement is signed by everyone."),
        ),
        Stage(
            "active",
            _("Active"),
            people["active"],
            pairs["active"],
            url("programs:matches"),
            _("Still in their pair or circle today (paused ones included)."),
        ),
        Stage(
            "completed",
            _("Completed"),
            people.get("completed"),
            pairs.get("completed"),
            url("programs:matches"),
            _("Still in their pair or circle when the term ended.")
            if over
            else _("Counted once the term is over.")
            + " "
            + _("The term ends on %(day)s.")
            % {"day": formats.date_format(program.term_end, "LONG_DATE_FORMAT")},
        ),
        Stage(
            "opted_out",
            _("Opted out"),
            opted_people,
            pairs["opted_out"],
            url("sessions:opt_outs"),
            _("People who gave notice and left their pair or circle."),
        ),
    ]


# --- Sessions over the term --------------------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    start: date
    end: date  # inclusive
    label: str
    sessions: int
    per_pair: float
    future: bool  # starts after today: nothing to count yet


@dataclass(frozen=True)
class SessionsOverTime:
    weekly: bool
    buckets: list
    pairs: int  # published pairs in scope, the divisor
    expected: float | None  # sessions per pair per bucket the program's cadence asks for
    total: int


def _bucket_starts(program):
    start, end = program.term_start, program.term_end
    if (end - start).days < WEEKLY_UP_TO_DAYS:
        days = [start + timedelta(days=7 * k) for k in range((end - start).days // 7 + 1)]
        return True, days
    # At most MAX_MONTHS: a mistyped year (a term to 9999) must not make a bucket per
    # month of eight millennia, nor step past the last date there is.
    count = min((end.year - start.year) * 12 + end.month - start.month + 1, MAX_MONTHS)
    months = []
    for k in range(count):
        years, month = divmod(start.month - 1 + k, 12)
        months.append(max(date(start.year + years, month + 1, 1), start))
    return False, months


def sessions_over_time(*, program, filters, today, pairs):
    """Held sessions per week of the term (per month for terms of 30 weeks or more),
    in the organisation's dates, and per pair in scope. One query (a count per day)."""
    zone = zoneinfo.ZoneInfo(program.organization.time_zone)
    sessions = Session.objects.filter(
        organization_id=program.organization_id, program=program, status=Session.Status.HELD
    )
    scope = pairs_in(program=program, filters=filters)
    if scope is not None:
        sessions = sessions.filter(match_id__in=scope)
    per_day = (
        sessions.annotate(day=TruncDate("starts_at", tzinfo=zone))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("day", "n")
    )
    weekly, starts = _bucket_starts(program)
    counts = [0] * len(starts)
    total = 0
    for day, n in per_day:
        if isinstance(day, datetime):  # some backends hand back a datetime at midnight
            day = day.date()
        index = _index(starts, day)
        counts[index] += n
        total += n
    buckets = []
    for index, first in enumerate(starts):
        last = (starts[index + 1] - timedelta(days=1)) if index + 1 < len(starts) else None
        last = min(last or program.term_end, program.term_end)
        label = formats.date_format(
            first, "SHORT_DAY_MONTH_FORMAT" if weekly else "SHORT_MONTH_YEAR_FORMAT"
        )
        buckets.append(
            Bucket(
                start=first,
                end=last,
                label=label,
                sessions=counts[index],
                per_pair=counts[index] / pairs if pairs else 0.0,
                future=first > today,
            )
        )
    every = program.cadence_days or DEFAULT_EVERY_DAYS
    expected = (7 if weekly else 30.44) / every
    return SessionsOverTime(
        weekly=weekly, buckets=buckets, pairs=pairs, expected=expected, total=total
    )


def _index(starts, day):
    """The bucket of `day`: sessions logged before the term count in the first, after it
    in the last."""
    low, high = 0, len(starts) - 1
    if day <= starts[0]:
        return 0
    while low < high:
        middle = (low + high + 1) // 2
        if starts[middle] <= day:
            low = middle
        else:
            high = middle - 1
    return low


# --- Opt-outs and report ratings ---------------------------------------------------------

# Short names of the opt-out reasons for the chart; the table gives the full wording.
REASON_SHORT = {
    OptOut.Reason.NOT_WORKING: gettext_lazy("Not working"),
    OptOut.Reason.NO_TIME: gettext_lazy("No time"),
    OptOut.Reason.MISMATCH: gettext_lazy("Goals or styles differ"),
    OptOut.Reason.PARTNER_ABSENT: gettext_lazy("Partner absent"),
    OptOut.Reason.LEAVING: gettext_lazy("Leaving"),
    OptOut.Reason.OTHER: gettext_lazy("Other"),
}


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    short: str
    label: str
    count: int


def opt_outs_by_reason(*, program, filters):
    """[ReasonCount] for every reason category, in the form's order. One query; the
    written notices are never read."""
    opt_outs = OptOut.objects.filter(organization_id=program.organization_id, program=program)
    if filters.active:
        opt_outs = opt_outs.filter(_person_in(program, filters, "user_id"))
    counts = dict(
        opt_outs.values("reason").annotate(n=Count("pk")).order_by().values_list("reason", "n")
    )
    return [
        ReasonCount(value, str(REASON_SHORT.get(value, label)), str(label), counts.get(value, 0))
        for value, label in OptOut.Reason.choices
    ]


@dataclass(frozen=True)
class PeriodRating:
    period: int
    average: float
    reports: int


def report_ratings(*, program, filters):
    """[PeriodRating]: the average overall rating of the progress reports of each
    reporting period (1, 2...), from the ratings alone. One query."""
    reports = ProgressReport.objects.filter(
        organization_id=program.organization_id, program=program
    )
    if filters.active:
        reports = reports.filter(_person_in(program, filters, "author_id"))
    rows = (
        reports.values("period")
        .annotate(average=Avg("rating"), n=Count("pk"))
        .order_by("period")
        .values_list("period", "average", "n")
    )
    return [PeriodRating(period, float(average), n) for period, average, n in rows]


# --- Pairs at risk -----------------------------------------------------------------------


@dataclass(frozen=True)
class RiskSummary:
    total: int
    by_rule: list = field(default_factory=list)  # [(rule, label, count)]


def risks_for(*, program, filters, now):
    """(risks, summary): the program's pairs at risk within the filter, those with the
    most reasons first, and how many for each reason."""
    found = pairs_at_risk(
        organization=program.organization,
        now=now,
        program=program,
        match_ids=pairs_in(program=program, filters=filters),
    )
    found.sort(key=lambda risk: (-len(risk.reasons), risk.match.pk))
    labels = rule_labels()
    by_rule = [
        (rule, labels[rule], sum(1 for risk in found if rule in risk.rules)) for rule in Rule.ALL
    ]
    return found, RiskSummary(total=len(found), by_rule=by_rule)


def nudged_today(*, program, match_ids, now):
    """The ids of `match_ids` a coordinator nudged today (the organisation's date).
    One query."""
    if not match_ids:
        return set()
    today = local_date(now, program.organization.time_zone)
    periods = {nudge_period(match_id, today): match_id for match_id in match_ids}
    return {
        periods[period]
        for period in Delivery.objects.filter(
            organization_id=program.organization_id, kind=Kind.NUDGE, period__in=list(periods)
        ).values_list("period", flat=True)
    }


# --- Everything the page shows -----------------------------------------------------------


@dataclass
class Dashboard:
    program: Program
    filters: Filters
    today: date
    funnel: list
    sessions: SessionsOverTime
    opt_outs: list
    ratings: list
    risks: list
    risk_summary: RiskSummary


def dashboard_read(*, program, filters, now):
    """The program's dashboard within `filters`. Eighteen to twenty queries."""
    today = local_date(now, program.organization.time_zone)
    stages = funnel(program=program, filters=filters, today=today)
    pairs = next(stage.pairs for stage in stages if stage.key == "paired")
    risks, summary = risks_for(program=program, filters=filters, now=now)
    return Dashboard(
        program=program,
        filters=filters,
        today=today,
        funnel=stages,
        sessions=sessions_over_time(program=program, filters=filters, today=today, pairs=pairs),
        opt_outs=opt_outs_by_reason(program=program, filters=filters),
        ratings=report_ratings(program=program, filters=filters),
        risks=risks,
        risk_summary=summary,
    )
