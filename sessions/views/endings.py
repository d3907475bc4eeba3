"""Pausing a pair, opting out of it (two steps), and the program team's opt-out queue.

The pair's pages are for its members (`match_for_member`: everyone else 404); writing
needs an active pair and a current member (`read_only_answer` says so otherwise). The
queue is for the organisation's coordinators (`coordinator_program`).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from peercoach.tenancy.access import coordinator_required
from peercoach.tenancy.zones import zone_of
from peercoach.web.forms import object_id
from peercoach.web.views import form_error
from programs.access import coordinator_program
from programs.models import Program

from ..access import is_writable, match_for_member
from ..forms.endings import OptOutForm, PauseForm
from ..models import OptOut
from ..selectors.endings import (
    current_members,
    opt_out_count_open,
    opt_outs_for_program,
    paused_in_program,
    pauses_for_match,
)
from ..services import endings as services
from .common import read_only_answer

PAGE_SIZE = 25


def _today(request):
    return timezone.localdate(timezone=zone_of(request.user, request.organization))


def _to_pause(match):
    return redirect("sessions:pause", org_slug=match.organization.slug, pk=match.pk)


# --- Pauses ---------------------------------------------------------------------------


@never_cache
@read_only_answer
def pause(request, org_slug, pk):
    match = match_for_member(request, pk, write=request.method == "POST")
    today = _today(request)
    posted = request.POST if request.method == "POST" else None
    form = PauseForm(posted, initial={"starts_on": today})
    if request.method == "POST" and form.is_valid():
        try:
            services.pause_create(match=match, user=request.user, today=today, **form.cleaned_data)
        except services.EndingError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Paused. Your partners have been told."))
            return _to_pause(match)
    ahead, past = pauses_for_match(match=match, today=today)
    return render(
        request,
        "sessions/endings/pause.html",
        {
            "match": match,
            "form": form,
            "ahead": ahead,
            "past": past,
            "today": today,
            "writable": is_writable(match),
            "partners": _partner_names(match, request.user),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@read_only_answer
def pause_end(request, org_slug, pk):
    match = match_for_member(request, pk, write=True)
    raw = request.POST.get("pause", "")
    pause_id = object_id(raw) if raw else None
    if raw and pause_id is None:
        messages.error(request, _("That pause does not exist; reload the page."))
        return _to_pause(match)
    try:
        ended = services.pause_end(
            match=match, user=request.user, today=_today(request), pause_id=pause_id
        )
    except services.EndingError as exc:
        messages.error(request, exc.messages[0])
    else:
        if ended.ended_early_on < ended.starts_on:
            messages.success(request, _("The planned pause is called off."))
        else:
            messages.success(request, _("Welcome back: the pause has ended today."))
    return _to_pause(match)


# --- Opting out -----------------------------------------------------------------------


def _partner_names(match, user):
    return [m.user.display_name for m in current_members(match=match) if m.user_id != user.pk]


def _opt_out_context(match, request, form):
    partners = _partner_names(match, request.user)
    is_circle = match.program.format == Program.Format.CIRCLE
    return {
        "match": match,
        "form": form,
        "partners": partners,
        "is_circle": is_circle,
        # What the confirmation page announces: does the whole arrangement end?
        "match_ends": not is_circle or len(partners) < 2,
        "notice_to_team": match.program.opt_out_notice_to_team,
    }


@never_cache
@read_only_answer
def opt_out(request, org_slug, pk):
    """Step one: the form. Step two (`step=review`): the same values restated, hidden,
    with a final button (`step=confirm`); only that last POST acts."""
    match = match_for_member(request, pk, write=True)
    if request.method != "POST":
        context = _opt_out_context(match, request, OptOutForm(program=match.program))
        return render(request, "sessions/endings/opt_out.html", context)
    form = OptOutForm(request.POST, program=match.program)
    step = request.POST.get("step", "review")
    if not form.is_valid():
        context = _opt_out_context(match, request, form)
        return render(request, "sessions/endings/opt_out.html", context, status=400)
    if step == "edit":
        context = _opt_out_context(match, request, form)
        return render(request, "sessions/endings/opt_out.html", context)
    if step != "confirm":
        context = _opt_out_context(match, request, form)
        context["reason_label"] = OptOut.Reason(form.cleaned_data["reason"]).label
        return render(request, "sessions/endings/opt_out_confirm.html", context)
    try:
        result = services.opt_out_give(match=match, user=request.user, **form.cleaned_data)
    except services.EndingError as exc:
        form_error(form, exc)
        context = _opt_out_context(match, request, form)
        return render(request, "sessions/endings/opt_out.html", context, status=400)
    if result.match_ended:
        messages.success(
            request,
            _("You have opted out and the arrangement has ended. Your notice has been sent."),
        )
    else:
        messages.success(
            request, _("You have left the circle. Your notice has been sent to its members.")
        )
    return redirect("portal:home", org_slug=match.organization.slug)


# --- The program team's queue ---------------------------------------------------------


@never_cache
@coordinator_required
def opt_outs(request, org_slug, pk):
    program = coordinator_program(request, pk)
    page = Paginator(opt_outs_for_program(program=program), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "sessions/endings/opt_outs.html",
        {
            "program": program,
            "page": page,
            "open_count": opt_out_count_open(program=program),
            "paused": paused_in_program(program=program, today=timezone.localdate()),
        },
    )


@coordinator_required
@require_POST
def opt_out_handled(request, org_slug, pk, opt_out_pk):
    program = coordinator_program(request, pk)
    item = get_object_or_404(
        OptOut, pk=opt_out_pk, program=program, organization=request.organization
    )
    item, changed = services.opt_out_handle(opt_out=item, user=request.user)
    if request.htmx:
        item = opt_outs_for_program(program=program).get(pk=item.pk)
        return render(
            request, "sessions/endings/opt_outs.html#row", {"program": program, "item": item}
        )
    if changed:
        messages.success(request, _("Marked as handled."))
    else:
        messages.info(request, _("Someone in the team had already handled it."))
    return redirect("sessions:opt_outs", org_slug=org_slug, pk=program.pk)
