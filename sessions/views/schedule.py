"""Scheduling sessions ahead, their calendar files, and each person's private feed.

The pair's pages answer 404 to anyone outside the pair (`match_for_member`,
`session_for_member`); writes need an active pair and a current member
(`read_only_answer` explains otherwise). The feed has no tenant in its URL: calendar
apps fetch it without signing in, so its secret token is the only key.
"""

import hashlib
import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_scopes import scope, scopes_disabled

from peercoach.tenancy.languages import override_for
from peercoach.tenancy.models import Membership
from peercoach.tenancy.zones import zone_of
from peercoach.web.ratelimit import over_limit
from peercoach.web.urls import absolute_url
from peercoach.web.views import form_error, redirect_to
from programs.access import program_for_request
from programs.models import ProgramEvent

from .. import ics
from ..access import is_writable, match_for_member, session_for_member
from ..forms.schedule import (
    CancelForm,
    ProposeForm,
    RescheduleForm,
    SlotFormSet,
    SuggestForm,
)
from ..models import CalendarFeed, Session
from ..selectors.schedule import (
    attendees_for_matches,
    calendar_page,
    feed_events,
    feed_sessions,
    feed_url,
    members_for_matches,
    pair_url,
    recent_changes,
    rows_for,
    schedule_defaults,
    upcoming_for_matches,
)
from ..services.schedule import (
    ScheduleError,
    calendar_feed_ensure,
    calendar_feed_reset,
    session_accept,
    session_cancel,
    session_propose,
    session_reschedule,
    session_suggest,
)
from .common import read_only_answer

# Calendar apps poll every few minutes to every few hours; more than this is not an app.
FEED_LIMIT = 60
FEED_PERIOD = 3600
# What `new_feed_token` makes (URL-safe base64); anything else is not a token.
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def _to_schedule(match, anchor="upcoming"):
    return redirect_to("sessions:schedule", anchor, org_slug=match.organization.slug, pk=match.pk)


def _posted(request):
    return request.POST if request.method == "POST" else None


def _page(request, match, *, form=None, slots=None, suggest=None, status=200):
    """The schedule page: the pair's coming sessions with what the viewer may do to
    them, the latest changes, and the form to propose more."""
    organization = request.organization
    zone = zone_of(request.user, organization)
    writable = is_writable(match)
    upcoming = upcoming_for_matches(organization=organization, match_ids=[match.pk])[match.pk]
    members = members_for_matches(organization=organization, match_ids=[match.pk])[match.pk]
    if form is None:
        defaults = schedule_defaults(match=match)
        form = ProposeForm(initial=defaults)
    else:
        defaults = form.initial
    context = {
        "match": match,
        "program": match.program,
        "others": [m for m in members if m.user_id != request.user.pk],
        "rows": rows_for(upcoming, user=request.user, writable=writable),
        "recent": recent_changes(match=match),
        "form": form,
        "slots": slots or SlotFormSet(prefix="slot"),
        "defaults": defaults,
        "zone": zone.key,
        "writable": writable,
        # (session id, bound SuggestForm) when a suggestion needs correcting.
        "suggest": suggest,
        "today": timezone.localdate(timezone=zone).isoformat(),
    }
    return render(request, "sessions/schedule/schedule.html", context, status=status)


# --- Propose ---------------------------------------------------------------------------


