"""Reads for the coordinators' CSV exports of a program: applications, pairs, session
activity and opt-outs.

Each export is an `ExportTable`: a header, its row count, and rows produced lazily from
querysets built (inside the tenant's scope) when the table is made. Reading the rows
runs a fixed number of queries whatever their number, read in chunks, so a file of
100,000 sessions streams without being held in memory.

What a file may hold is decided here, column by column, from `values_list`: the
coordinators see activity and status, so private notes, self-reflections, session
notes, topics, next steps, preparation, feedback, progress-report answers, opt-out
notices and concerns are never even read. Statuses and categories are written as
their short codes (`no_time`, `held`) so that files compare across languages and terms;
the header row is in the requesting person's language (each `*_HEADER` is (code, title)
pairs, its titles rendered when the table is made).
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from agreements.models import Agreement
from peercoach.tenancy.zones import zone_of
from peercoach.web.csvio import csv_titles
from programs.models import Application, Match, MatchMember, Program
from programs.selectors.applications import applications_table
from sessions.models import OptOut, ProgressReport, Session, SessionPart

CHUNK = 2000

APPLICATIONS, PAIRS, SESSIONS, OPT_OUTS = "applications", "pairs", "sessions", "opt-outs"
KINDS = (APPLICATIONS, PAIRS, SESSIONS, OPT_OUTS)

# Why a published pair or circle ended (`end_reason`), from facts rather than the text
# written when it ended (which can quote a shared opt-out notice).
END_OPT_OUT = "opt_out"
END_PROGRAM_TEAM = "program_team"
END_ACCOUNT_DELETED = "account_deleted"
END_OTHER = "other"

FORMER_PARTICIPANT = _("Former participant")


@dataclass(frozen=True)
class Filters:
    """Only the people of one group and/or community (as on their applications)."""

    group: str = ""
    community: str = ""

    def __bool__(self):
        return bool(self.group or self.community)


@dataclass
class ExportTable:
    kind: str
    header: list  # the column titles, as text in the language active when it was made
    count: int
    rows: Any  # an iterator of lists, read once


# --- Shared pieces ---------------------------------------------------------------------


def export_filename(*, program, kind, today):
    """`<program-slug>-<kind>-<date>.csv`; the program's id when its name has no ASCII
    letters or digits to make a slug of."""
    stem = slugify(program.name)[:60].strip("-") or str(program.pk)
    return f"{stem}-{kind}-{today.isoformat()}.csv"


def _day(value, zone):
    return value.astimezone(zone).date().isoformat() if value else ""


def _minute(value, zone):
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else ""


def _name(first, last, email, deleted_at):
    """A person as `User.display_name` shows them, from joined columns."""
    if email is None:  # the account is gone altogether (SET_NULL)
        return ""
    if deleted_at is not None:
        return str(FORMER_PARTICIPANT)
    return f"{first} {last}".strip() or email


def _email(email, deleted_at):
    # A deleted account keeps a placeholder address that says nothing useful.
    return "" if email is None or deleted_at is not None else email


def _yes_no(value):
    return "yes" if value else "no"


def filter_choices(*, program):
    """(groups, communities) named on the program's applications, sorted; one query."""
    pairs = (
        Application.objects.filter(organization=program.organization, program=program)
        .order_by()
        .values_list("group", "community")
        .distinct()
    )
    groups, communities = set(), set()
    for group, community in pairs:
        groups.add(group)
        communities.add(community)
    groups.discard("")
    communities.discard("")
    return sorted(groups, key=str.casefold), sorted(communities, key=str.casefold)


def _applications(program, filters):
    rows = Application.objects.filter(organization=program.organization, program=program)
    if filters.group:
        rows = rows.filter(group=filters.group)
    if filters.community:
        rows = rows.filter(community=filters.community)
    return rows


def _matches(program, filters):
    """The program's published pairs or circles (active or ended); with `filters`, those
    with at least one member whose application is in the group / community."""
    organization = program.organization
    matches = Match.objects.filter(
        organization=organization,
        program=program,
        status__in=[Match.Status.ACTIVE, Match.Status.ENDED],
    )
    if filters:
        applications = _applications(program, filters).filter(user_id=OuterRef("user_id"))
        members = MatchMember.objects.filter(organization=organization, match=OuterRef("pk"))
        matches = matches.filter(Exists(members.filter(Exists(applications))))
    return matches


def _of_matches(queryset, program, filters):
    if filters:
        return queryset.filter(match_id__in=_matches(program, filters).values("pk"))
    return queryset


def _sessions(program, filters):
    rows = Session.objects.filter(organization=program.organization, program=program)
    return _of_matches(rows, program, filters)


def _opt_outs(program, filters):
    rows = OptOut.objects.filter(organization=program.organization, program=program)
    return _of_matches(rows, program, filters)


def export_counts(*, program, filters=Filters()):
    """{kind: rows its file would have}; four queries."""
    return {
        APPLICATIONS: _applications(program, filters).count(),
        PAIRS: _matches(program, filters).count(),
        SESSIONS: _sessions(program, filters).count(),
        OPT_OUTS: _opt_outs(program, filters).count(),
    }


