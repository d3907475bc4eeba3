"""Reads for scheduling: upcoming sessions, who is invited, the schedule and calendar pages,
and each person's calendar feed. Every function runs a fixed number of queries, however
many sessions or pairs there are.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from agreements.selectors.terms import agreement_terms
from peercoach.web.urls import absolute_url
from programs.models import Application, Match, MatchMember, ProgramEvent

from ..models import Session
from ..models.sessions import Modality

# The feed: everything still to come, and what happened in the last 90 days.
FEED_PAST_DAYS = 90
# Applications that tie a person to a program whose events and resources they see.
LIVE_APPLICATIONS = (
    Application.Status.SUBMITTED,
    Application.Status.ACCEPTED,
    Application.Status.WAITLISTED,
)
# No session lasts longer than this (the model's validator): a bound for "not ended yet".
LONGEST = timedelta(minutes=600)

# What an agreed modality (free text from the agreement, e.g. "Microsoft Teams") means.
MODALITY_WORDS = (
    ("teams", Modality.TEAMS),
    ("zoom", Modality.ZOOM),
    ("wechat", Modality.WECHAT),
    ("phone", Modality.PHONE),
    ("person", Modality.IN_PERSON),
)


def modality_from_text(text):
    """The Modality an agreement's words name, or None."""
    text = (text or "").lower()
    return next((value for word, value in MODALITY_WORDS if word in text), None)


def pair_url(organization, match_id):
    """Absolute link to the pair's page."""
    return absolute_url(
        reverse("sessions:pair", kwargs={"org_slug": organization.slug, "pk": match_id})
    )


def feed_url(feed):
    return absolute_url(reverse("sessions:feed", kwargs={"token": feed.token}))


def _upcoming(queryset, now):
    # The database bounds the rows; "has not ended" needs the length, checked here.
    return [
        session
        for session in queryset.filter(status__in=Session.UPCOMING, starts_at__gt=now - LONGEST)
        if session.ends_at > now
    ]


def upcoming_for_matches(*, organization, match_ids, now=None):
    """{match_id: [Session...]}: proposed and scheduled sessions that have not ended,
    soonest first, with `program`, `proposed_by` and `replaces` loaded. One query."""
    now = now or timezone.now()
    match_ids = list(match_ids)
    result = {match_id: [] for match_id in match_ids}
    queryset = (
        Session.objects.filter(organization=organization, match_id__in=match_ids)
        .select_related("program", "proposed_by", "replaces")
        .order_by("starts_at", "id")
    )
    for session in _upcoming(queryset, now):
        result[session.match_id].append(session)
    return result


def members_for_matches(*, organization, match_ids):
    """{match_id: [MatchMember with user]} of the current members, in order. One query."""
    result = {match_id: [] for match_id in match_ids}
    for member in (
        MatchMember.objects.filter(
            organization=organization, match_id__in=list(match_ids), is_current=True
        )
        .select_related("user")
        .order_by("match_id", "position", "id")
    ):
        result[member.match_id].append(member)
    return result


def attendees_for_matches(*, organization, match_ids):
    """{match_id: [users]}: who a calendar file invites (current members, no deleted
    accounts). One query."""
    return {
        match_id: [m.user for m in members if m.user.deleted_at is None]
        for match_id, members in members_for_matches(
            organization=organization, match_ids=match_ids
        ).items()
    }


# --- The schedule page -----------------------------------------------------------------


def schedule_defaults(*, match):
    """Initial values for proposing: the agreed length, modality and cadence, else the
    program's; the place or link of the pair's last session (same modality)."""
    terms = agreement_terms(match)
    last = (
        Session.objects.filter(organization=match.organization, match=match)
        .exclude(location="")
        .order_by("-created_at", "-id")
        .values("modality", "location")
        .first()
    )
    modality = modality_from_text(terms.modality) or (last or {}).get("modality") or Modality.TEAMS
    location = last["location"] if last and last["modality"] == modality else ""
    return {
        "duration_minutes": terms.session_minutes or match.program.session_minutes,
        "modality": modality,
        "location": location,
        "repeat_every_days": terms.meeting_every_days or match.program.cadence_days or 14,
        "repeat_times": 1,
        "agreed_frequency": terms.meeting_frequency,
        "agreed": terms.source == "signed",
    }


@dataclass
class SessionRow:
    """A session as one viewer sees it, with what they may do to it."""

    session: Session
    mine: bool  # the viewer proposed it
    can_accept: bool
    can_suggest: bool
    can_change: bool  # reschedule or cancel
    link: str  # the place when it is a web address (shown as a link), else ""


