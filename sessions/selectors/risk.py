"""Pairs at risk: the active pairs and circles that need a word from the program team,
and why. One definition, read by the program dashboard and the coordinators' weekly
digest (sessions.reminders.digest).

A pair is at risk today (the organisation's date) for any of these reasons:

- **cadence**: no session held within the agreed frequency plus a week's grace
  (`GRACE_DAYS`), counted from the last held session or the pair's first day, paused
  days left out; only while the term runs. A pair that has not met yet has at least
  three weeks (`FIRST_SESSION_DAYS`) before the grace starts (`behind_after`, shared
  with the nudges). The agreed frequency is the signed
  agreement's, else the program's cadence, else monthly (sessions.reminders.common).
- **report**: a member's progress report is more than a week (`AGAIN_DAYS`) past its due
  date (the periods of sessions.selectors.reports).
- **agreement**: the agreement is still unsigned a week (`DIGEST_AGREEMENT_DAYS`) after
  it was started, and none is in force.
- **rating**: the pair's end-of-session feedback rates low lately: the average of the
  ratings given for sessions held in the last `LOW_RATING_DAYS` days is `LOW_RATING` or
  less, out of 5 (one rating is enough).

Paused pairs are never at risk, nor are ended pairs (only active ones are read). Reasons
are written from names, dates and counts: nothing a participant wrote.

The pairs are read as plain values (`watched_pairs`), not model instances: the same
pairs, first days and rhythms as the reminder rules' `active_pairs`, through the same
`pair_states`, for a fraction of the time on a program of thousands of pairs.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.models import AbstractUser
from django.db.models import Avg, Count
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agreements.models import Agreement, Signature
from peercoach.accounts.models import User
from peercoach.formats import fixed_text
from peercoach.notifications.rules import day_text, local_date, names_text
from programs.models import Match, Program
from programs.selectors.members import current_members, recipients

from ..models import Feedback, Session
from ..reminders.common import (
    AGAIN_DAYS,
    DIGEST_AGREEMENT_DAYS,
    PairState,
    behind_after,
    gap_days,
    last_held_days,
    narrowed,
    pair_states,
    report_schedule,
    reported_periods,
    since_day,
)
from .reports import period_to_report

LOW_RATING = 2  # out of 5: an average at or below this is a risk
LOW_RATING_DAYS = 42  # the ratings of the sessions held this recently count


class Rule:
    CADENCE = "cadence"
    REPORT = "report"
    AGREEMENT = "agreement"
    RATING = "rating"

    ALL = (CADENCE, REPORT, AGREEMENT, RATING)


def rule_labels():
    """{rule: short label}, for summaries and filters."""
    return {
        Rule.CADENCE: _("No session within the agreed rhythm"),
        Rule.REPORT: _("Progress report overdue"),
        Rule.AGREEMENT: _("Agreement unsigned"),
        Rule.RATING: _("Low feedback ratings"),
    }


@dataclass(frozen=True)
class Reason:
    rule: str  # a Rule
    text: str
    path: str  # the program team's page where it can be followed up (site-relative)


@dataclass
class PairRisk:
    pair: PairState
    reasons: list = field(default_factory=list)

    @property
    def match(self):
        return self.pair.match

    @property
    def program(self):
        return self.pair.program

    @property
    def names(self):
        return self.pair.names()

    @property
    def rules(self):
        return [reason.rule for reason in self.reasons]


# --- The pairs, as values ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MatchRef:
    """What the rules read of a pair's Match."""

    pk: int
    program_id: int
    published_at: object
    created_at: object

    @property
    def id(self):
        return self.pk


class Person:
    """What the rules read of a member's account; `display_name` is the account's own."""

    __slots__ = ("pk", "first_name", "last_name", "email", "is_active", "deleted_at")

    get_full_name = AbstractUser.get_full_name
    display_name = User.display_name

    def __init__(self, pk, first_name, last_name, email, is_active, deleted_at):
        self.pk = pk
        self.first_name = first_name
        self.last_name = last_name
        self.email = email
        self.is_active = is_active
        self.deleted_at = deleted_at


