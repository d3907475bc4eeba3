"""Every hooked action writes exactly one audit row, with its action, actor, target and
program, in the action's own transaction: a refused action leaves no row, and a row that
cannot be written undoes the action."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scope

from agreements.models import Signature
from agreements.services.common import Actor, AgreementError
from agreements.services.sign import agreement_sign
from peercoach.accounts import services as account_services
from peercoach.accounts.models import Invitation
from peercoach.audit.models import Action, AuditEvent
from peercoach.tenancy.models import Membership
from programs.models import Application, Match, MatchingRun, Program
from programs.services import pairing, proposals
from programs.services.applications import ApplicationError, applications_decide
from sessions.models import Concern, ConcernAccess, OptOut
from sessions.services import concerns as concern_services
from sessions.services import endings
from tests.agreements.conftest import Pair as AgreementPair
from tests.agreements.conftest import template_make
from tests.conftest import _member
from tests.factories import (
    ApplicationFactory,
    InvitationFactory,
    MembershipFactory,
    ProgramFactory,
    QuestionFactory,
    UserFactory,
    match_make,
)
from tests.programs.test_setup import post_data
from tests.sessions.conftest import pair_make

from .conftest import events, only_event

pytestmark = pytest.mark.django_db

IP = "203.0.113.24"


def post(client, name, org, data=None, **kwargs):
    url = reverse(name, kwargs={"org_slug": org.slug, **kwargs})
    return client.post(url, data or {}, REMOTE_ADDR=IP)


def target_of(event):
    return event.target_type, event.target_id


@pytest.fixture
def program(org):
    with scope(organization=org):
        return ProgramFactory(organization=org, name="Spring term")


@pytest.fixture
def handler(org):
    user = _member(org, Membership.Role.COORDINATOR, "handler@acme.example.org", mfa=True)
    with scope(organization=org):
        Membership.objects.filter(organization=org, user=user).update(handles_concerns=True)
    return user


def people(org, n, prefix="p"):
    with scope(organization=org):
        users = [UserFactory(email=f"{prefix}{i}@acme.example.org") for i in range(n)]
        for user in users:
            MembershipFactory(organization=org, user=user)
    return users


# --- Invitations ----------------------------------------------------------------------


def test_an_invitation_sent_is_recorded_with_who_sent_it_and_from_where(
    org, coordinator, client_for
):
    response = post(
        client_for(coordinator),
        "accounts:invite",
        org,
        {"email": "New@Example.org", "role": "participant"},
    )
    assert response.status_code == 302
    event = only_event(org)
    with scope(organization=org):
        invitation = Invitation.objects.get()
    assert event.action == Action.INVITATION_SENT
    assert (event.actor, event.actor_name) == (coordinator, coordinator.display_name)
    assert target_of(event) == ("accounts.invitation", invitation.pk)
    assert "new@example.org" in event.summary
    # The service never saw the request: the address is the request's all the same.
    assert event.ip == IP


def test_a_refused_invitation_leaves_no_row(org, coordinator, participant, client_for):
    response = post(
        client_for(coordinator),
        "accounts:invite",
        org,
        {"email": participant.email, "role": "participant"},
    )
    assert response.status_code == 200  # the form again, with the message
    assert events(org) == []


def test_a_csv_of_invitations_is_one_row_with_the_count(org, coordinator, client_for):
    upload = SimpleUploadedFile(
        "people.csv", b"email,role\nann@example.org,participant\nbob@example.org,coordinator\n"
    )
    response = post(client_for(coordinator), "accounts:invite_csv", org, {"file": upload})
    assert response.status_code == 302
    event = only_event(org)
    assert (event.action, event.actor) == (Action.INVITATION_SENT, coordinator)
    assert event.summary.startswith("2 invitations")


def test_resending_and_withdrawing_are_recorded(org, coordinator, client_for):
    with scope(organization=org):
        invitation = InvitationFactory(organization=org, email="late@example.org")
    client = client_for(coordinator)
    post(client, "accounts:invitation_resend", org, pk=invitation.pk)
    post(client, "accounts:invitation_revoke", org, pk=invitation.pk)
    sent, revoked = events(org)
    assert (sent.action, revoked.action) == (Action.INVITATION_SENT, Action.INVITATION_REVOKED)
    assert target_of(revoked) == ("accounts.invitation", invitation.pk)
    assert revoked.actor == coordinator and revoked.ip == IP
    # Withdrawn: a resend is refused and writes nothing.
    post(client, "accounts:invitation_resend", org, pk=invitation.pk)
    assert len(events(org)) == 2


def test_accepting_an_invitation_is_recorded_as_the_new_member(org, client):
    with scope(organization=org):
        invitation = InvitationFactory(organization=org, email="newbie@example.org")
    token = account_services.invitation_token(invitation=invitation)
    response = client.post(
        reverse("accounts:invitation_accept", kwargs={"token": token}),
        {
            "first_name": "Nia",
            "last_name": "Brook",
            "password1": "a long enough passphrase 42",
            "password2": "a long enough passphrase 42",
        },
        REMOTE_ADDR=IP,
    )
    assert response.status_code == 302
    event = only_event(org)
    assert event.action == Action.INVITATION_ACCEPTED
    assert event.actor.email == "newbie@example.org" and event.actor_name == "Nia Brook"
    assert target_of(event) == ("accounts.invitation", invitation.pk)
    assert event.ip == IP


# --- Programs -------------------------------------------------------------------------


def test_creating_changing_copying_and_moving_a_program(org, coordinator, client_for):
    client = client_for(coordinator)
    assert post(client, "programs:create", org, post_data()).status_code == 302
    with scope(organization=org):
        program = Program.objects.get()
    created = only_event(org)
    assert (created.action, created.program, created.actor) == (
        Action.PROGRAM_CREATED,
        program,
        coordinator,
    )
    assert target_of(created) == ("programs.program", program.pk)

    changed = post(
        client,
        "programs:edit",
        org,
        post_data(name="Autumn term", session_minutes=60),
        pk=program.pk,
    )
    assert changed.status_code == 302
    event = only_event(org, action=Action.PROGRAM_CHANGED)
    assert "Name" in event.summary and event.ip == IP

    copy = post(
        client,
        "programs:copy",
        org,
        {"name": "Next term", "term_start": "2031-01-06", "term_end": "2031-06-27"},
        pk=program.pk,
    )
    assert copy.status_code == 302
    with scope(organization=org):
        new = Program.objects.get(name="Next term")
    event = events(org, action=Action.PROGRAM_CREATED)[-1]
    assert event.program == new and "Autumn term" in event.summary

    assert post(client, "programs:status", org, {"status": "matching"}, pk=program.pk).status_code
    event = only_event(org, action=Action.PROGRAM_STATUS)
    assert event.summary == "Draft → Matching" and event.program == program


def test_a_refused_program_change_leaves_no_row(org, coordinator, client_for, program):
    client = client_for(coordinator)
    bad = post(
        client,
        "programs:edit",
        org,
        post_data(term_start="2030-06-01", term_end="2030-01-01"),
        pk=program.pk,
    )
    assert bad.status_code == 200
    # Open -> open is no move at all.
    post(client, "programs:status", org, {"status": "open"}, pk=program.pk)
    assert events(org) == []


# --- Applications ---------------------------------------------------------------------


def test_a_decision_is_one_row_for_one_or_many_applications(org, coordinator, program):
    a, b, c = people(org, 3)
    with scope(organization=org):
        apps = [
            ApplicationFactory(program=program, user=user, status="submitted") for user in (a, b, c)
        ]
        applications_decide(
            program=program, application_ids=[apps[0].pk], decision="accept", decided_by=coordinator
        )
        applications_decide(
            program=program,
            application_ids=[x.pk for x in apps],
            decision="decline",
            decided_by=coordinator,
        )
        # Nothing changes the second time: nothing to record.
        applications_decide(
            program=program,
            application_ids=[apps[1].pk],
            decision="decline",
            decided_by=coordinator,
        )
    one, many = events(org)
    assert one.action == many.action == Action.APPLICATION_DECIDED
    assert target_of(one) == ("programs.application", apps[0].pk) and "Accepted" in one.summary
    assert target_of(many) == ("", None) and many.summary == "3 applications: Declined"
    assert one.program == many.program == program and one.actor == coordinator


def test_a_refused_decision_leaves_no_row(org, coordinator, program):
    a, b = people(org, 2)
    with scope(organization=org):
        apps = [ApplicationFactory(program=program, user=user) for user in (a, b)]
        match_make(program=program, users=[a, b], status=Match.Status.ACTIVE)
        with pytest.raises(ApplicationError):
            applications_decide(
                program=program,
                application_ids=[x.pk for x in apps],
                decision="decline",
                decided_by=coordinator,
            )
    assert events(org) == []


def test_a_csv_import_of_applications_is_recorded(org, coordinator, client_for, program):
    people(org, 2)
    upload = SimpleUploadedFile(
        "apps.csv", b"email,status\np0@acme.example.org,accepted\np1@acme.example.org,\n"
    )
    response = post(
        client_for(coordinator),
        "programs:applications_import",
        org,
        {"file": upload},
        pk=program.pk,
    )
    assert response.status_code == 302
    event = only_event(org)
    assert (event.action, event.program, event.actor) == (
        Action.APPLICATIONS_IMPORTED,
        program,
        coordinator,
    )
    assert event.summary.startswith("2 applications")

    refused = SimpleUploadedFile("apps.csv", b"email\nnobody@acme.example.org\n")
    post(
        client_for(coordinator),
        "programs:applications_import",
        org,
        {"file": refused},
        pk=program.pk,
    )
    assert len(events(org)) == 1


# --- Pairing --------------------------------------------------------------------------


def test_a_run_a_publication_and_an_ending_are_recorded(
    org, coordinator, client_for, program, commit
):
    users = people(org, 4)
    with scope(organization=org):
        QuestionFactory(program=program, kind="group", label="Team", options=["A", "B"])
        for i, user in enumerate(users):
            ApplicationFactory(program=program, user=user, group="AB"[i % 2])
    with scope(organization=org), commit():
        run = pairing.matching_run_start(program=program, started_by=coordinator)
    event = only_event(org)
    assert (event.action, event.actor, event.program) == (Action.PAIRING_RUN, coordinator, program)
    assert target_of(event) == ("programs.matchingrun", run.pk)
    with scope(organization=org):
        assert MatchingRun.objects.get(pk=run.pk).status == "done"
        count = proposals.proposal_publish(program=program, published_by=coordinator)
    assert count == 2
    published = only_event(org, action=Action.PAIRING_PUBLISHED)
    assert published.summary.startswith("2 ") and published.program == program
    # Publishing again finds nothing proposed: refused, nothing recorded.
    with scope(organization=org), pytest.raises(pairing.PairingError):
        proposals.proposal_publish(program=program, published_by=coordinator)
    assert len(events(org)) == 2

    with scope(organization=org):
        match = Match.objects.filter(program=program).first()
    client = client_for(coordinator)
    url_kwargs = {"pk": program.pk, "match_pk": match.pk}
    assert post(client, "programs:match_end", org, {"reason": "Moved away"}, **url_kwargs)
    ended = only_event(org, action=Action.MATCH_ENDED)
    assert target_of(ended) == ("programs.match", match.pk)
    assert (ended.actor, ended.ip) == (coordinator, IP)
    assert "Moved away" not in ended.summary
    # A second click on an ended pair changes nothing and records nothing.
    post(client, "programs:match_end", org, {"reason": "Again"}, **url_kwargs)
    # An ending without a reason is refused.
    with scope(organization=org):
        other = Match.objects.filter(program=program).exclude(pk=match.pk).get()
    post(client, "programs:match_end", org, {"reason": " "}, pk=program.pk, match_pk=other.pk)
    assert len(events(org, action=Action.MATCH_ENDED)) == 1


def test_a_refused_run_leaves_no_row(org, coordinator):
    with scope(organization=org):
        draft = ProgramFactory(organization=org, status=Program.Status.DRAFT)
        with pytest.raises(pairing.PairingError):
            pairing.matching_run_start(program=draft, started_by=coordinator)
    assert events(org) == []


# --- Agreements -----------------------------------------------------------------------


@pytest.fixture
def agreement_pair(org, participant):
    from agreements.services.create import agreement_create

    partner = _member(org, Membership.Role.PARTICIPANT, "partner@acme.example.org")
    with scope(organization=org):
        program = ProgramFactory(organization=org, status=Program.Status.RUNNING)
        match = match_make(program=program, users=[participant, partner], status="active")
        template = template_make(program)
        agreement = agreement_create(match=match, template=template)
        pair = AgreementPair(org, program, match, template, agreement, participant, partner)
        pair.fill_required()
        yield pair


def sign(pair, user, **kwargs):
    return agreement_sign(
        agreement=pair.agreement,
        actor=Actor(user=user, ip="192.0.2.50", user_agent="pytest"),
        typed_name=user.display_name,
        consent=True,
        intent=True,
        seen_sha256=kwargs.pop("seen_sha256", None) or pair.sha(),
        **kwargs,
    )


def test_signing_and_voiding_are_recorded(org, agreement_pair):
    pair = agreement_pair
    sign(pair, pair.a)
    event = only_event(org)
    assert (event.action, event.actor, event.program) == (
        Action.AGREEMENT_SIGNED,
        pair.a,
        pair.program,
    )
    assert target_of(event) == ("agreements.agreement", pair.agreement.pk)
    assert event.ip == "192.0.2.50"
    # A change after a signature voids it: one row, the one who changed it as actor.
    pair.save(pair.b, "Where we meet", value="Teams")
    voided = only_event(org, action=Action.AGREEMENT_VOIDED)
    assert voided.actor == pair.b and "1 signature" in voided.summary
    assert target_of(voided) == ("agreements.agreement", pair.agreement.pk)


def test_a_refused_signature_leaves_no_row(org, agreement_pair):
    with pytest.raises(AgreementError):
        sign(agreement_pair, agreement_pair.a, seen_sha256="0" * 64)
    assert events(org) == []
    assert not Signature.objects.exists()


# --- Opting out and concerns ----------------------------------------------------------


def test_an_opt_out_is_recorded_once_without_its_notice(org, participant):
    pair = pair_make(org, participant)
    with scope(organization=org):
        result = endings.opt_out_give(
            match=pair.match,
            user=participant,
            reason=OptOut.Reason.NO_TIME,
            notice="Private words for my partner.",
            notice_shared=True,
        )
    event = only_event(org)  # the pair's end is part of the opt-out, not a second row
    assert (event.action, event.actor, event.program) == (Action.OPT_OUT, participant, pair.program)
    assert target_of(event) == ("coaching_sessions.optout", result.opt_out.pk)
    assert str(OptOut.Reason.NO_TIME.label) in event.summary
    assert "Private words" not in event.summary
    with scope(organization=org), pytest.raises(endings.EndingError):
        endings.opt_out_give(
            match=pair.match, user=participant, reason=OptOut.Reason.NO_TIME, notice="Again"
        )
    assert len(events(org)) == 1


def test_reading_closing_reopening_and_noting_a_concern(org, participant, handler, client_for):
    with scope(organization=org):
        concern = concern_services.concern_raise(
            organization=org, author=participant, category="other", body="Something happened."
        )
    assert events(org) == []  # raising is the author's business alone
    client = client_for(handler)
    detail = reverse("sessions:concern_detail", kwargs={"org_slug": org.slug, "pk": concern.pk})
    assert client.get(detail, REMOTE_ADDR=IP).status_code == 200
    read = only_event(org)
    assert (read.action, read.actor, read.ip) == (Action.CONCERN_READ, handler, IP)
    assert target_of(read) == ("coaching_sessions.concern", concern.pk)
    assert read.summary == f"Concern {concern.pk} read by {handler.display_name}"
    assert read.program is None

    for data in (
        {"action": "close"},
        {"action": "note", "note": "Called HR."},
        {"action": "reopen"},
    ):
        post(client, "sessions:concern_close", org, data, pk=concern.pk)
    closed, noted, reopened = events(org)[1:]
    assert (closed.action, noted.action, reopened.action) == (
        Action.CONCERN_STATUS,
        Action.CONCERN_NOTE,
        Action.CONCERN_STATUS,
    )
    assert "closed" in closed.summary and "reopened" in reopened.summary
    assert "Called HR" not in noted.summary
    # The concern's own log has the same entries (and more: the note).
    with scope(organization=org):
        assert ConcernAccess.objects.filter(concern=concern).count() == 4


def test_the_author_reading_their_own_concern_is_not_in_the_audit_log(
    org, participant, handler, client_for
):
    with scope(organization=org):
        concern = concern_services.concern_raise(
            organization=org, author=participant, category="other", body="Something happened."
        )
    detail = reverse("sessions:concern_detail", kwargs={"org_slug": org.slug, "pk": concern.pk})
    assert client_for(participant).get(detail).status_code == 200
    with scope(organization=org):
        assert ConcernAccess.objects.filter(concern=concern, user=participant).exists()
    assert events(org) == []


# --- One transaction: a row that cannot be written undoes the action ------------------


class Refused(Exception):
    pass


@pytest.fixture
def audit_fails(monkeypatch):
    def refuse(*args, **kwargs):
        raise Refused

    monkeypatch.setattr(AuditEvent.objects, "create", refuse)


def test_invitation_is_undone_when_its_row_fails(org, coordinator, audit_fails):
    with scope(organization=org), pytest.raises(Refused):
        account_services.invitation_create(
            organization=org, email="x@example.org", role="participant", invited_by=coordinator
        )
    with scope(organization=org):
        assert not Invitation.objects.exists()


def test_decision_is_undone_when_its_row_fails(org, coordinator, program, audit_fails):
    (user,) = people(org, 1)
    with scope(organization=org):
        application = ApplicationFactory(program=program, user=user, status="submitted")
        with pytest.raises(Refused):
            applications_decide(
                program=program,
                application_ids=[application.pk],
                decision="accept",
                decided_by=coordinator,
            )
        application.refresh_from_db()
        assert application.status == Application.Status.SUBMITTED


def test_signature_is_undone_when_its_row_fails(org, agreement_pair, audit_fails):
    with pytest.raises(Refused):
        sign(agreement_pair, agreement_pair.a)
    assert not Signature.objects.exists()


def test_opt_out_is_undone_when_its_row_fails(org, participant, audit_fails):
    pair = pair_make(org, participant)
    with scope(organization=org):
        with pytest.raises(Refused):
            endings.opt_out_give(
                match=pair.match, user=participant, reason=OptOut.Reason.NO_TIME, notice="Bye"
            )
        assert not OptOut.objects.exists()
        pair.match.refresh_from_db()
        assert pair.match.status == Match.Status.ACTIVE


def test_concern_reading_is_undone_when_its_row_fails(org, participant, handler, audit_fails):
    with scope(organization=org):
        concern = Concern.objects.create(
            organization=org, author=participant, category="other", body="Body"
        )
        with pytest.raises(Refused):
            concern_services.concern_access_record(
                concern=concern, user=handler, action=ConcernAccess.Action.VIEWED
            )
        assert not ConcernAccess.objects.exists()


def test_program_change_is_undone_when_its_row_fails(
    org, coordinator, client_for, program, audit_fails
):
    client = client_for(coordinator)
    client.raise_request_exception = True
    with pytest.raises(Refused):
        post(client, "programs:edit", org, post_data(name="Renamed"), pk=program.pk)
    with scope(organization=org):
        program.refresh_from_db()
    assert program.name == "Spring term"


def test_run_and_publish_are_undone_when_their_row_fails(org, coordinator, program, audit_fails):
    a, b = people(org, 2)
    with scope(organization=org):
        for user in (a, b):
            ApplicationFactory(program=program, user=user)
        with pytest.raises(Refused):
            pairing.matching_run_start(program=program, started_by=coordinator)
        assert not MatchingRun.objects.exists()
        match_make(program=program, users=[a, b])
        with pytest.raises(Refused):
            proposals.proposal_publish(program=program, published_by=coordinator)
        assert Match.objects.get().status == Match.Status.PROPOSED
