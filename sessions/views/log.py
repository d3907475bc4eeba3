"""Logging a session and what its members write about it: the session page, private
notes, feedback, self-reflections, preparation and the first-session checklist.

Only the members of the pair or circle reach these pages (`sessions.access`): anyone
else, coordinators included, gets 404. Former members read; only current members of an
active pair write (`read_only_answer` says so otherwise). Each form works as a plain
POST; the private note and the checklist also save over HTMX.
"""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from agreements.selectors.terms import agreement_terms
from peercoach.tenancy.pages import render_cached
from peercoach.tenancy.stamps import Until
from peercoach.tenancy.zones import zone_of
from peercoach.web.views import form_error, redirect_to

from ..access import is_writable, match_for_member, session_for_member
from ..forms.log import (
    FeedbackForm,
    PreparationForm,
    PrivateNoteForm,
    ReflectionForm,
    SessionLogForm,
    log_initial,
)
from ..models import Session
from ..selectors.log import (
    LOGGABLE,
    checklist_page,
    members_of,
    parts_of,
    private_note_of,
    recent_held,
    session_page,
)
from ..services.log import (
    checklist_save,
    feedback_give,
    preparation_save,
    private_note_save,
    reflection_save,
    session_log,
)
from .common import read_only_answer


def _read_only(view):
    """`read_only_answer`, and over HTMX a client-side redirect to its message, so that
    a whole page is never swapped into a panel."""
    answered = read_only_answer(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = answered(request, *args, **kwargs)
        if request.htmx and response.status_code == 302:
            return HttpResponseClientRedirect(response["Location"])
        return response

    return wrapper


def _to_session(session, anchor=""):
    return redirect_to("sessions:detail", anchor, org_slug=session.organization.slug, pk=session.pk)


def _log_page(request, match, session=None):
    """The log form for a new session (`session=None`) or for a proposed, scheduled or
    held one, and its handling."""
    program = match.program
    members = members_of(match, current_only=True)
    zone = zone_of(request.user, request.organization)
    form_kwargs = {"program": program, "members": members, "zone": zone}
    if request.method == "POST":
        form = SessionLogForm(request.POST, **form_kwargs)
        if form.is_valid():
            try:
                saved = session_log(
                    match=match, user=request.user, session=session, **form.service_kwargs()
                )
            except ValidationError as exc:
                form_error(form, exc)
            else:
                saved.organization = request.organization
                messages.success(request, _("The session is logged."))
                return _to_session(saved)
    else:
        held = session is not None and session.status == Session.Status.HELD
        minutes = agreement_terms(match).session_minutes or program.session_minutes
        initial = log_initial(
            program=program,
            members=members,
            zone=zone,
            session=session,
            parts=parts_of(session) if held else (),
            private_note=private_note_of(session, request.user) if session else None,
            minutes=minutes,
        )
        form = SessionLogForm(initial=initial, **form_kwargs)
    return render(
        request,
        "sessions/log/log_form.html",
        {
            "form": form,
            "match": match,
            "program": program,
            "session": session,
            "members": members,
            "recent": recent_held(match) if session is None else [],
            "zone": zone,
        },
    )


@never_cache
@read_only_answer
def log(request, org_slug, pk):
    """Log a session that was not scheduled here: it is created as held."""
    match = match_for_member(request, pk, write=True)
    return _log_page(request, match)


@never_cache
@read_only_answer
def log_scheduled(request, org_slug, pk):
    """Log a proposed or scheduled session (it becomes held), or edit a held one's log."""
    session = session_for_member(request, pk, write=True)
    if session.status not in LOGGABLE:
        messages.error(
            request,
            _("This session was cancelled or replaced; log the meeting as a new session."),
        )
        return _to_session(session)
    return _log_page(request, session.match, session)


@never_cache
def detail(request, org_slug, pk):
    def build():
        session = session_for_member(request, pk)
        context = session_page(session=session, user=request.user)
        note = context["private_note"]
        context["note_form"] = PrivateNoteForm(initial={"body": note.body if note else ""})
        # What may be done with it changes when it starts and when it ends.
        now = timezone.now()
        times = [t for t in (session.starts_at, session.ends_at) if t > now]
        return Until(context, min(times, default=None))

    # Cached for this person until the organisation's next write, the member check with it
    # (peercoach.tenancy.pages).
    return render_cached(request, "sessions/log/detail.html", build, name="session", vary=(pk,))


@require_POST
@_read_only
def private_note(request, org_slug, pk):
    """Save my private note on the session: over HTMX the note's panel comes back."""
    session = session_for_member(request, pk, write=True)
    form = PrivateNoteForm(request.POST)
    saved = form.is_valid()
    if saved:
        note = private_note_save(session=session, user=request.user, body=form.cleaned_data["body"])
    if request.htmx:
        context = {"session": session, "note_form": form, "saved": saved, "writable": True}
        return render(request, "sessions/log/detail.html#private_note", context)
    if not saved:
        context = session_page(session=session, user=request.user)
        context["note_form"] = form
        return render(request, "sessions/log/detail.html", context, status=400)
    messages.success(
        request, _("Your private note is saved.") if note else _("Your private note is deleted.")
    )
    return _to_session(session, "private-note")


def _held_or_back(request, session, message):
    if session.status != Session.Status.HELD:
        messages.info(request, message)
        return _to_session(session)
    return None


@never_cache
@read_only_answer
def feedback(request, org_slug, pk):
    """The person coached rates and comments for their coach (in a circle: the circle)."""
    session = session_for_member(request, pk, write=request.method == "POST")
    back = _held_or_back(
        request, session, _("Feedback can be given once the session is logged as held.")
    )
    if back:
        return back
    page = session_page(session=session, user=request.user)
    if page["feedback_target"] is None:
        messages.info(request, _("You were not coached in this session: no feedback to give."))
        return _to_session(session)
    given = page["feedback_given"]
    initial = {"rating": given.rating, "comment": given.comment} if given else None
    form = FeedbackForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            feedback_give(
                session=session,
                author=request.user,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Thank you: your feedback is saved."))
            return _to_session(session, "feedback")
    return render(request, "sessions/log/feedback.html", {**page, "form": form})


@never_cache
@read_only_answer
def reflection(request, org_slug, pk):
    """The coach's self-reflection: only its author ever reads it."""
    session = session_for_member(request, pk, write=request.method == "POST")
    back = _held_or_back(
        request, session, _("You can reflect on a session once it is logged as held.")
    )
    if back:
        return back
    page = session_page(session=session, user=request.user)
    if not page["can_reflect"]:
        messages.info(request, _("Self-reflection is for those who coached in this session."))
        return _to_session(session)
    current = page["reflection"]
    form = ReflectionForm(request.POST or None, initial={"body": current.body if current else ""})
    if request.method == "POST" and form.is_valid():
        try:
            saved = reflection_save(
                session=session, author=request.user, body=form.cleaned_data["body"]
            )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(
                request,
                _("Your self-reflection is saved.")
                if saved
                else _("Your self-reflection is deleted."),
            )
            return _to_session(session, "reflection")
    return render(request, "sessions/log/reflection.html", {**page, "form": form})


@never_cache
@read_only_answer
def prepare(request, org_slug, pk):
    """Before a session, the person coached notes purpose, outcomes and process; the
    pair or circle reads it."""
    session = session_for_member(request, pk, write=request.method == "POST")
    if not session.program.session_preparation:
        raise Http404("This program does not use session preparation.")
    page = session_page(session=session, user=request.user)
    mine = next((p for p in page["preparations"] if p.author_id == request.user.pk), None)
    initial = (
        {"purpose": mine.purpose, "outcomes": mine.outcomes, "process": mine.process}
        if mine
        else None
    )
    form = PreparationForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not page["may_prepare"]:
            messages.info(
                request,
                _("Preparation is written by the person coached, before the session."),
            )
            return _to_session(session, "preparation")
        if form.is_valid():
            try:
                preparation_save(session=session, author=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("Your preparation is saved."))
                return _to_session(session, "preparation")
    return render(request, "sessions/log/prepare.html", {**page, "form": form})


@never_cache
@_read_only
def checklist(request, org_slug, pk):
    """The first-session checklist: any current member ticks or unticks its points."""
    match = match_for_member(request, pk, write=request.method == "POST")
    if not match.program.first_session_checklist:
        raise Http404("This program does not use the first-session checklist.")
    changed, error = None, ""
    if request.method == "POST":
        try:
            _checklist, changed = checklist_save(
                match=match,
                user=request.user,
                ticked=request.POST.getlist("items"),
                seen=request.POST.getlist("seen"),
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        if not request.htmx:
            if error:
                messages.error(request, error)
            elif changed:
                messages.success(request, _("The checklist is saved."))
            return redirect_to(
                "sessions:checklist", org_slug=request.organization.slug, pk=match.pk
            )
    context = {
        "match": match,
        "program": match.program,
        "writable": is_writable(match),
        "error": error,
        "saved": bool(changed),
        **checklist_page(match=match),
    }
    if request.htmx:
        return render(request, "sessions/log/checklist.html#checklist_form", context)
    return render(request, "sessions/log/checklist.html", context)
