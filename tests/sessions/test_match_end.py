"""When a pair ends (opt-out, the coordinator ending it), its planned sessions are off."""

import pytest
from django_scopes import scope

from programs.services.proposals import match_end
from sessions.models import Session
from tests.sessions.test_schedule import calendars, events, fresh, propose

pytestmark = pytest.mark.django_db


def test_ending_a_pair_cancels_its_planned_sessions_and_tells_the_others(pair, commit, mailoutbox):
    proposed = propose(pair, count=2)
    mailoutbox.clear()
    with commit(), scope(organization=pair.program.organization):
        match_end(match=pair.match, ended_by=pair.me, reason="Opt-out (no time)")

    for session in proposed:
        session = fresh(session)
        assert session.status == Session.Status.CANCELLED
        assert session.sequence == 1
    # The partner, not the person who ended it, gets one cancellation with both events.
    (message,) = mailoutbox
    assert message.to == [pair.partner.email]
    assert "has ended" in message.subject
    (calendar,) = calendars(message)
    assert calendar.get("METHOD") == "CANCEL"
    assert {str(e.get("UID")) for e in events(calendar)} == {str(s.uid) for s in proposed}
    assert {str(e.get("STATUS")) for e in events(calendar)} == {"CANCELLED"}


def test_ending_twice_or_without_planned_sessions_sends_nothing(pair, commit, mailoutbox):
    with commit(), scope(organization=pair.program.organization):
        match_end(match=pair.match, ended_by=None, reason="Ended by the program team")
        match_end(match=pair.match, ended_by=None, reason="Ended by the program team")
    assert mailoutbox == []


def test_an_ended_pair_stays_reachable_from_the_home_page(pair, client_for):
    with scope(organization=pair.program.organization):
        match_end(match=pair.match, ended_by=pair.me, reason="Opt-out (no time)")
    home = client_for(pair.partner).get(f"/o/{pair.program.organization.slug}/")
    assert home.status_code == 200
    text = home.content.decode()
    assert "You have no current partner or circle" in text
    assert f'href="/o/{pair.program.organization.slug}/pairs/{pair.match.pk}/"' in text
    assert pair.me.display_name in text
