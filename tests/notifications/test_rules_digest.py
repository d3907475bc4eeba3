"""The coordinators' weekly digest of pairs at risk (see test_rules for the setting)."""

import pytest
from django_scopes import scope

from peercoach.tenancy.models import Membership
from sessions import reminders as rules
from sessions.models import Session
from tests.factories import MembershipFactory
from tests.notifications.test_rules import (
    MONDAY,
    agreement_for,
    at,
    days,
    make_pair,
    pause_make,
    run,
    session_make,
    who,
)
from tests.sessions.conftest import person

pytestmark = pytest.mark.django_db


# --- The coordinators' digest ------------------------------------------------------------


def test_digest_on_monday_morning_lists_pairs_at_risk(org, participant, stranger, coordinator):
    quiet = make_pair(org, participant, published=MONDAY - days(45))
    fine = make_pair(org, stranger, published=MONDAY - days(10))
    late = make_pair(org, person(org, "late@acme.example.org"), published=MONDAY - days(45))
    session_make(late, at(MONDAY - days(5), 10, 0), status=Session.Status.HELD)
    unsigned = make_pair(org, person(org, "unsigned@acme.example.org"), published=MONDAY)
    agreement_for(unsigned, created=MONDAY - days(8), signed_by=[unsigned.me])
    agreement_for(fine, created=MONDAY - days(8))  # signed: no risk

    assert run(rules.coordinator_digest, org, at(MONDAY, 7, 59)) == []
    dues = run(rules.coordinator_digest, org, at(MONDAY))
    assert who(dues) == [(coordinator.pk, "d2026-W24")]
    due = dues[0]
    assert due.due_at == at(MONDAY, 8, 0)
    assert due.program_id is None and due.match_id is None
    listed = {p["names"]: p for p in due.context["pairs"]}
    assert set(listed) == {quiet.me.display_name + " and " + quiet.partner.display_name} | {
        late.me.display_name + " and " + late.partner.display_name,
        unsigned.me.display_name + " and " + unsigned.partner.display_name,
    }
    reasons = {name: " ".join(r["text"] for r in pair["reasons"]) for name, pair in listed.items()}
    quiet_name = quiet.me.display_name + " and " + quiet.partner.display_name
    late_name = late.me.display_name + " and " + late.partner.display_name
    unsigned_name = unsigned.me.display_name + " and " + unsigned.partner.display_name
    assert "No session held since the pair started 45 days ago" in reasons[quiet_name]
    assert "Progress report overdue" in reasons[quiet_name]
    assert "Progress report overdue" in reasons[late_name]
    assert "No session" not in reasons[late_name]
    assert "Agreement not signed 8 days" in reasons[unsigned_name]
    assert unsigned.partner.display_name in reasons[unsigned_name]
    assert due.context["total"] == 3 and due.context["more"] == 0
    for pair in due.context["pairs"]:
        assert all(r["url"].startswith("http") for r in pair["reasons"])


def test_no_digest_when_nothing_is_at_risk_or_not_monday(org, participant, coordinator):
    pair = make_pair(org, participant, published=MONDAY - days(10))

    assert run(rules.coordinator_digest, org, at(MONDAY)) == []
    make_pair(org, person(org, "quiet@acme.example.org"), published=MONDAY - days(45))
    assert run(rules.coordinator_digest, org, at(MONDAY + days(1))) == []
    assert run(rules.coordinator_digest, org, at(MONDAY, 12, 0)) == []
    (digest,) = run(rules.coordinator_digest, org, at(MONDAY))
    listed = " ".join(p["names"] for p in digest.context["pairs"])
    assert pair.me.display_name not in listed  # the pair doing fine
    assert digest.context["total"] == 1


def test_digest_goes_to_every_coordinator_in_their_zone_not_to_participants(
    org, participant, coordinator
):
    make_pair(org, participant, published=MONDAY - days(45))
    with scope(organization=org):
        far = MembershipFactory(
            organization=org,
            role=Membership.Role.COORDINATOR,
            user__email="far@acme.example.org",
            user__time_zone="America/New_York",
        ).user

    assert who(run(rules.coordinator_digest, org, at(MONDAY))) == [(coordinator.pk, "d2026-W24")]
    new_york = run(rules.coordinator_digest, org, at(MONDAY, 8, 0, "America/New_York"))
    assert [(d.recipient_id, d.due_at) for d in new_york] == [
        (far.pk, at(MONDAY, 8, 0, "America/New_York"))
    ]


def test_paused_pairs_are_not_at_risk(org, participant, coordinator):
    pair = make_pair(org, participant, published=MONDAY - days(45))
    pause_make(pair, MONDAY - days(1), MONDAY + days(20))

    assert run(rules.coordinator_digest, org, at(MONDAY)) == []