def web_link(text):
    """`text` when it is an http(s) address (safe to put in a link), else ""."""
    text = (text or "").strip()
    return text if text.lower().startswith(("https://", "http://")) and " " not in text else ""


def rows_for(sessions, *, user, writable, now=None):
    now = now or timezone.now()
    rows = []
    for session in sessions:
        proposed = session.status == Session.Status.PROPOSED
        mine = session.proposed_by_id == user.pk
        rows.append(
            SessionRow(
                session=session,
                mine=mine,
                can_accept=writable and proposed and not mine and session.ends_at > now,
                can_suggest=writable and proposed and not mine,
                can_change=writable and session.status in Session.UPCOMING,
                link=web_link(session.location),
            )
        )
    return rows


def recent_changes(*, match, limit=5):
    """The pair's latest cancelled or replaced proposals, newest first (for the thread)."""
    return list(
        Session.objects.filter(
            organization=match.organization,
            match=match,
            status__in=(Session.Status.CANCELLED, Session.Status.DECLINED),
        )
        .select_related("responded_by")
        .order_by("-updated_at", "-id")[:limit]
    )


# --- The person's calendar page and feed ----------------------------------------------


def my_matches(*, organization, user):
    """{match_id: MatchMember} of the published pairs and circles `user` is or was in."""
    return {
        member.match_id: member
        for member in MatchMember.objects.filter(organization=organization, user=user)
        .exclude(match__status=Match.Status.PROPOSED)
        .select_related("match", "program")
    }


def calendar_page(*, organization, user, now=None):
    """The feed (None when the person has no pair or circle yet) and their upcoming
    sessions in active pairs, soonest first."""
    now = now or timezone.now()
    mine = my_matches(organization=organization, user=user)
    active = [
        match_id
        for match_id, member in mine.items()
        if member.is_current and member.match.status == Match.Status.ACTIVE
    ]
    upcoming = upcoming_for_matches(organization=organization, match_ids=active, now=now)
    sessions = sorted(
        (session for sessions in upcoming.values() for session in sessions),
        key=lambda s: (s.starts_at, s.pk),
    )
    return {"matches": mine, "sessions": sessions}


def feed_sessions(*, organization, user, now=None):
    """What the person's feed holds: (sessions, attendees by match, STATUS overrides).

    Only pairs and circles the person is or was in; upcoming sessions and those of the
    last FEED_PAST_DAYS days, proposed, scheduled, held or cancelled (a proposal that was
    answered with another time is left out). A pair that ended, or that the person left,
    shows its sessions still to come as cancelled.
    """
    now = now or timezone.now()
    mine = my_matches(organization=organization, user=user)
    sessions = list(
        Session.objects.filter(
            organization=organization,
            match_id__in=list(mine),
            starts_at__gte=now - timedelta(days=FEED_PAST_DAYS),
            status__in=(
                Session.Status.PROPOSED,
                Session.Status.SCHEDULED,
                Session.Status.HELD,
                Session.Status.CANCELLED,
            ),
        )
        .select_related("program")
        .order_by("starts_at", "id")
    )
    statuses = {
        session.pk: "CANCELLED"
        for session in sessions
        if session.status in Session.UPCOMING
        and (
            not mine[session.match_id].is_current
            or mine[session.match_id].match.status != Match.Status.ACTIVE
        )
    }
    attendees = attendees_for_matches(
        organization=organization, match_ids={s.match_id for s in sessions}
    )
    return sessions, attendees, statuses


def feed_events(*, organization, user, now=None):
    """The program events for the person's feed: of every program they were paired in
    (a pair or circle published, current or past) or have a live application to, from
    FEED_PAST_DAYS ago on, with `program`. One query."""
    now = now or timezone.now()
    paired = MatchMember.objects.filter(organization=organization, user=user).exclude(
        match__status=Match.Status.PROPOSED
    )
    applied = Application.objects.filter(
        organization=organization, user=user, status__in=LIVE_APPLICATIONS
    )
    return list(
        ProgramEvent.objects.filter(
            organization=organization, starts_at__gte=now - timedelta(days=FEED_PAST_DAYS)
        )
        .filter(
            Q(program_id__in=paired.values("program_id"))
            | Q(program_id__in=applied.values("program_id"))
        )
        .select_related("program")
        .order_by("starts_at", "id")
    )
