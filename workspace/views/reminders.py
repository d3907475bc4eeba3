"""A program's reminder log for its coordinators: who got which reminder, when, and
whether it went out, read from the delivery ledger."""

from django.core.paginator import Paginator
from django.shortcuts import render

from peercoach.notifications.models import Delivery, Kind
from peercoach.notifications.selectors import (
    deliveries_for_program,
    delivery_counts,
    kind_name,
    period_text,
)
from peercoach.tenancy.access import coordinator_required
from programs.access import coordinator_program

PAGE_SIZE = 50


@coordinator_required
def reminder_log(request, org_slug, pk):
    """Coordinators: who got which reminder of the program, when, and whether it went out.

    Shows the ledger's bookkeeping only; what an email said is never read from it.
    """
    program = coordinator_program(request, pk)
    kind = request.GET.get("kind") or ""
    if kind not in Kind.values:
        kind = ""
    status = request.GET.get("status") or ""
    if status not in Delivery.Status.values:
        status = ""
    page = Paginator(
        deliveries_for_program(program=program, kind=kind, status=status), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    for row in rows:
        row.kind_name = kind_name(row.kind)
        row.about = period_text(row.period)
    counts = delivery_counts(program=program, kind=kind)
    return render(
        request,
        "workspace/reminder_log.html",
        {
            "program": program,
            "page": page,
            "rows": rows,
            "total": counts["all"],
            "status_tabs": [
                (value, label, counts[value]) for value, label in Delivery.Status.choices
            ],
            "kind": kind,
            "status": status,
            "kinds": [(value, kind_name(value)) for value in Kind.values],
        },
    )
