import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django_scopes import scope, scopes_disabled

from peercoach.accounts.models import Invitation, User
from peercoach.tenancy.models import Membership, Organization

pytestmark = pytest.mark.django_db


def test_org_create_invites_the_coordinator(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("org_create", slug="acme", name="Acme", coordinator="kim@acme.example.org")
    organization = Organization.objects.get(slug="acme")
    with scope(organization=organization):
        invitation = Invitation.objects.get()
    assert invitation.role == Membership.Role.COORDINATOR
    assert organization.require_coordinator_mfa is True
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["kim@acme.example.org"]


def test_org_create_refuses_bad_input_and_writes_nothing():
    with pytest.raises(CommandError, match="time_zone"):
        call_command("org_create", slug="acme", name="Acme", time_zone="Nowhere/Land")
    with pytest.raises(CommandError, match="reserved"):
        call_command("org_create", slug="admin", name="Admin")
    assert not Organization.objects.exists()


def test_org_create_duplicate_slug_is_a_clear_error():
    call_command("org_create", slug="acme", name="Acme")
    with pytest.raises(CommandError, match="slug"):
        call_command("org_create", slug="acme", name="Acme again")


def test_demo_is_idempotent_and_prints_logins(capsys):
    call_command("demo", "--i-know-this-is-not-production")
    counts = _counts()
    call_command("demo", "--i-know-this-is-not-production")
    assert _counts() == counts
    out = capsys.readouterr().out
    assert "peercoach-demo" in out and "coordinator@one-it.example.org" in out
    slugs = set(Organization.objects.values_list("slug", flat=True))
    # The five seed programs' organisations and the Spanish-speaking one.
    assert slugs == {"one-it", "wit", "peersphere", "atc", "power-circles", "tres-rios"}
    with scopes_disabled():
        assert Membership.objects.filter(organization__slug="atc", role="participant").count() == 21
        assert Membership.objects.filter(user__email="alex.rivera@example.org").count() == 2


def _counts():
    from peercoach.accounts.models import User

    with scopes_disabled():
        return (Organization.objects.count(), User.objects.count(), Membership.objects.count())


# --- A new organisation is ready (issue 15) -------------------------------------------------


def _created_with_invitation(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("org_create", slug="acme", name="Acme", coordinator="kim@acme.example.org")
    organization = Organization.objects.get(slug="acme")
    with scope(organization=organization):
        return organization, Invitation.objects.get()


def test_org_create_resend_emails_a_fresh_link(django_capture_on_commit_callbacks, capsys):
    organization, invitation = _created_with_invitation(django_capture_on_commit_callbacks)
    first_link = mail.outbox[0].body
    assert "--resend" in capsys.readouterr().out  # the way to resend is printed

    with django_capture_on_commit_callbacks(execute=True):
        call_command("org_create", slug="acme", resend=True)

    assert "emailed again to kim@acme.example.org" in capsys.readouterr().out
    assert [m.to for m in mail.outbox] == [["kim@acme.example.org"]] * 2
    with scope(organization=organization):
        fresh = Invitation.objects.get()
    assert fresh.nonce != invitation.nonce  # the old link stops working
    assert mail.outbox[1].body != first_link


def test_org_create_resend_errors_are_clear(django_capture_on_commit_callbacks):
    with pytest.raises(CommandError, match="no organisation “nowhere”"):
        call_command("org_create", slug="nowhere", resend=True)
    call_command("org_create", slug="bare", name="Bare")
    with pytest.raises(CommandError, match="no open coordinator invitation"):
        call_command("org_create", slug="bare", resend=True)
    _created_with_invitation(django_capture_on_commit_callbacks)
    with pytest.raises(CommandError, match="for someone@else.example.org"):
        call_command("org_create", slug="acme", resend=True, coordinator="someone@else.example.org")
    with pytest.raises(CommandError, match="--name is required"):
        call_command("org_create", slug="acme2")


def test_the_first_coordinator_handles_concerns_once_they_accept(
    django_capture_on_commit_callbacks,
):
    from peercoach.accounts.services import invitation_accept

    organization, invitation = _created_with_invitation(django_capture_on_commit_callbacks)
    user = invitation_accept(invitation=invitation, password="a-long-password-1")
    with scope(organization=organization):
        membership = Membership.objects.get(user=user)
        assert membership.is_concern_handler
        # A second coordinator is not named: the settings page decides from now on.
        second = Invitation.objects.create(
            organization=organization,
            email="lee@acme.example.org",
            role=Membership.Role.COORDINATOR,
            expires_at=invitation.expires_at,
        )
    other = invitation_accept(invitation=second, password="a-long-password-2")
    with scope(organization=organization):
        assert not Membership.objects.get(user=other).handles_concerns


def test_an_existing_account_made_first_coordinator_handles_concerns_at_once():
    from tests.factories import UserFactory

    user = UserFactory(email="kim@acme.example.org")
    call_command("org_create", slug="acme", name="Acme", coordinator="kim@acme.example.org")
    with scopes_disabled():
        assert Membership.objects.get(user=user).is_concern_handler


def test_the_operator_admin_resends_open_invitations(
    django_capture_on_commit_callbacks, admin_client
):
    organization, invitation = _created_with_invitation(django_capture_on_commit_callbacks)
    with scope(organization=organization):
        closed = Invitation.objects.create(
            organization=organization,
            email="gone@acme.example.org",
            role=Membership.Role.PARTICIPANT,
            expires_at=invitation.expires_at,
            revoked_at=invitation.expires_at,
        )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/accounts/invitation/",
            {"action": "resend", "_selected_action": [invitation.pk, closed.pk]},
            follow=True,
        )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Emailed again with a fresh link: kim@acme.example.org." in page
    assert "already accepted or withdrawn: gone@acme.example.org" in page
    assert [m.to for m in mail.outbox] == [["kim@acme.example.org"]] * 2


def test_the_operator_admin_resends_an_organisations_coordinator_invitation(
    django_capture_on_commit_callbacks, admin_client
):
    organization, _invitation = _created_with_invitation(django_capture_on_commit_callbacks)
    call_command("org_create", slug="bare", name="Bare")
    bare = Organization.objects.get(slug="bare")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/tenancy/organization/",
            {
                "action": "resend_coordinator_invitations",
                "_selected_action": [organization.pk, bare.pk],
            },
            follow=True,
        )
    page = response.content.decode()
    assert "Acme: emailed again to kim@acme.example.org." in page
    assert "Bare: no open coordinator invitation to resend." in page
    assert [m.to for m in mail.outbox] == [["kim@acme.example.org"]] * 2


def test_demo_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--i-know-this-is-not-production"):
        call_command("demo")
    assert not Organization.objects.exists()
    assert not User.objects.filter(is_superuser=True).exists()


def test_demo_with_the_override_warns_about_the_published_password(settings, capsys):
    settings.DEBUG = False
    call_command("demo", "--i-know-this-is-not-production")
    assert User.objects.get(email="admin@example.org").is_superuser
    err = capsys.readouterr().err
    assert "WARNING" in err and "admin@example.org" in err and "peercoach-demo" in err


def test_demo_runs_without_the_override_in_debug_mode(settings, capsys):
    settings.DEBUG = True
    call_command("demo")
    assert Organization.objects.filter(slug="one-it").exists()
    assert "WARNING" not in capsys.readouterr().err