def export_table(*, program, kind, filters=Filters()):
    """The ExportTable of `kind` (one of KINDS) for `program`; KeyError for another kind.

    Counts its rows now (one query); the rows are read when iterated.
    """
    return {
        APPLICATIONS: applications_export,
        PAIRS: pairs_export,
        SESSIONS: sessions_export,
        OPT_OUTS: opt_outs_export,
    }[kind](program=program, filters=filters)


# --- Applications ------------------------------------------------------------------------


def applications_export(*, program, filters=Filters()):
    """The same file as the applications page's export (it imports back into a program)."""
    header, rows = applications_table(
        program=program, group=filters.group, community=filters.community
    )
    return ExportTable(
        kind=APPLICATIONS,
        header=header,
        count=_applications(program, filters).count(),
        rows=rows,
    )


# --- Pairs -------------------------------------------------------------------------------

PAIR_HEADER = (
    ("pair_id", _("Pair")),
    ("format", _("Format")),
    ("status", _("Status")),
    ("member_names", _("Members")),
    ("member_emails", _("Members' emails")),
    ("member_roles", _("Members' roles")),
    ("members_who_left", _("Members who left")),
    ("created_on", _("Created on")),
    ("published_on", _("Published on")),
    ("ended_on", _("Ended on")),
    ("end_reason", _("Why it ended")),
    ("opt_out_reason", _("Opt-out reason")),
    ("agreement_status", _("Agreement")),
    ("agreement_signed_on", _("Agreement signed on")),
    ("sessions_held", _("Sessions held")),
    ("last_session_on", _("Last session on")),
    ("progress_reports", _("Progress reports")),
)

PAIR_COLUMNS = (
    "id",
    "status",
    "created_at",
    "published_at",
    "ended_at",
    "ended_by_id",
    "ended_by__deleted_at",
    "opt_out_reason",
    "agreement_signed_at",
    "agreement_open",
    "sessions_held",
    "last_session_at",
    "progress_reports",
)

MEMBER_COLUMNS = (
    "match_id",
    "user_id",
    "role",
    "is_current",
    "user__first_name",
    "user__last_name",
    "user__email",
    "user__deleted_at",
)


def _count_of(queryset):
    """A correlated COUNT(*) of `queryset` (filtered on an OuterRef), 0 when none."""
    counted = queryset.order_by().values("organization").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), 0)


def _pair_queries(program, filters):
    organization = program.organization
    pair = OuterRef("pk")
    held = Session.objects.filter(organization=organization, match=pair, status=Session.Status.HELD)
    agreements = Agreement.objects.filter(organization=organization, match=pair)
    matches = (
        _matches(program, filters)
        .annotate(
            # The opt-out of the person whose leaving ended it: its category only.
            opt_out_reason=Subquery(
                OptOut.objects.filter(
                    organization=organization, match=pair, user=OuterRef("ended_by")
                ).values("reason")[:1]
            ),
            agreement_signed_at=Subquery(
                agreements.filter(status=Agreement.Status.SIGNED).values("signed_at")[:1]
            ),
            agreement_open=Exists(agreements.filter(status=Agreement.Status.OPEN)),
            sessions_held=_count_of(held),
            last_session_at=Subquery(held.order_by("-starts_at").values("starts_at")[:1]),
            progress_reports=_count_of(
                ProgressReport.objects.filter(organization=organization, match=pair)
            ),
        )
        .order_by("id")
        .values(*PAIR_COLUMNS)
    )
    members = (
        MatchMember.objects.filter(
            organization=organization, match_id__in=_matches(program, filters).values("pk")
        )
        .order_by("match_id", "position", "id")
        .values(*MEMBER_COLUMNS)
    )
    return matches, members


def _end_reason(pair, members):
    if pair["status"] != Match.Status.ENDED:
        return ""
    if pair["opt_out_reason"]:
        return END_OPT_OUT
    if pair["ended_by_id"] is None:
        return END_OTHER
    if pair["ended_by_id"] not in {m["user_id"] for m in members}:
        return END_PROGRAM_TEAM
    if pair["ended_by__deleted_at"] is not None:
        return END_ACCOUNT_DELETED
    return END_OTHER


def _agreement_status(pair):
    if pair["agreement_signed_at"] is not None:
        return "signed"  # an amendment being signed leaves the signed one in force
    return "open" if pair["agreement_open"] else "none"


def _with_members(pairs, members):
    """(pair, its members) for each pair: both are read in match id order and merged, so
    neither is held in memory beyond one pair."""
    members = iter(members)
    pending = next(members, None)
    for pair in pairs:
        group = []
        while pending is not None and pending["match_id"] <= pair["id"]:
            if pending["match_id"] == pair["id"]:
                group.append(pending)
            pending = next(members, None)
        yield pair, group


def _member_name(m):
    return _name(
        m["user__first_name"], m["user__last_name"], m["user__email"], m["user__deleted_at"]
    )


