"""Progress reports: a member writes one per reporting period of their pair or circle,
reads their own, and the program team reads the shared answers.

- `report` and `reports`: the members of the pair (current members of an active pair to
  write); everyone else gets 404. The partner never reads another member's report: it
  is written to the program team.
- `program_reports`: coordinators, with only what each author chose to share (and the
  rating, always shared).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from peercoach.tenancy.access import coordinator_required
from peercoach.web.views import redirect_to
from programs.access import coordinator_program

from ..access import match_for_member
from ..forms.reports import ReportForm
from ..selectors.log import feedback_rating_summary
from ..selectors.reports import (
    my_reports,
    report_goals,
    report_period,
    report_rows,
    reports_of_program,
)
from ..services.reports import ReportError, report_submit
from .common import read_only_answer

PAGE_SIZE = 25


def _to_reports(match):
    return redirect_to("sessions:reports", org_slug=match.organization.slug, pk=match.pk)


@never_cache
@read_only_answer
def report(request, org_slug, pk):
    """The report form for the current period (see selectors.reports for which one)."""
    match = match_for_member(request, pk, write=True)
    goals = report_goals(
        organization=request.organization, user=request.user, program=match.program
    )
    when = report_period(match=match, user=request.user)
    form = ReportForm(
        request.POST if request.method == "POST" else None,
        goals=goals,
        initial={"period": when.period},
    )
    if request.method == "POST" and form.is_valid():
        try:
            report_submit(match=match, author=request.user, **form.answers())
        except ReportError as exc:
            messages.error(request, str(exc))
            return _to_reports(match)
        messages.success(
            request, _("Thank you: your progress report was sent to the program team.")
        )
        return _to_reports(match)
    return render(
        request,
        "sessions/reports/report_form.html",
        {"match": match, "when": when, "form": form, "program": match.program},
        status=400 if form.errors else 200,
    )


@never_cache
def reports(request, org_slug, pk):
    """The person's own reports for this pair, with what they shared marked."""
    match = match_for_member(request, pk)
    return render(
        request,
        "sessions/reports/my_reports.html",
        {
            "match": match,
            "program": match.program,
            "reports": my_reports(match=match, user=request.user),
            "when": report_period(match=match, user=request.user),
            "writable": match.status == match.Status.ACTIVE and match.me.is_current,
        },
    )


@never_cache
@coordinator_required
def program_reports(request, org_slug, pk):
    """The program's reports for its team: ratings, and the answers marked shared."""
    program = coordinator_program(request, pk)
    page = Paginator(
        reports_of_program(organization=request.organization, program=program), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    rows = report_rows(organization=request.organization, reports=page.object_list)
    ratings = feedback_rating_summary(organization=request.organization, program=program)
    return render(
        request,
        "sessions/reports/program_reports.html",
        {"program": program, "page": page, "rows": rows, "ratings": ratings},
    )