@dataclass(frozen=True, slots=True)
class Member:
    """A current member of a pair, as `programs.selectors.members.recipients` reads one."""

    user_id: int
    user: Person
    in_organization: bool


MEMBER_VALUES = (
    "match_id",
    "user_id",
    "user__first_name",
    "user__last_name",
    "user__email",
    "user__is_active",
    "user__deleted_at",
    "in_organization",
)


def watched_pairs(organization, *, program=None, match_ids=None, programs=None):
    """[PairState] of the active pairs in programs not closed, as
    `sessions.reminders.common.active_pairs` makes them but from values: the match is a
    `MatchRef`, the members `Member`s. Four queries narrowed to a program, five across
    the organisation (its programs), and one more for signed texts not read yet.
    `programs`: {pk: Program} of every program not closed, when the caller has read them
    already (the coordinator's home): then four queries across the organisation too."""
    only = {}
    if program is not None:
        only["program_id"] = program.pk
    if match_ids is not None:
        only["pk__in"] = match_ids
    rows = list(
        Match.objects.filter(organization=organization, status=Match.Status.ACTIVE, **only)
        .exclude(program__status=Program.Status.CLOSED)
        .order_by("id")
        .values_list("id", "program_id", "published_at", "created_at")
    )
    if not rows:
        return []
    if program is not None:
        programs = {program.pk: program}
    elif programs is None:
        programs = Program.objects.filter(organization=organization).in_bulk(
            {row[1] for row in rows}
        )
    narrow = {"program": program, "match_ids": match_ids}
    members = {}
    for match_id, user_id, *account, in_organization in current_members(
        organization=organization, **narrowed(**narrow)
    ).values_list(*MEMBER_VALUES):
        members.setdefault(match_id, []).append(
            Member(user_id, Person(user_id, *account), in_organization)
        )
    matches = [(MatchRef(*row), programs[row[1]]) for row in rows]
    return pair_states(organization, matches, members, **narrow)


# --- The rules -----------------------------------------------------------------------------


def pairs_at_risk(*, organization, now, program=None, match_ids=None, programs=None):
    """[PairRisk] of the organisation's active pairs at risk today (see the module
    docstring), in pair order; only `program`'s, or only the pairs `match_ids`, when
    given. Nine to eleven queries, whatever the number of pairs and sessions; one fewer
    with `programs` (see `watched_pairs`)."""
    narrow = {"program": program, "match_ids": match_ids}
    pairs = watched_pairs(organization, programs=programs, **narrow)
    if not pairs:
        return []
    today = local_date(now, organization.time_zone)
    last_held = last_held_days(organization, **narrow)
    reported = reported_periods(organization, **narrow)
    unsigned, signed_by = _unsigned_agreements(organization, now, narrow)
    ratings = _recent_ratings(organization, now, narrow)
    pages = _Pages(organization)
    found = []
    for pair in pairs:
        if pair.paused(today):
            continue
        reasons = [
            reason
            for reason in (
                _cadence(pair, today, last_held, pages),
                _report(pair, today, reported, organization, pages),
                _agreement(pair, today, unsigned, signed_by, organization, pages),
                _rating(pair, ratings, pages),
            )
            if reason is not None
        ]
        if reasons:
            found.append(PairRisk(pair=pair, reasons=reasons))
    return found


class _Pages:
    """The program team's pages of each program, reversed once per program, not per pair."""

    def __init__(self, organization):
        self.slug = organization.slug
        self.found = {}

    def __call__(self, name, pair):
        key = (name, pair.program.pk)
        if key not in self.found:
            self.found[key] = reverse(name, kwargs={"org_slug": self.slug, "pk": pair.program.pk})
        return self.found[key]


def _cadence(pair, today, last_held, pages):
    since = since_day(pair, last_held)
    if not pair.in_term(today) or gap_days(pair, since, today) <= behind_after(pair, last_held):
        return None
    days = (today - since).days
    if pair.match.pk in last_held:
        text = ngettext(
            "No session held for %(days)s day.", "No session held for %(days)s days.", days
        )
    else:
        text = ngettext(
            "No session held since the pair started %(days)s day ago.",
            "No session held since the pair started %(days)s days ago.",
            days,
        )
    text %= {"days": days}
    if pair.frequency:
        rhythm = pair.frequency[:1].lower() + pair.frequency[1:]
        text += " " + _("Their rhythm: %(frequency)s.") % {"frequency": rhythm}
    return Reason(Rule.CADENCE, text, pages("programs:matches", pair))


