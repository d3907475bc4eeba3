"""The cached participant home shows every write at once, and never another's home.

The home's content is cached per person on the organisation's version stamp
(peercoach.tenancy.stamps). Each test warms the cache (the second GET is served from it:
3 queries), makes one kind of write the home shows, through the service that makes it
where there is one, and reads the home again.
"""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope

from peercoach.tenancy.models import Membership
from programs.models import Match, Program
from sessions.models import OptOut
from sessions.services import endings
from sessions.services.log import session_log
from tests.factories import ProgramEventFactory
from tests.sessions.test_home import home_url, signed_agreement

pytestmark = pytest.mark.django_db


def warm(client, org):
    """GET the home twice; the second answer comes from the cache."""
    client.get(home_url(org))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(home_url(org))
    assert response.status_code == 200
    assert len(captured) == 3, [q["sql"] for q in captured]
    return response.content


def test_a_session_logged_shows_at_once(org, pair, client_for):
    client = client_for(pair.me)
    assert b"None yet" in warm(client, org)
    with scope(organization=org):
        session = session_log(
            match=pair.match,
            user=pair.partner,
            starts_at=timezone.now() - timedelta(days=1),
            duration_minutes=60,
            modality="zoom",
            halves=(30, 30),
        )
    content = client.get(home_url(org)).content
    assert f"/sessions/{session.pk}/".encode() in content


def test_an_agreement_signed_shows_at_once(org, pair, client_for):
    client = client_for(pair.me)
    assert b"Agreement signed" not in warm(client, org)
    signed_agreement(pair, {pair.me: "1", pair.partner: "2"})
    assert b"Agreement signed" in client.get(home_url(org)).content


def test_an_opt_out_shows_at_once(org, pair, client_for):
    client = client_for(pair.me)
    assert b'data-testid="pair-card"' in warm(client, org)
    with scope(organization=org):
        endings.opt_out_give(
            match=pair.match, user=pair.partner, reason=OptOut.Reason.NO_TIME, notice="Sorry."
        )
    content = client.get(home_url(org)).content
    assert b'data-testid="pair-card"' not in content
    assert b'data-testid="past-pairs"' in content


def test_a_coordinator_renaming_the_program_shows_at_once(org, pair, client_for):
    client = client_for(pair.me)
    warm(client, org)
    with scope(organization=org):
        # QuerySet.update() sends no signal: the tenant queryset stamps it itself.
        Program.objects.filter(pk=pair.program.pk).update(name="Renamed program")
    assert b"Renamed program" in client.get(home_url(org)).content


def test_an_event_added_shows_at_once(org, pair, client_for):
    client = client_for(pair.me)
    warm(client, org)
    with scope(organization=org):
        ProgramEventFactory(program=pair.program, title="Spring gathering")
    assert b"Spring gathering" in client.get(home_url(org)).content


def test_the_partner_renaming_themselves_shows_at_once(org, pair, client_for):
    client = client_for(pair.me)
    warm(client, org)
    pair.partner.first_name = "Zebedee"
    pair.partner.save()
    assert b"Zebedee" in client.get(home_url(org)).content


def test_a_removed_member_gets_404_at_once(org, pair, client_for):
    client = client_for(pair.me)
    warm(client, org)
    with scope(organization=org):
        Membership.objects.filter(user=pair.me).delete()
    assert client.get(home_url(org)).status_code == 404


def test_a_pair_ended_by_bulk_update_shows_at_once(org, pair, client_for):
    client = client_for(pair.me)
    warm(client, org)
    with scope(organization=org):
        Match.objects.filter(pk=pair.match.pk).update(
            status=Match.Status.ENDED, ended_at=timezone.now()
        )
    assert b'data-testid="pair-card"' not in client.get(home_url(org)).content


def test_two_people_never_share_a_cached_home(org, pair, stranger, client_for, client):
    mine = warm(client_for(pair.me), org)
    client.logout()
    theirs = client_for(stranger).get(home_url(org)).content
    assert pair.partner.display_name.encode() in mine
    assert pair.partner.display_name.encode() not in theirs
    assert f"Welcome, {stranger.first_name or stranger.email}".encode() in theirs


def test_two_organisations_never_share_a_cached_home(
    org, other_org, pair, other_participant, client_for, client
):
    warm(client_for(pair.me), org)
    client.logout()
    content = client_for(other_participant).get(home_url(other_org)).content
    assert pair.partner.display_name.encode() not in content
    assert other_org.name.encode() in content


def test_no_csrf_token_or_message_inside_the_cached_content(org, pair, client_for):
    client = client_for(pair.me)
    content = warm(client, org)
    main = content[content.index(b"<main") : content.index(b"</main>")]
    assert b"csrfmiddlewaretoken" not in main


# --- The navigation, cached with the person menu's language form ------------------------

LANGUAGE_FORM = re.compile(
    r'<form method="post" action="/language/"[^>]*>\s*<input type="hidden" '
    r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})">\s*'
    r'<input type="hidden" name="next" value="([^"]*)">'
)


def test_the_cached_menu_language_form_posts_in_a_new_session(org, participant):
    """The header (person menu included) is cached per person and page; its language form's
    CSRF token is this request's, so it still posts after the person signs in again (a new
    session, a new CSRF secret), and it returns to the page it is on."""
    from django.test import Client

    first = Client(enforce_csrf_checks=True)
    first.force_login(participant)
    first.get(home_url(org))  # renders and caches the header
    profile = first.get("/accounts/profile/")
    assert LANGUAGE_FORM.search(profile.content.decode())[2] == "/accounts/profile/"

    again = Client(enforce_csrf_checks=True)
    again.force_login(participant)
    page = again.get(home_url(org))
    html = page.content.decode()
    assert "pc0csrf0mark" not in html
    token, back = LANGUAGE_FORM.search(html).groups()
    assert back == home_url(org)
    response = again.post(
        "/language/", {"language": "es", "next": back, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302 and response["Location"] == back
    participant.refresh_from_db()
    assert participant.language == "es"