@never_cache
@read_only_answer
def schedule(request, org_slug, pk):
    match = match_for_member(request, pk, write=True)
    zone = zone_of(request.user, request.organization)
    defaults = schedule_defaults(match=match)
    form = ProposeForm(_posted(request), initial=defaults)
    slots = SlotFormSet(_posted(request), prefix="slot")
    if request.method != "POST":
        return _page(request, match, form=form, slots=slots)
    if form.is_valid() and slots.is_valid():
        data = form.cleaned_data
        try:
            sessions = session_propose(
                match=match,
                by=request.user,
                starts=form.starts(slots, zone),
                duration_minutes=data["duration_minutes"],
                modality=data["modality"],
                location=data["location"],
                note=data["note"],
                time_zone=zone.key,
            )
        except ValidationError as exc:
            form_error(form, exc)
        except ScheduleError as exc:
            messages.error(request, str(exc))
            return _to_schedule(match)
        else:
            messages.success(
                request,
                ngettext(
                    "You proposed a session. The others are emailed and asked to accept it.",
                    "You proposed %(count)s sessions. The others are emailed and asked to "
                    "accept them.",
                    len(sessions),
                )
                % {"count": len(sessions)},
            )
            return _to_schedule(match)
    return _page(request, match, form=form, slots=slots, status=400)


# --- Answer, move, cancel --------------------------------------------------------------


@require_POST
@read_only_answer
def respond(request, org_slug, pk):
    session = session_for_member(request, pk, write=True)
    match = session.match
    action = request.POST.get("action")
    if action == "accept":
        try:
            session_accept(session=session, by=request.user)
        except ScheduleError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Accepted: the session is scheduled."))
        return _to_schedule(match)
    if action != "suggest":
        messages.error(request, _("Choose to accept the time or to suggest another one."))
        return _to_schedule(match)
    form = SuggestForm(request.POST)
    zone = zone_of(request.user, request.organization)
    if form.is_valid():
        try:
            session_suggest(
                session=session,
                by=request.user,
                starts_at=form.starts_at(zone),
                note=form.cleaned_data["note"],
                time_zone=zone.key,
            )
        except ValidationError as exc:
            form_error(form, exc)
        except ScheduleError as exc:
            messages.error(request, str(exc))
            return _to_schedule(match)
        else:
            messages.success(
                request, _("You suggested another time. The others are asked to accept it.")
            )
            return _to_schedule(match)
    return _page(request, match, suggest=(session.pk, form), status=400)


