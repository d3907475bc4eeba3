"""The one-click nudge of a pair at risk on the program dashboard: sent after commit, said
on the page, who may click it. The nudge itself: tests/sessions/test_nudge.py."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from peercoach.notifications.models import Delivery, Kind, Preference
from peercoach.notifications.selectors import period_text
from peercoach.tenancy.models import Membership
from sessions.services.nudge import NudgeError, pair_nudge
from tests.notifications.test_rules import close_account, end, make_pair
from tests.sessions.conftest import person
from tests.sessions.test_nudge import PRIVATE, audits, quiet_pair, rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiet(org, participant):
    return quiet_pair(org, participant)


def nudge_url(pair, program=None):
    return reverse(
        "workspace:dashboard_nudge",
        kwargs={
            "org_slug": "acme",
            "pk": (program or pair.program).pk,
            "match_pk": pair.match.pk,
        },
    )


def dashboard_url(pair):
    return reverse("workspace:dashboard", kwargs={"org_slug": "acme", "pk": pair.program.pk})


def test_a_nudge_records_a_row_per_member_and_sends_after_commit(
    org, coordinator, quiet, client_for, commit
):
    client = client_for(coordinator)
    with commit():
        response = client.post(nudge_url(quiet))

    assert response.status_code == 302
    assert response["Location"] == dashboard_url(quiet) + "#at-risk"
    today = timezone.localdate(timezone=org.tzinfo)
    found = rows(org)
    assert sorted(r.recipient_id for r in found) == sorted(u.pk for u in quiet.people)
    for row in found:
        assert row.period == f"c{quiet.match.pk}:{today:%Y%m%d}"
        # The program's reminder log says what it was.
        assert period_text(row.period) == f"pair {quiet.match.pk}, nudged by the team on {today}"
        assert (row.program_id, row.match_id) == (quiet.program.pk, quiet.match.pk)
        assert row.status == Delivery.Status.SENT  # the task ran on commit
        assert row.context["days"] == 39 and row.context["had_session"] is True
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in quiet.people)
    for message in mail.outbox:
        assert "stalled" in message.subject
        body = message.body + message.alternatives[0][0]
        assert PRIVATE not in body and "shared-notes-sentinel-nudge" not in body
        assert message.extra_headers["List-Unsubscribe"].startswith("<http")

    (event,) = audits(org)
    assert event.actor_id == coordinator.pk and event.program_id == quiet.program.pk
    assert (event.target_type, event.target_id) == ("programs.match", quiet.match.pk)
    assert quiet.me.display_name in event.summary and PRIVATE not in event.summary

    page = client.get(response["Location"])
    html = page.content.decode()
    assert "Nudge sent to" in html and quiet.partner.display_name in html
    assert 'data-testid="nudged"' in html  # the row now says "Nudged today"


def test_a_second_click_the_same_day_sends_nothing_more(
    org, coordinator, quiet, client_for, commit
):
    client = client_for(coordinator)
    with commit():
        client.post(nudge_url(quiet))
    sent = len(mail.outbox)

    with commit():
        response = client.post(nudge_url(quiet), follow=True)

    assert len(rows(org)) == 2 and len(audits(org)) == 1
    assert len(mail.outbox) == sent
    assert "already got a nudge today" in response.content.decode()


def test_people_who_turned_nudges_off_or_cannot_be_reached_are_skipped(
    org, coordinator, participant, client_for, commit
):
    today = timezone.localdate(timezone=org.tzinfo)
    circle = make_pair(
        org,
        participant,
        published=today - timedelta(days=40),
        term=(today - timedelta(days=60), today + timedelta(days=120)),
        size=4,
    )
    off, closed, gone = circle.people[1:]
    with scope(organization=org):
        Preference.objects.create(organization=org, user=off, kind=Kind.NUDGE, enabled=False)
        Membership.objects.filter(user=gone).delete()
    close_account(closed)

    with commit():
        response = client_for(coordinator).post(nudge_url(circle), follow=True)

    assert [r.recipient_id for r in rows(org)] == [participant.pk]
    assert [m.to for m in mail.outbox] == [[participant.email]]
    html = response.content.decode()
    assert f"{off.display_name} turned these emails off" in html
    assert "cannot be emailed" in html


def test_an_ended_pair_cannot_be_nudged(org, coordinator, quiet, client_for):
    end(quiet)

    response = client_for(coordinator).post(nudge_url(quiet), follow=True)

    assert "no longer active" in response.content.decode()
    assert rows(org) == [] and audits(org) == []
    with scope(organization=org), pytest.raises(NudgeError):
        pair_nudge(organization=org, match=quiet.match, by=coordinator)


def test_the_filter_and_page_are_kept(org, coordinator, quiet, client_for):
    response = client_for(coordinator).post(
        nudge_url(quiet), {"group": "Engineering", "page": "2", "other": "x"}
    )

    assert response["Location"] == dashboard_url(quiet) + "?group=Engineering&page=2#at-risk"


def test_who_may_nudge(
    org, coordinator, participant, stranger, other_coordinator, quiet, client, other_org
):
    url = nudge_url(quiet)
    client.force_login(participant)
    assert client.post(url).status_code == 403
    client.force_login(stranger)
    assert client.post(url).status_code == 403
    client.force_login(other_coordinator)
    assert client.post(url).status_code == 404
    other_url = url.replace("/o/acme/", f"/o/{other_org.slug}/")
    assert client.post(other_url).status_code == 404
    client.force_login(coordinator)
    assert client.get(url).status_code == 405
    assert rows(org) == []


def test_a_pair_of_another_program_through_this_url_is_404(org, coordinator, quiet, client_for):
    other = make_pair(org, person(org, "other@acme.example.org"), published=timezone.localdate())

    response = client_for(coordinator).post(nudge_url(quiet, program=other.program))

    assert response.status_code == 404
    assert rows(org) == []
