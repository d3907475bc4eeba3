"""A pair's or circle's hub page and its full list of sessions.

Only the members reach them, current or former (`match_for_member`: everyone else,
coordinators included, gets 404). An ended pair, or a member who left, reads the same
page without its actions.
"""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from ..access import is_writable, match_for_member
from ..selectors.home import pair_hub, sessions_for_pair

SESSIONS_PER_PAGE = 20


@never_cache
def pair(request, org_slug, pk):
    match = match_for_member(request, pk)
    context = pair_hub(match=match, user=request.user)
    return render(
        request,
        "sessions/home/pair.html",
        {"match": match, "program": match.program, "writable": is_writable(match), **context},
    )


@never_cache
def session_list(request, org_slug, pk):
    match = match_for_member(request, pk)
    page = Paginator(sessions_for_pair(match=match), SESSIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "sessions/home/session_list.html",
        {"match": match, "program": match.program, "page": page},
    )