def pairs_export(*, program, filters=Filters()):
    """One row per published pair or circle: who, its dates, why it ended (a category,
    never the text), its agreement's status, and counts of sessions and reports."""
    zone = zone_of(None, program.organization)
    matches, members = _pair_queries(program, filters)
    fmt = program.format

    def rows():
        pairs = matches.iterator(chunk_size=CHUNK)
        for pair, group in _with_members(pairs, members.iterator(chunk_size=CHUNK)):
            active = pair["status"] == Match.Status.ACTIVE
            yield [
                pair["id"],
                fmt,
                pair["status"],
                "; ".join(_member_name(m) for m in group),
                "; ".join(_email(m["user__email"], m["user__deleted_at"]) for m in group),
                "; ".join(m["role"] for m in group),
                # A circle goes on when one member opts out; a pair ends.
                "; ".join(_member_name(m) for m in group if active and not m["is_current"]),
                _day(pair["created_at"], zone),
                _day(pair["published_at"], zone),
                _day(pair["ended_at"], zone),
                _end_reason(pair, group),
                pair["opt_out_reason"] or "",
                _agreement_status(pair),
                _day(pair["agreement_signed_at"], zone),
                pair["sessions_held"],
                _day(pair["last_session_at"], zone),
                pair["progress_reports"],
            ]

    return ExportTable(
        kind=PAIRS,
        header=csv_titles(PAIR_HEADER),
        count=_matches(program, filters).count(),
        rows=rows(),
    )


# --- Session activity ----------------------------------------------------------------------

SESSION_HEADER = (
    ("session_id", _("Session")),
    ("pair_id", _("Pair")),
    ("starts_at", _("Starts at")),
    ("duration_minutes", _("Duration (minutes)")),
    ("modality", _("Modality")),
    ("status", _("Status")),
    ("logged_by", _("Logged by")),
    ("attended", _("Attended")),
)

# Never `note`, `location`, `topics`, `next_steps` or `shared_notes`: the pair's content.
SESSION_COLUMNS = (
    "id",
    "match_id",
    "starts_at",
    "duration_minutes",
    "modality",
    "status",
    "logged_by__first_name",
    "logged_by__last_name",
    "logged_by__email",
    "logged_by__deleted_at",
)


def sessions_export(*, program, filters=Filters()):
    """One row per session of the program, scheduled, cancelled or held: when, how long,
    how, its status and who logged it; for circles, how many members attended."""
    zone = zone_of(None, program.organization)
    is_circle = program.format == Program.Format.CIRCLE
    sessions = _sessions(program, filters)
    rows_qs = sessions.order_by("starts_at", "id")
    if is_circle:
        # A held circle session has one part per member who attended.
        parts = SessionPart.objects.filter(
            organization=program.organization, session=OuterRef("pk")
        )
        rows_qs = rows_qs.annotate(attended=_count_of(parts))
    rows_qs = rows_qs.values_list(*SESSION_COLUMNS, *(("attended",) if is_circle else ()))

    def rows():
        for row in rows_qs.iterator(chunk_size=CHUNK):
            (pk, match_id, starts_at, minutes, modality, status, *logger) = row[:10]
            held = status == Session.Status.HELD
            yield [
                pk,
                match_id,
                _minute(starts_at, zone),
                minutes,
                modality,
                status,
                _name(*logger) if held else "",
                row[10] if is_circle and held else "",
            ]

    return ExportTable(
        kind=SESSIONS, header=csv_titles(SESSION_HEADER), count=sessions.count(), rows=rows()
    )


# --- Opt-outs --------------------------------------------------------------------------------

OPT_OUT_HEADER = (
    ("opted_out_on", _("Opted out on")),
    ("pair_id", _("Pair")),
    ("name", _("Name")),
    ("email", _("Email")),
    ("reason", _("Reason")),
    ("notice_shared_with_team", _("Notice shared with the team")),
    ("handled", _("Handled")),
    ("handled_on", _("Handled on")),
)

# Never `notice`: whether it was shared is all the file says.
OPT_OUT_COLUMNS = (
    "created_at",
    "match_id",
    "user__first_name",
    "user__last_name",
    "user__email",
    "user__deleted_at",
    "reason",
    "notice_shared",
    "handled_at",
)


def opt_outs_export(*, program, filters=Filters()):
    """One row per opt-out: when, which pair, who, the reason category, whether the
    notice was shared with the team (not the notice), and whether it was handled."""
    zone = zone_of(None, program.organization)
    opt_outs = _opt_outs(program, filters)
    rows_qs = opt_outs.order_by("created_at", "id").values_list(*OPT_OUT_COLUMNS)

    def rows():
        for (
            created,
            match_id,
            first,
            last,
            email,
            deleted,
            reason,
            shared,
            handled,
        ) in rows_qs.iterator(chunk_size=CHUNK):
            yield [
                _day(created, zone),
                match_id,
                _name(first, last, email, deleted),
                _email(email, deleted),
                reason,
                _yes_no(shared),
                _yes_no(handled),
                _day(handled, zone),
            ]

    return ExportTable(
        kind=OPT_OUTS, header=csv_titles(OPT_OUT_HEADER), count=opt_outs.count(), rows=rows()
    )
