"""Signed-in pages cached on the organisation's version stamp (peercoach.tenancy.pages):
the pair hub and the session page here stand for the agreement page, the program page and
the coordinator's console, which use the same `render_cached`.

A second look is served from the cache in a handful of queries; a write anywhere in the
organisation shows at once; one person's page never reaches another; the CSRF token and
the CSP nonce are this request's; a flash message is shown, not cached.
"""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from programs.models import MatchMember
from sessions.models import PrivateNote

from .conftest import pair_make
from .test_home import pair_url, session_make
from .test_log_support import held, url

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')
NONCE = re.compile(r'<style nonce="([^"]+)"')


def signed_in(user, **kwargs):
    client = Client(**kwargs)
    client.force_login(user)
    return client


def test_a_second_look_is_served_from_the_cache(org, participant):
    pair = pair_make(org, participant)
    client = signed_in(participant)
    first = client.get(pair_url(pair))
    with CaptureQueriesContext(connection) as captured:
        second = client.get(pair_url(pair))
    assert first.context is not None and second.context is None  # no template rendered
    # session, user, membership: the middleware's, no more (the access check is cached
    # with the page, on the same stamp).
    assert len(captured) == 3, [q["sql"] for q in captured.captured_queries]
    assert second.status_code == 200
    # The same page, but for this request's CSRF token (a fresh mask) and nonce.
    assert normalised(first) == normalised(second)
    assert first.content != second.content


def normalised(response):
    html = response.content.decode()
    return re.sub(r"[A-Za-z0-9]{64}", "TOKEN", html).replace(NONCE.search(html)[1], "NONCE")


def test_a_write_shows_at_once(org, participant):
    pair = pair_make(org, participant)
    client = signed_in(participant)
    client.get(pair_url(pair))
    assert client.get(pair_url(pair)).context is None
    session_make(pair, days=-1)  # the partner logged one, say
    after = client.get(pair_url(pair))
    assert after.context is not None
    assert after.context["cadence"].held == 1


def test_someone_taken_out_of_the_pair_gets_404_at_once(org, participant):
    """The access check is cached with the page: a change to who is in the pair changes
    the stamp, so the next look checks again."""
    pair = pair_make(org, participant)
    client = signed_in(participant)
    client.get(pair_url(pair))
    assert client.get(pair_url(pair)).context is None
    with scope(organization=org):
        MatchMember.objects.filter(match=pair.match, user=participant).delete()
    assert client.get(pair_url(pair)).status_code == 404


def test_each_person_gets_their_own_page(org, participant):
    pair = pair_make(org, participant)
    partner = pair.people[1]
    mine = signed_in(participant).get(pair_url(pair))
    theirs = signed_in(partner).get(pair_url(pair))
    assert theirs.context is not None  # built for them, not my copy
    assert theirs.context["me"].user_id == partner.pk
    assert mine.context["me"].user_id == participant.pk


def test_a_cached_page_carries_this_requests_csrf_token_and_nonce(org, participant):
    pair = pair_make(org, participant)
    session = held(pair)
    client = signed_in(participant, enforce_csrf_checks=True)
    first = client.get(url("detail", session.pk))
    second = client.get(url("detail", session.pk))
    assert second.context is None
    html = second.content.decode()
    assert "pc0csrf0mark" not in html and "pc0nonce0mark" not in html
    nonce = NONCE.search(html)[1]
    assert nonce != NONCE.search(first.content.decode())[1]
    assert f"'nonce-{nonce}'" in second["Content-Security-Policy"]
    # The form of the cached page posts: its token is valid for this session.
    response = client.post(
        url("private_note", session.pk),
        {"body": "Only mine", "csrfmiddlewaretoken": TOKEN.search(html)[1]},
    )
    assert response.status_code == 302
    with scope(organization=org):
        assert PrivateNote.objects.get(session=session).body == "Only mine"
    # The message after the redirect is shown, and the page shows the new note.
    page = client.get(url("detail", session.pk))
    assert page.context is not None
    assert b"Your private note is saved." in page.content
    assert b"Only mine" in page.content
