"""audit_record: what a row keeps, and where its address comes from."""

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django_scopes import scope

from peercoach.audit.models import Action
from peercoach.audit.services import audit_record
from tests.factories import ProgramFactory

from .conftest import events, only_event

pytestmark = pytest.mark.django_db


def test_a_row_keeps_the_targets_type_and_id_and_the_actors_name(org, coordinator):
    with scope(organization=org):
        program = ProgramFactory(organization=org)
        event = audit_record(
            organization=org,
            action=Action.PROGRAM_CHANGED,
            actor=coordinator,
            target=program,
            program=program,
            summary="x" * 400,
        )
    assert (event.target_type, event.target_id) == ("programs.program", program.pk)
    assert event.actor_name == coordinator.display_name
    assert len(event.summary) == 300
    assert event.ip is None  # no web request, no address


def test_an_unknown_action_is_refused(org):
    with scope(organization=org), pytest.raises(ValueError):
        audit_record(organization=org, action="made_up")


def test_the_address_comes_from_the_request_or_is_given(org, coordinator, settings):
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1")
    request.user = coordinator
    with scope(organization=org):
        from_request = audit_record(organization=org, action=Action.EXPORT, request=request)
        given = audit_record(organization=org, action=Action.EXPORT, ip="192.0.2.99")
    assert (from_request.actor, from_request.ip) == (coordinator, "192.0.2.1")
    assert given.ip == "192.0.2.99"
    # Behind one trusted proxy, the client is the proxy's last entry.
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7"
    )
    request.user = coordinator
    with scope(organization=org):
        proxied = audit_record(organization=org, action=Action.EXPORT, request=request)
    assert proxied.ip == "203.0.113.7"


def test_a_service_in_a_web_request_records_its_address_and_no_later_call_inherits_it(
    org, coordinator, client_for
):
    client = client_for(coordinator)
    client.post(
        reverse("accounts:invite", kwargs={"org_slug": org.slug}),
        {"email": "someone@example.org", "role": "participant"},
        REMOTE_ADDR="203.0.113.80",
    )
    assert only_event(org).ip == "203.0.113.80"
    with scope(organization=org):
        after = audit_record(organization=org, action=Action.EXPORT)
    assert after.ip is None
    assert len(events(org)) == 2