@never_cache
@read_only_answer
def reschedule(request, org_slug, pk):
    session = session_for_member(request, pk, write=True)
    match = session.match
    if session.status not in Session.UPCOMING:
        messages.error(request, _("Only a proposed or scheduled session can move."))
        return _to_schedule(match)
    zone = zone_of(request.user, request.organization)
    local = timezone.localtime(session.starts_at, zone)
    form = RescheduleForm(
        _posted(request),
        initial={
            "date": local.date(),
            "time": local.time().replace(second=0, microsecond=0),
            "duration_minutes": session.duration_minutes,
            "modality": session.modality,
            "location": session.location,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session_reschedule(
                session=session,
                by=request.user,
                starts_at=form.starts_at(zone),
                time_zone=zone.key,
                duration_minutes=data["duration_minutes"],
                modality=data["modality"],
                location=data["location"],
                note=data["note"],
            )
        except ValidationError as exc:
            form_error(form, exc)
        except ScheduleError as exc:
            messages.error(request, str(exc))
            return _to_schedule(match)
        else:
            messages.success(
                request, _("The session moved. The others are asked to accept the new time.")
            )
            return _to_schedule(match)
    return render(
        request,
        "sessions/schedule/reschedule.html",
        {"session": session, "match": match, "form": form, "zone": zone.key},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@read_only_answer
def cancel(request, org_slug, pk):
    session = session_for_member(request, pk, write=True)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("note", [])))
        return _to_schedule(session.match)
    try:
        session_cancel(session=session, by=request.user, note=form.cleaned_data["note"])
    except (ScheduleError, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("The session is cancelled; the others are told."))
    return _to_schedule(session.match)


# --- Calendar files --------------------------------------------------------------------


def _calendar_response(text, filename=None):
    response = HttpResponse(text, content_type=ics.CONTENT_TYPE)
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
def session_ics(request, org_slug, pk):
    session = session_for_member(request, pk)
    organization = request.organization
    text = ics.sessions_calendar(
        [session],
        organization=organization,
        attendees=attendees_for_matches(organization=organization, match_ids=[session.match_id]),
        urls={session.match_id: pair_url(organization, session.match_id)},
    )
    local = timezone.localtime(session.starts_at, ics.zone_for(session))
    return _calendar_response(text, f"coaching-session-{local:%Y-%m-%d}.ics")


def event_ics(request, org_slug, pk, event_pk):
    """One program event as a calendar file, for everyone who may see its program."""
    program = program_for_request(request, pk)
    event = (
        ProgramEvent.objects.filter(organization=request.organization, program=program, pk=event_pk)
        .select_related("program")
        .first()
    )
    if event is None:
        raise Http404("No such event.")
    text = ics.calendar_text(
        [ics.program_event(event, organization=request.organization, url=_program_url(event))]
    )
    local = timezone.localtime(event.starts_at, request.organization.tzinfo)
    return _calendar_response(text, f"program-event-{local:%Y-%m-%d}.ics")


def _program_url(event):
    return absolute_url(
        reverse(
            "programs:detail",
            kwargs={"org_slug": event.program.organization.slug, "pk": event.program_id},
        )
    )


@never_cache
def calendar(request, org_slug):
    organization = request.organization
    page = calendar_page(organization=organization, user=request.user)
    feed = (
        calendar_feed_ensure(organization=organization, user=request.user)
        if page["matches"]
        else None
    )
    url = feed_url(feed) if feed else ""
    return render(
        request,
        "sessions/schedule/calendar.html",
        {
            **page,
            "feed": feed,
            "feed_url": url,
            "webcal_url": url.replace("https://", "webcal://", 1).replace(
                "http://", "webcal://", 1
            ),
            "zone": zone_of(request.user, organization).key,
        },
    )


@require_POST
def calendar_reset(request, org_slug):
    organization = request.organization
    if not calendar_page(organization=organization, user=request.user)["matches"]:
        messages.info(request, _("You have no calendar link yet: it comes with your first pair."))
    else:
        calendar_feed_reset(organization=organization, user=request.user)
        messages.success(
            request,
            _(
                "Your calendar link is new. The old one no longer works: add the new one to "
                "your calendar app."
            ),
        )
    return redirect_to("sessions:calendar", org_slug=organization.slug)


def feed(request, token):
    """The person's sessions in one organisation, for calendar apps (no sign-in)."""
    if not TOKEN.fullmatch(token):
        raise Http404("No such calendar.")
    digest = hashlib.sha256(token.encode()).hexdigest()
    if over_limit(f"sessions:feed:{digest}", limit=FEED_LIMIT, period=FEED_PERIOD):
        response = HttpResponse(
            _("Too many requests for this calendar; try again later."),
            status=429,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = str(FEED_PERIOD)
        return response
    with scopes_disabled():
        found = (
            CalendarFeed.objects.select_related("user", "organization").filter(token=token).first()
        )
    if found is None or found.user.deleted_at is not None or not found.user.is_active:
        raise Http404("No such calendar.")
    organization, user = found.organization, found.user
    # A calendar app fetches the feed without the person's cookies or browser language:
    # the feed speaks the person's own language (else their organisation's).
    with scope(organization=organization), override_for(user, organization):
        if not Membership.objects.filter(organization=organization, user=user).exists():
            raise Http404("No such calendar.")
        sessions, attendees, statuses = feed_sessions(organization=organization, user=user)
        events = [
            ics.program_event(event, organization=organization, url=_program_url(event))
            for event in feed_events(organization=organization, user=user)
        ]
        text = ics.sessions_calendar(
            sessions,
            organization=organization,
            attendees=attendees,
            urls={s.match_id: pair_url(organization, s.match_id) for s in sessions},
            statuses=statuses,
            name=_("Coaching sessions · %(org)s") % {"org": organization.name},
            events=events,
        )
    return _calendar_response(text)
