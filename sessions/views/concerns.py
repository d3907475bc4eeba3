"""The confidential concern channel.

Anyone in the organisation raises a concern and follows their own. Only coordinators
who handle concerns list, read and close them; every reading is logged with the reader
and their IP address. Other coordinators get 403 on the list and 404 on a concern (no
hint that one exists); other participants, the partner included, 404.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from peercoach.audit.services import client_ip
from peercoach.tenancy.access import coordinator_required
from peercoach.web.views import form_error

from ..forms.concerns import ConcernActionForm, ConcernForm
from ..models import Concern, ConcernAccess
from ..selectors.concerns import (
    concern_access_log,
    concern_counts,
    concern_handlers,
    concern_seen_by_team,
    concerns_for_handlers,
    concerns_of_author,
    programs_of,
)
from ..services import concerns as services

PAGE_SIZE = 25


def _is_handler(request):
    return request.membership is not None and request.membership.is_concern_handler


def _concern_for_reader(request, pk):
    """(concern, as_handler) for a handler or the concern's author; 404 for everyone else."""
    concern = get_object_or_404(
        Concern.objects.select_related("program", "author"),
        pk=pk,
        organization=request.organization,
    )
    if _is_handler(request):
        return concern, True
    if concern.author_id is not None and concern.author_id == request.user.pk:
        return concern, False
    raise Http404("No such concern.")


def _handler_only(request, pk):
    concern, as_handler = _concern_for_reader(request, pk)
    if not as_handler:
        raise Http404("No such concern.")
    return concern


@never_cache
def concern_new(request, org_slug):
    organization = request.organization
    programs = programs_of(organization=organization, user=request.user).order_by("name")
    posted = request.POST if request.method == "POST" else None
    form = ConcernForm(posted, programs=programs)
    if request.method == "POST" and form.is_valid():
        try:
            services.concern_raise(
                organization=organization, author=request.user, **form.cleaned_data
            )
        except services.ConcernError as exc:
            form_error(form, exc)
        else:
            messages.success(
                request, _("Your concern has been recorded. You can follow it on this page.")
            )
            return redirect("sessions:my_concerns", org_slug=organization.slug)
    return render(
        request,
        "sessions/concerns/new.html",
        {
            "form": form,
            "handler_names": [
                m.user.display_name for m in concern_handlers(organization=organization)
            ],
        },
        status=400 if request.method == "POST" else 200,
    )


@never_cache
def my_concerns(request, org_slug):
    return render(
        request,
        "sessions/concerns/mine.html",
        {"concerns": concerns_of_author(organization=request.organization, user=request.user)},
    )


@never_cache
@coordinator_required
def concern_list(request, org_slug):
    if not _is_handler(request):
        raise PermissionDenied
    page = Paginator(concerns_for_handlers(organization=request.organization), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "sessions/concerns/list.html",
        {"page": page, "counts": concern_counts(organization=request.organization)},
    )


def _detail_context(request, concern, as_handler, form=None):
    context = {"concern": concern, "as_handler": as_handler}
    if as_handler:
        context["log"] = concern_access_log(concern=concern)
        context["form"] = form or ConcernActionForm()
    else:
        context["seen_by_team"] = concern_seen_by_team(concern=concern)
    return context


@never_cache
@require_GET
def concern_detail(request, org_slug, pk):
    concern, as_handler = _concern_for_reader(request, pk)
    # Every reading is logged, the author's own included: the log is the whole story.
    services.concern_access_record(
        concern=concern,
        user=request.user,
        action=ConcernAccess.Action.VIEWED,
        ip=client_ip(request),
    )
    return render(
        request, "sessions/concerns/detail.html", _detail_context(request, concern, as_handler)
    )


@require_POST
def concern_close(request, org_slug, pk):
    concern = _handler_only(request, pk)
    form = ConcernActionForm(request.POST)
    if form.is_valid():
        try:
            services.concern_status_set(
                concern=concern,
                user=request.user,
                action=form.cleaned_data["action"],
                note=form.cleaned_data["note"],
                ip=client_ip(request),
            )
        except services.ConcernError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Saved in the concern's log."))
            return redirect("sessions:concern_detail", org_slug=org_slug, pk=concern.pk)
    concern.refresh_from_db()
    # The answer shows the concern again: that is a reading, and every reading is logged.
    services.concern_access_record(
        concern=concern,
        user=request.user,
        action=ConcernAccess.Action.VIEWED,
        ip=client_ip(request),
    )
    return render(
        request,
        "sessions/concerns/detail.html",
        _detail_context(request, concern, True, form),
        status=400,
    )


@coordinator_required
@require_GET
def concern_handlers_page(request, org_slug):
    """Who handles concerns is chosen in the program team of the organisation's settings;
    this address stays for the links already sent (the "nobody handles concerns" email)."""
    url = reverse("workspace:settings", kwargs={"org_slug": org_slug})
    return redirect(f"{url}#program-team")
