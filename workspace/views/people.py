"""The coordinator's participant list and a pair's activity page: activity, never content."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from peercoach.tenancy.access import coordinator_required
from peercoach.web.forms import object_id
from programs.access import coordinator_program

from ..selectors.people import (
    PeopleFilter,
    Status,
    groups_for_filter,
    open_invitation_count,
    pair_activity,
    pair_for_program,
    people_queryset,
    people_rows,
    programs_for_filter,
    status_counts,
)

PAGE_SIZE = 50


def _text_param(request, name):
    # PostgreSQL refuses NUL characters in a query parameter: drop them, never a 500.
    return request.GET.get(name, "").replace("\x00", "")


@never_cache
@coordinator_required
def people(request, org_slug):
    """Participants with search, filters (program, status, group or community) and pages."""
    organization = request.organization
    programs = programs_for_filter(organization=organization)
    program_id = object_id(request.GET.get("program", ""))
    program = next((p for p in programs if p.pk == program_id), None)
    status = request.GET.get("status", "")
    filters = PeopleFilter(
        q=_text_param(request, "q").strip()[:200],
        program=program,
        status=status if status in Status.values else "",
        group=_text_param(request, "group")[:300],
    )
    page = Paginator(
        people_queryset(organization=organization, filters=filters), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    counts = status_counts(organization=organization, filters=filters)
    groups, communities = groups_for_filter(organization=organization, program=program)
    context = {
        "page": page,
        "rows": people_rows(
            organization=organization,
            memberships=page.object_list,
            programs=programs,
            program=program,
        ),
        "filters": filters,
        "programs": programs,
        "groups": groups,
        "communities": communities,
        "total": counts["all"],
        "status_tabs": [(value, label, counts[value]) for value, label in Status.choices],
        "invitation_count": (
            open_invitation_count(organization=organization)
            if filters.status == Status.INVITED
            else None
        ),
    }
    return render(request, "workspace/people/list.html", context)


@never_cache
@coordinator_required
def pair_activity_page(request, org_slug, pk, match_pk):
    """One pair or circle as the program team sees it: who, when, how often; no content."""
    if object_id(str(pk)) is None or object_id(str(match_pk)) is None:
        raise Http404("No such pair.")
    program = coordinator_program(request, pk)
    match = pair_for_program(program=program, match_pk=match_pk)
    if match is None:
        raise Http404("No such pair.")
    activity = pair_activity(organization=request.organization, program=program, match=match)
    return render(
        request,
        "workspace/people/pair.html",
        {
            "program": program,
            "activity": activity,
            "match": match,
        },
    )
