import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django_scopes import scope, scopes_disabled

from peercoach.accounts.models import Invitation
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
    call_command("demo")
    counts = _counts()
    call_command("demo")
    assert _counts() == counts
    out = capsys.readouterr().out
    assert "peercoach-demo" in out and "coordinator@one-it.example.org" in out
    slugs = set(Organization.objects.values_list("slug", flat=True))
    assert slugs == {"one-it", "wit", "peersphere", "atc", "power-circles"}
    with scopes_disabled():
        assert Membership.objects.filter(organization__slug="atc", role="participant").count() == 21
        assert Membership.objects.filter(user__email="alex.rivera@example.org").count() == 2


def _counts():
    from peercoach.accounts.models import User

    with scopes_disabled():
        return (Organization.objects.count(), User.objects.count(), Membership.objects.count())