def _report(pair, today, reported, organization, pages):
    schedule = report_schedule(pair, organization)
    late = []
    for member in recipients(pair.members):
        period, due = period_to_report(
            schedule, reported.get((pair.match.pk, member.user_id), set()), today
        )
        if due and schedule.period_end(period) + timedelta(days=AGAIN_DAYS) < today:
            late.append((member.user.display_name, schedule.period_end(period)))
    if not late:
        return None
    text = _("Progress report overdue (due %(day)s) from %(names)s.") % {
        "day": day_text(min(day for _n, day in late)),
        "names": names_text(name for name, _d in late),
    }
    return Reason(Rule.REPORT, text, pages("sessions:program_reports", pair))


def _unsigned_agreements(organization, now, narrow):
    """({match_id: open Agreement started long enough ago, with no signed one}, {(agreement
    id, signer id)} of their valid signatures). Two queries."""
    unsigned = {
        a.match_id: a
        for a in Agreement.objects.filter(
            organization=organization,
            status=Agreement.Status.OPEN,
            match__status=Match.Status.ACTIVE,
            created_at__lte=now - timedelta(days=DIGEST_AGREEMENT_DAYS),
            **narrowed(**narrow),
        )
        .exclude(match__agreements__status=Agreement.Status.SIGNED)
        .only("id", "match_id", "created_at")
        .order_by("id")
    }
    signed_by = set(
        Signature.objects.filter(
            organization=organization,
            agreement_id__in=[a.pk for a in unsigned.values()],
            voided_at__isnull=True,
        ).values_list("agreement_id", "signer_id")
    )
    return unsigned, signed_by


def _agreement(pair, today, unsigned, signed_by, organization, pages):
    agreement = unsigned.get(pair.match.pk)
    if agreement is None:
        return None
    waiting = [
        m.user.display_name for m in pair.members if (agreement.pk, m.user_id) not in signed_by
    ]
    days = (today - local_date(agreement.created_at, organization.time_zone)).days
    text = ngettext(
        "Agreement not signed %(days)s day after it was started; waiting for %(names)s.",
        "Agreement not signed %(days)s days after it was started; waiting for %(names)s.",
        days,
    ) % {"days": days, "names": names_text(waiting)}
    return Reason(Rule.AGREEMENT, text, pages("agreements:status_list", pair))


def _recent_ratings(organization, now, narrow):
    """{match_id: (average, count)} of the end-of-session feedback ratings on each active
    pair's sessions held in the last LOW_RATING_DAYS days. One query."""
    filters = {f"session__{key}": value for key, value in narrowed(**narrow).items()}
    rows = (
        Feedback.objects.filter(
            organization=organization,
            session__match__status=Match.Status.ACTIVE,
            session__status=Session.Status.HELD,
            session__starts_at__gte=now - timedelta(days=LOW_RATING_DAYS),
            session__starts_at__lte=now,
            **filters,
        )
        .values("session__match_id")
        .annotate(average=Avg("rating"), n=Count("pk"))
        .order_by()
        .values_list("session__match_id", "average", "n")
    )
    return {match_id: (float(average), n) for match_id, average, n in rows}


def _rating(pair, ratings, pages):
    average, n = ratings.get(pair.match.pk, (None, 0))
    if not n or average > LOW_RATING:
        return None
    text = ngettext(
        "Low feedback rating lately: %(average)s out of 5 (one rating in %(weeks)s weeks).",
        "Low feedback ratings lately: %(average)s out of 5 on average (%(n)s ratings in "
        "%(weeks)s weeks).",
        n,
    ) % {"average": fixed_text(average, 1), "n": n, "weeks": LOW_RATING_DAYS // 7}
    return Reason(Rule.RATING, text, pages("sessions:program_reports", pair))
