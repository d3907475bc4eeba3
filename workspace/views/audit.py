"""The organisation's audit log for its coordinators: a filtered page and its CSV file.

The log shows what our code wrote into each row (who, what, when, from where), never
private content; a confidential concern is named by its number alone and links only
for those who handle concerns.
"""

from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from peercoach.audit.models import Action
from peercoach.audit.services import audit_record
from peercoach.tenancy.access import coordinator_required
from peercoach.tenancy.zones import zone_of
from peercoach.web.csvio import csv_response, csv_titles

from ..audit_targets import target_label, target_url
from ..forms.audit import AuditFilterForm
from ..selectors.audit import audit_events, coordinator_choices, program_choices

PAGE_SIZE = 50


@dataclass(frozen=True)
class LogRow:
    when: datetime  # in the organisation's time zone
    who: str
    action: str
    action_label: str
    program_name: str
    program_url: str | None
    target: str
    target_url: str | None
    summary: str
    ip: str


def _row(event, *, org_slug, zone, handles_concerns):
    program = event.program
    is_program = event.target_type == "programs.program" and event.target_id == event.program_id
    return LogRow(
        when=event.created_at.astimezone(zone),
        who=event.actor_name or _("System"),
        action=event.action,
        action_label=event.get_action_display(),
        program_name=program.name if program else "",
        program_url=(
            reverse("programs:detail", kwargs={"org_slug": org_slug, "pk": program.pk})
            if program
            else None
        ),
        target="" if is_program else target_label(event),
        target_url=(
            None if is_program else target_url(event, org_slug, handles_concerns=handles_concerns)
        ),
        summary=event.summary,
        ip=event.ip or "",
    )


def _filtered(request):
    """(form, filter, zone, matching events) for the request's query string."""
    organization = request.organization
    form = AuditFilterForm(
        request.GET,
        coordinators=coordinator_choices(organization=organization),
        programs=program_choices(organization=organization),
    )
    zone = zone_of(None, organization)
    log_filter = form.log_filter()
    events = audit_events(
        organization=organization,
        log_filter=log_filter,
        zone=zone,
        concerns_visible=request.membership.is_concern_handler,
    )
    return form, log_filter, zone, events


@coordinator_required
def audit_log(request, org_slug):
    """Coordinators: the organisation's audit log, newest first, 50 a page, filtered."""
    form, log_filter, zone, events = _filtered(request)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    handles = request.membership.is_concern_handler
    rows = [
        _row(event, org_slug=org_slug, zone=zone, handles_concerns=handles)
        for event in page.object_list
    ]
    return render(
        request,
        "workspace/audit_log.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "zone_name": str(zone),
            "filtered": not log_filter.is_empty,
        },
    )


# (code, title): the file's header is in the requesting person's language.
CSV_HEADER = (
    ("when", gettext_lazy("When")),
    ("time_zone", gettext_lazy("Time zone")),
    ("who", gettext_lazy("Who")),
    ("action", gettext_lazy("Action")),
    ("program", gettext_lazy("Program")),
    ("target", gettext_lazy("Target")),
    ("summary", gettext_lazy("Summary")),
    ("ip", gettext_lazy("IP address")),
)


@coordinator_required
def audit_export(request, org_slug):
    """The filtered log as CSV, every cell neutralised; the download itself is logged."""
    _form, log_filter, zone, events = _filtered(request)
    count = 0

    def rows():
        nonlocal count
        for event in events.iterator(chunk_size=1000):
            row = _row(event, org_slug=org_slug, zone=zone, handles_concerns=False)
            count += 1
            yield [
                row.when.strftime("%Y-%m-%d %H:%M:%S"),
                str(zone),
                row.who,
                row.action_label,
                row.program_name,
                row.target,
                row.summary,
                row.ip,
            ]

    stamp = datetime.now(zone).date().isoformat()
    with transaction.atomic():
        response = csv_response(
            filename=f"audit-log-{request.organization.slug}-{stamp}.csv",
            header=csv_titles(CSV_HEADER),
            rows=rows(),
        )
        audit_record(
            organization=request.organization,
            action=Action.EXPORT,
            request=request,
            summary=(
                ngettext("Audit log CSV, %(n)d row", "Audit log CSV, %(n)d rows", count)
                % {"n": count}
                + (_(" (filtered)") if not log_filter.is_empty else "")
            ),
        )
    response["Cache-Control"] = "private, no-store"
    return response
