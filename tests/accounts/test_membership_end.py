"""Ending one membership (membership_end): the pairs end through the opt-out path with the
partner and the team told, a circle goes on, the person's other organisations and account
are untouched, the last coordinator stays, and a second call does nothing."""

import pytest
from django_scopes import scope, scopes_disabled

from peercoach.accounts.models import Invitation
from peercoach.accounts.services import MembershipEndError, membership_end
from peercoach.audit.models import Action, AuditEvent
from peercoach.tenancy.models import Membership
from programs.models import Application, Match, MatchMember, Program
from sessions.models import OptOut
from tests.factories import ApplicationFactory, InvitationFactory, MembershipFactory, ProgramFactory
from tests.sessions.conftest import pair_make

pytestmark = pytest.mark.django_db


def test_the_pair_ends_through_an_opt_out_and_partner_and_team_are_told(
    org, other_org, participant, coordinator, commit, mailoutbox
):
    pair = pair_make(org, participant)
    with scope(organization=other_org):
        MembershipFactory(organization=other_org, user=participant)
    with commit():
        event = membership_end(organization=org, user=participant, actor=coordinator)
    with scopes_disabled():
        assert event.action == Action.MEMBER_REMOVED and event.actor == coordinator
        match = Match.objects.get(pk=pair.match.pk)
        assert match.status == Match.Status.ENDED
        opt_out = OptOut.objects.get(match=match, user=participant)
        assert opt_out.reason == OptOut.Reason.LEAVING
        assert not Membership.objects.filter(organization=org, user=participant).exists()
        # The other organisation and the account are untouched.
        assert Membership.objects.filter(organization=other_org, user=participant).exists()
    participant.refresh_from_db()
    assert participant.is_active and participant.has_usable_password()
    recipients = {m.to[0] for m in mailoutbox}
    assert {pair.partner.email, coordinator.email} <= recipients


def test_a_circle_goes_on_without_the_leaver(org, participant, coordinator):
    circle = pair_make(org, participant, format=Program.Format.CIRCLE, size=3)
    membership_end(organization=org, user=participant, actor=coordinator)
    with scope(organization=org):
        match = Match.objects.get(pk=circle.match.pk)
        assert match.status == Match.Status.ACTIVE
        current = set(
            MatchMember.objects.filter(match=match, is_current=True).values_list(
                "user_id", flat=True
            )
        )
        # Nothing shared is deleted: the leaver's member row stays, no longer current.
        assert MatchMember.objects.filter(match=match, user=participant).exists()
    assert current == {p.pk for p in circle.people[1:]}


def test_applications_are_withdrawn_and_open_invitations_revoked(org, participant, coordinator):
    with scope(organization=org):
        program = ProgramFactory(organization=org, status=Program.Status.OPEN)
        application = ApplicationFactory(
            program=program, user=participant, status=Application.Status.SUBMITTED
        )
        invitation = InvitationFactory(organization=org, email=participant.email)
    membership_end(organization=org, user=participant, actor=coordinator)
    with scope(organization=org):
        application.refresh_from_db()
        invitation.refresh_from_db()
    assert application.status == Application.Status.WITHDRAWN
    assert invitation.revoked_at is not None


def test_the_last_coordinator_is_refused_and_nothing_changes(org, coordinator):
    with pytest.raises(MembershipEndError, match="last coordinator"):
        membership_end(organization=org, user=coordinator, actor=coordinator)
    with scope(organization=org):
        assert Membership.objects.filter(organization=org, user=coordinator).exists()
        assert not AuditEvent.objects.filter(action=Action.MEMBER_REMOVED).exists()


def test_a_second_call_does_nothing(org, participant, coordinator):
    pair_make(org, participant)
    assert membership_end(organization=org, user=participant, actor=coordinator) is not None
    assert membership_end(organization=org, user=participant, actor=coordinator) is None
    with scope(organization=org):
        assert AuditEvent.objects.filter(action=Action.MEMBER_REMOVED).count() == 1
        assert OptOut.objects.filter(user=participant).count() == 1
    # A later invitation can make a fresh membership.
    with scope(organization=org):
        assert not Invitation.objects.filter(email=participant.email).exists()
