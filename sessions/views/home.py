"""A pair's or circle's hub page and its full list of sessions.

Only the members reach them, current or former (`match_for_member`: everyone else,
coordinators included, gets 404). An ended pair, or a member who left, reads the same
page without its actions.
"""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from peercoach.tenancy.pages import render_cached
from peercoach.tenancy.stamps import Until

from ..access import is_writable, match_for_member
from ..selectors.home import pair_hub, sessions_for_pair

SESSIONS_PER_PAGE = 20


@never_cache
def pair(request, org_slug, pk):
    """The hub, cached for this person until the organisation's next write (or the next
    session starts or ends). The access check is part of what is cached: see
    peercoach/tenancy/pages.py."""

    def build():
        match = match_for_member(request, pk)
        now = timezone.now()
        context = pair_hub(match=match, user=request.user, now=now)
        page = {"match": match, "program": match.program, "writable": is_writable(match)}
        return Until({**page, **context}, changes_at(context, now))

    return render_cached(request, "sessions/home/pair.html", build, name="pair", vary=(pk,))


def changes_at(context, now):
    """When the hub changes by itself: the next start or end of a session it lists as
    upcoming (it then moves on, or waits to be logged); None when none does."""
    sessions = [context["next_session"], *context["waiting_for_me"], *context["my_proposals"]]
    times = [t for s in sessions if s is not None for t in (s.starts_at, s.ends_at) if t > now]
    return min(times, default=None)


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
