"""Who may reach a pair's or circle's sessions, goals and reports, in one place.

The members of a pair or circle (current or former: nothing is deleted after an opt-out)
read what the pair shares; only current members of an active pair write. Everyone else,
coordinators included, gets 404: the program team sees activity on its own pages, never
this content. Another tenant's object is 404 like any other.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404

from programs.models import Match, MatchMember

from .models import Session


class NotWritable(Exception):
    """The pair or circle has ended, or the person has left it: reading only."""


def _membership_of(match, user):
    return (
        MatchMember.objects.filter(organization=match.organization, match=match, user=user)
        .only("id", "role", "is_current", "user_id")
        .first()
    )


def match_for_member(request, pk, *, write=False):
    """The published pair or circle `pk` when the requester is (or was) one of its
    members, else 404. With `write`, raises NotWritable unless the pair is active and
    the requester still a current member. Sets `match.me` to the requester's member row.
    """
    match = get_object_or_404(
        Match.objects.select_related("program").exclude(status=Match.Status.PROPOSED),
        pk=pk,
        organization=request.organization,
    )
    match.organization = request.organization
    match.program.organization = request.organization
    me = _membership_of(match, request.user)
    if me is None:
        raise Http404("No such pair or circle.")
    match.me = me
    if write and not is_writable(match):
        raise NotWritable
    return match


def is_writable(match):
    return match.status == Match.Status.ACTIVE and match.me.is_current


def session_for_member(request, pk, *, write=False):
    """The session `pk` when the requester is (or was) a member of its pair, else 404.
    `session.match.me` is the requester's member row (see `match_for_member`)."""
    session = get_object_or_404(
        # logged_by: the session page says who logged it.
        Session.objects.select_related("match", "program", "logged_by"),
        pk=pk,
        organization=request.organization,
    )
    match = session.match
    if match.status == Match.Status.PROPOSED:
        raise Http404("No such session.")
    match.organization = request.organization
    match.program = session.program
    session.program.organization = request.organization
    session.organization = request.organization
    me = _membership_of(match, request.user)
    if me is None:
        raise Http404("No such session.")
    match.me = me
    if write and not is_writable(match):
        raise NotWritable
    return session
