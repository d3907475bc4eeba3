import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from peercoach.accounts import services
from peercoach.accounts.models import Invitation, User
from peercoach.tenancy.models import Membership

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _commit(commit):
    global _on_commit
    _on_commit = commit


def _invite(org, coordinator, email="new.person@example.org", role="participant"):
    with scope(organization=org), _on_commit():
        return services.invitation_create(
            organization=org, email=email, role=role, invited_by=coordinator, first_name="Noa"
        )


def _link_from_mail(message):
    return re.search(r"http://\S+/invite/\S+/", message.body).group(0)


def test_coordinator_invites_by_form_and_email_is_sent(client_for, coordinator, org):
    client = client_for(coordinator)
    with _on_commit():
        response = client.post(
            reverse("accounts:invite", kwargs={"org_slug": org.slug}),
            {"email": "Sam.Lee@Example.org", "role": "participant", "first_name": "Sam"},
            follow=True,
        )
    assert response.status_code == 200
    assert b"Invitation sent to sam.lee@example.org" in response.content
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sam.lee@example.org"]
    assert "Acme University" in message.subject
    assert message.alternatives and "Accept the invitation" in message.alternatives[0][0]
    assert message.reply_to == ["help@acme.example.org"]


def test_inviting_a_member_or_twice_is_refused_with_a_message(
    client_for, coordinator, participant, org
):
    client = client_for(coordinator)
    url = reverse("accounts:invite", kwargs={"org_slug": org.slug})
    response = client.post(url, {"email": participant.email, "role": "participant"})
    assert response.status_code == 200
    assert b"is already a member" in response.content
    client.post(url, {"email": "x@example.org", "role": "participant"})
    response = client.post(url, {"email": "x@example.org", "role": "participant"})
    assert b"already has an open invitation" in response.content
    with scope(organization=org):
        assert Invitation.objects.filter(email="x@example.org").count() == 1


def test_new_person_accepts_creates_verified_account_and_joins(client, coordinator, org):
    _invite(org, coordinator)
    link = _link_from_mail(mail.outbox[0])
    page = client.get(link)
    assert page.status_code == 200 and b"Join Acme University" in page.content
    response = client.post(
        link,
        {
            "first_name": "Noa",
            "last_name": "Berg",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/o/{org.slug}/"
    user = User.objects.get(email="new.person@example.org")
    assert user.emailaddress_set.get().verified
    with scope(organization=org):
        assert Membership.objects.get(user=user).role == "participant"
        assert Invitation.objects.get().accepted_by == user
    # The session is signed in and the link is spent.
    assert client.get(f"/o/{org.slug}/").status_code == 200
    client.logout()
    again = client.get(link)
    assert again.status_code == 410 and b"already accepted" in again.content


def test_bad_password_shows_errors_and_creates_nothing(client, coordinator, org):
    _invite(org, coordinator)
    link = _link_from_mail(mail.outbox[0])
    response = client.post(
        link, {"first_name": "N", "last_name": "B", "password1": "123", "password2": "123"}
    )
    assert response.status_code == 200
    assert b"too short" in response.content or b"too common" in response.content
    assert not User.objects.filter(email="new.person@example.org").exists()


def test_existing_user_is_asked_to_sign_in_then_joins(client, coordinator, other_participant, org):
    _invite(org, coordinator, email=other_participant.email)
    link = _link_from_mail(mail.outbox[0])
    response = client.get(link)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(other_participant)
    assert client.post(link).status_code == 302
    with scopes_disabled():
        assert Membership.objects.filter(user=other_participant).count() == 2


def test_signed_in_as_someone_else_is_refused(client, coordinator, participant, org):
    _invite(org, coordinator)
    link = _link_from_mail(mail.outbox[0])
    client.force_login(participant)
    response = client.post(link)
    assert response.status_code == 403
    assert b"This invitation is for new.person@example.org" in response.content


def test_expired_revoked_and_replaced_links_explain_themselves(client, coordinator, org):
    invitation = _invite(org, coordinator)
    link = _link_from_mail(mail.outbox[0])
    with scope(organization=org):
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(1))
    response = client.get(link)
    assert response.status_code == 410 and b"expired" in response.content

    with scope(organization=org):
        invitation.refresh_from_db()
        with _on_commit():
            services.invitation_resend(invitation=invitation)
    assert len(mail.outbox) == 2
    assert client.get(link).status_code == 410  # the old link was replaced
    new_link = _link_from_mail(mail.outbox[1])
    assert client.get(new_link).status_code == 200

    with scope(organization=org):
        invitation.refresh_from_db()
        services.invitation_revoke(invitation=invitation)
    response = client.get(new_link)
    assert response.status_code == 410 and b"withdrawn" in response.content
    assert client.get("/invite/forged-token/").status_code == 410


def test_send_task_is_idempotent(coordinator, org):
    from peercoach.accounts.tasks import invitation_send_email

    invitation = _invite(org, coordinator)
    assert len(mail.outbox) == 1
    invitation_send_email(invitation_id=invitation.pk, organization_id=org.pk)
    invitation_send_email(invitation_id=invitation.pk, organization_id=org.pk)
    assert len(mail.outbox) == 1


def test_people_page_lists_members_and_open_invitations(client_for, coordinator, participant, org):
    _invite(org, coordinator)
    response = client_for(coordinator).get(
        reverse("accounts:people", kwargs={"org_slug": org.slug})
    )
    assert response.status_code == 200
    assert participant.email.encode() in response.content
    assert b"new.person@example.org" in response.content


def test_participant_cannot_invite(client_for, participant, org):
    response = client_for(participant).get(
        reverse("accounts:invite", kwargs={"org_slug": org.slug})
    )
    assert response.status_code == 403
