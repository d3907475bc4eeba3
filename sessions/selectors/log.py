"""Reads for logged sessions: the session page, feedback, the checklist, activity counts.

Every read is scoped to one organisation, and each page's lists load in a fixed number
of queries. Private content is filtered in SQL, never after loading: a query for
someone's page only ever fetches *their* private note and reflection, and only the
feedback comments they may read (their own, and those addressed to them).

Who counts as what, in a held session's parts:
- pairs: the coachee of a part with minutes gives feedback to its coach; the coach of a
  part with minutes writes a self-reflection;
- circles: every attendee (the coachee of a part) gives feedback to the circle and
  writes a self-reflection (in a circle everyone coaches); the attendees of that session
  read the circle's feedback.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from programs.models import MatchMember, Program

from ..access import is_writable
from ..models import (
    Checklist,
    Feedback,
    Goal,
    Preparation,
    PrivateNote,
    Reflection,
    Session,
    SessionPart,
)

LOGGABLE = (Session.Status.PROPOSED, Session.Status.SCHEDULED, Session.Status.HELD)


# --- Roles in a session -----------------------------------------------------------------


def is_circle(program):
    return program.format == Program.Format.CIRCLE


def feedback_part(parts, user_id, *, circle):
    """The part on which `user_id` was coached (and so may give feedback), or None."""
    for part in parts:
        if part.coachee_id != user_id:
            continue
        if circle or (part.coach_id is not None and part.minutes > 0):
            return part
    return None


def coached_in(parts, user_id, *, circle):
    """Whether `user_id` coached in this session (and so may write a self-reflection)."""
    if circle:
        return any(part.coachee_id == user_id for part in parts)
    return any(part.coach_id == user_id and part.minutes > 0 for part in parts)


def may_prepare(match_member, program):
    """Whether this member prepares sessions: the person coached (one-way: the peer)."""
    if program.format == Program.Format.ONE_WAY:
        return match_member.role == MatchMember.Role.COACHEE
    return True


# --- Loading ----------------------------------------------------------------------------


def members_of(match, *, current_only=False):
    """The pair's or circle's members with their users, in order."""
    rows = MatchMember.objects.filter(organization=match.organization, match=match)
    if current_only:
        rows = rows.filter(is_current=True)
    return list(rows.select_related("user").order_by("position", "id"))


def parts_of(session):
    return list(
        SessionPart.objects.filter(organization=session.organization, session=session)
        .select_related("coach", "coachee")
        .order_by("position", "id")
    )


def private_note_of(session, user):
    """The private note `user` wrote on `session` (only ever their own), or None."""
    return PrivateNote.objects.filter(
        organization=session.organization, session=session, author=user
    ).first()


def reflection_of(session, user):
    """The self-reflection `user` wrote on `session` (only ever their own), or None."""
    return Reflection.objects.filter(
        organization=session.organization, session=session, author=user
    ).first()


def my_feedback(session, user):
    """The feedback `user` gave on `session` (at most one: one coach per person coached)."""
    return (
        Feedback.objects.filter(organization=session.organization, session=session, author=user)
        .select_related("coach")
        .first()
    )


def readable_feedback(session, user, *, attended_circle):
    """Feedback rows on `session` that `user` may read: what they gave, what their coachee
    gave them and, for a circle attendee, what the circle was given."""
    allowed = Q(author=user) | Q(coach=user)
    if attended_circle:
        allowed |= Q(coach__isnull=True)
    return list(
        Feedback.objects.filter(allowed, organization=session.organization, session=session)
        .select_related("author", "coach")
        .order_by("created_at", "id")
    )


def preparations_of(session):
    return list(
        Preparation.objects.filter(organization=session.organization, session=session)
        .select_related("author")
        .order_by("id")
    )


# --- Pages ------------------------------------------------------------------------------


@dataclass
class PartView:
    """One part of a held session as a page shows it."""

    part: SessionPart
    mine_as_coach: bool
    mine_as_coachee: bool


def session_page(*, session, user):
    """Everything the session page shows to `user`, a member (current or former) of the
    session's pair or circle. Constant queries, whatever the number of parts, topics,
    feedback rows or preparations."""
    match = session.match
    program = session.program
    circle = is_circle(program)
    parts = parts_of(session) if session.status == Session.Status.HELD else []
    attended = circle and any(part.coachee_id == user.pk for part in parts)
    feedback = readable_feedback(session, user, attended_circle=attended) if parts else []
    given = next((row for row in feedback if row.author_id == user.pk), None)
    received = [row for row in feedback if row.author_id != user.pk]
    writable = is_writable(match)
    target = feedback_part(parts, user.pk, circle=circle)
    can_reflect = coached_in(parts, user.pk, circle=circle)
    under_minimum = [part for part in parts if part.under_minimum]
    return {
        "session": session,
        "match": match,
        "program": program,
        "circle": circle,
        "members": members_of(match),
        "parts": [
            PartView(
                part=part,
                mine_as_coach=part.coach_id == user.pk,
                mine_as_coachee=part.coachee_id == user.pk,
            )
            for part in parts
        ],
        "parts_minutes": sum(part.minutes for part in parts),
        "under_minimum": under_minimum,
        "private_note": private_note_of(session, user),
        "feedback_given": given,
        "feedback_received": received,
        "feedback_target": target,
        "can_reflect": can_reflect,
        "reflection": reflection_of(session, user) if can_reflect else None,
        "preparations": preparations_of(session) if program.session_preparation else [],
        "may_prepare": (
            program.session_preparation
            and session.is_upcoming
            and writable
            and may_prepare(match.me, program)
        ),
        "writable": writable,
        # A session still ahead cannot be logged as held yet.
        "loggable": writable
        and session.status in LOGGABLE
        and (session.status == Session.Status.HELD or session.starts_at <= timezone.now()),
    }


def recent_held(match, *, days=14, now=None):
    """Held sessions of the last `days`, newest first: shown on the log page so that the
    second person edits the log their partner already wrote instead of logging twice."""
    now = now or timezone.now()
    return list(
        Session.objects.filter(
            organization=match.organization,
            match=match,
            status=Session.Status.HELD,
            starts_at__gte=now - timedelta(days=days),
        )
        .select_related("logged_by")
        .order_by("-starts_at", "-id")[:5]
    )


def _parse_time(value):
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


@dataclass
class ChecklistRow:
    key: str
    label: str
    done: bool
    by: object = None  # the user who ticked it, or None
    at: datetime | None = None  # when it was ticked
    hint: str = ""


def checklist_page(*, match, now=None):
    """The pair's first-session checklist: each item, who ticked it and when, and hints
    where the app can see the point looks covered (two sessions ahead, everyone has a
    goal). Hints never tick anything."""
    now = now or timezone.now()
    checklist = Checklist.objects.filter(organization=match.organization, match=match).first()
    done = checklist.done if checklist else {}
    members = members_of(match, current_only=True)
    member_ids = [member.user_id for member in members]
    upcoming = Session.objects.filter(
        organization=match.organization,
        match=match,
        status__in=Session.UPCOMING,
        starts_at__gt=now,
    ).count()
    with_goals = set(
        Goal.objects.filter(
            organization=match.organization,
            plan__program_id=match.program_id,
            plan__user_id__in=member_ids,
        )
        .values_list("plan__user_id", flat=True)
        .distinct()
    )
    ticker_ids = {entry.get("by") for entry in done.values() if isinstance(entry, dict)}
    tickers = {
        user.pk: user
        for user in get_user_model().objects.filter(pk__in=[pk for pk in ticker_ids if pk])
    }
    hints = {}
    if upcoming >= 2:
        hints["scheduled_ahead"] = _("You have %(n)d sessions scheduled ahead.") % {"n": upcoming}
    if member_ids and set(member_ids) <= with_goals:
        hints["goals_set"] = _("Each of you has at least one goal in your plan.")
    rows = []
    for key, label in Checklist.ITEMS:
        entry = done.get(key)
        entry = entry if isinstance(entry, dict) else None
        rows.append(
            ChecklistRow(
                key=key,
                label=str(label),
                done=entry is not None,
                by=tickers.get(entry.get("by")) if entry else None,
                at=_parse_time(entry.get("at")) if entry else None,
                hint=hints.get(key, ""),
            )
        )
    return {"checklist": checklist, "rows": rows, "members": members}


# --- For other areas --------------------------------------------------------------------


def held_for_matches(*, organization, match_ids):
    """{match_id: {"count": held sessions, "last": the latest held Session or None}} for
    many pairs or circles, in two queries whatever their number."""
    match_ids = list(match_ids)
    result = {match_id: {"count": 0, "last": None} for match_id in match_ids}
    if not match_ids:
        return result
    held = Session.objects.filter(
        organization=organization, match_id__in=match_ids, status=Session.Status.HELD
    )
    for row in held.values("match_id").annotate(n=Count("id")).order_by():
        result[row["match_id"]]["count"] = row["n"]
    latest = Session.objects.filter(
        organization=organization, match_id=OuterRef("match_id"), status=Session.Status.HELD
    ).order_by("-starts_at", "-id")
    for session in held.filter(pk=Subquery(latest.values("pk")[:1])):
        result[session.match_id]["last"] = session
    return result


def feedback_ratings(*, organization, program):
    """The program's feedback ratings as an activity signal for coordinators: rating,
    created_at, session_id and match_id of each, oldest first. Never the comment, never
    who wrote it or for whom."""
    return list(
        Feedback.objects.filter(organization=organization, session__program=program)
        .order_by("created_at", "id")
        .values("rating", "created_at", "session_id", match_id=F("session__match_id"))
    )


@dataclass(frozen=True)
class RatingSummary:
    count: int
    average: float | None
    by_rating: list  # [(rating, count)] from 5 down to 1


def feedback_rating_summary(*, organization, program):
    """How the program's end-of-session feedback rates, in one query: the number of
    ratings, their average and how many of each. Nothing else of the feedback."""
    counts = dict(
        Feedback.objects.filter(organization=organization, session__program=program)
        .values_list("rating")
        .annotate(n=Count("id"))
        .values_list("rating", "n")
    )
    total = sum(counts.values())
    average = sum(r * n for r, n in counts.items()) / total if total else None
    return RatingSummary(
        count=total,
        average=average,
        by_rating=[(rating, counts.get(rating, 0)) for rating in range(5, 0, -1)],
    )
