"""The program team on the settings page: who handles confidential concerns (written by
`sessions.services.concerns.concern_handlers_set`), its audit rows and refusals, the old
handlers address that now leads here, and the page's query count."""

import pytest
from django.urls import reverse
from django_scopes import scope

from peercoach.audit.models import Action, AuditEvent
from peercoach.tenancy.models import Membership
from programs.models import Match
from tests.factories import (
    MembershipFactory,
    ProgramFactory,
    UserFactory,
    match_make,
    totp_activate,
)
from tests.test_query_counts import count_queries, describe

pytestmark = pytest.mark.django_db


def settings_url(org):
    return reverse("workspace:settings", kwargs={"org_slug": org.slug})


def membership(org, user):
    with scope(organization=org):
        return Membership.objects.get(organization=org, user=user)


def add_coordinator(org, email, **names):
    with scope(organization=org):
        user = UserFactory(email=email, **names)
        MembershipFactory(organization=org, user=user, role=Membership.Role.COORDINATOR)
    totp_activate(user)
    return user


@pytest.fixture
def colleague(org):
    return add_coordinator(org, "kim@acme.example.org", first_name="Kim", last_name="Ode")


def team_post(client, org, *memberships):
    return client.post(
        settings_url(org), {"form": "team", "handles_concerns": [str(m.pk) for m in memberships]}
    )


def member_events(org):
    with scope(organization=org):
        return list(
            AuditEvent.objects.filter(organization=org, action=Action.MEMBER_CHANGED).order_by("pk")
        )


def test_naming_and_removing_a_handler(org, coordinator, colleague, client_for):
    client = client_for(coordinator)
    kim = membership(org, colleague)
    page = client.get(settings_url(org)).content.decode()
    assert 'data-testid="no-handler"' in page

    response = team_post(client, org, kim)
    assert response.status_code == 302
    assert response["Location"].endswith("#program-team")
    kim.refresh_from_db()
    assert kim.handles_concerns
    (event,) = member_events(org)
    assert event.summary == "Kim Ode: now handles concerns"
    assert (event.target_type, event.target_id, event.actor) == (
        "tenancy.membership",
        kim.pk,
        coordinator,
    )
    page = client.get(settings_url(org)).content.decode()
    assert 'data-testid="no-handler"' not in page
    assert f'value="{kim.pk}" id="handles-{kim.pk}" checked' in page

    # Posting the same team again changes nothing and records nothing.
    team_post(client, org, kim)
    assert len(member_events(org)) == 1

    response = team_post(client, org)
    kim.refresh_from_db()
    assert not kim.handles_concerns
    assert member_events(org)[-1].summary == "Kim Ode: no longer handles concerns"
    followed = client.get(settings_url(org)).content.decode()
    assert 'data-testid="no-handler"' in followed


def test_several_changes_at_once_record_one_row_each(org, coordinator, colleague, client_for):
    client = client_for(coordinator)
    me, kim = membership(org, coordinator), membership(org, colleague)
    team_post(client, org, me, kim)
    assert {e.target_id for e in member_events(org)} == {me.pk, kim.pk}


def test_a_coordinator_in_a_pair_cannot_handle_concerns(
    org, coordinator, colleague, participant, client_for
):
    with scope(organization=org):
        program = ProgramFactory(organization=org)
        match_make(program=program, users=[colleague, participant], status=Match.Status.ACTIVE)
    client = client_for(coordinator)
    me, kim = membership(org, coordinator), membership(org, colleague)
    page = client.get(settings_url(org)).content.decode()
    assert f'id="handles-{kim.pk}" disabled' in page
    response = team_post(client, org, me, kim)
    assert response.status_code == 400
    text = response.content.decode()
    assert 'data-testid="team-error"' in text
    assert "takes part in a pair or circle" in text
    # All or nothing: the allowed change was not saved either.
    me.refresh_from_db(), kim.refresh_from_db()
    assert not me.handles_concerns and not kim.handles_concerns
    assert member_events(org) == []


@pytest.mark.parametrize("value", ["abc", "-1", "²", "99999999999999999999999"])
def test_junk_in_the_team_form_is_refused(org, coordinator, client_for, value):
    response = client_for(coordinator).post(
        settings_url(org), {"form": "team", "handles_concerns": [value]}
    )
    assert response.status_code == 400
    assert "Choose coordinators" in response.content.decode()


def test_participants_and_other_tenants_memberships_are_refused(
    org, coordinator, participant, other_coordinator, other_org, client_for
):
    client = client_for(coordinator)
    for target in (membership(org, participant), membership(other_org, other_coordinator)):
        response = team_post(client, org, target)
        assert response.status_code == 400
        assert "Choose coordinators of this organisation only" in response.content.decode()
    assert not membership(other_org, other_coordinator).handles_concerns
    assert member_events(org) == []


def test_the_coordinator_home_links_to_the_settings(org, coordinator, client_for):
    home = client_for(coordinator).get(reverse("workspace:home", kwargs={"org_slug": org.slug}))
    assert f'{settings_url(org)}#program-team"' in home.content.decode()


def test_the_settings_page_queries_do_not_grow_with_the_team(org, coordinator, client_for):
    client = client_for(coordinator)
    url = settings_url(org)
    count_queries(client, url)
    small, _ = count_queries(client, url)
    for i in range(50):
        user = add_coordinator(org, f"team{i:02}@acme.example.org")
        if i % 2:
            with scope(organization=org):
                Membership.objects.filter(user=user).update(handles_concerns=True)
    large, response = count_queries(client, url)
    assert b"team49@acme.example.org" in response.content
    assert len(large) == len(small), describe(large)
    # session, user, membership, two-factor check (middleware), my second factor, the team,
    # the organisation switcher
    assert len(large) <= 8, describe(large)


def test_the_old_handlers_page_leads_to_the_program_team(org, coordinator, participant, client_for):
    old = reverse("sessions:concern_handlers", kwargs={"org_slug": org.slug})
    response = client_for(coordinator).get(old)
    assert response.status_code == 302
    assert response["Location"] == f"{settings_url(org)}#program-team"
    assert client_for(participant).get(old).status_code == 403
    assert client_for(coordinator).post(old).status_code == 405
