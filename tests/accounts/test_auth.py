"""Sign-in rules: email login, no open sign-up, two-factor for coordinators, rate limits."""

import re

import pytest
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.core import mail
from django.urls import reverse

from tests.factories import TEST_PASSWORD, totp_activate

pytestmark = pytest.mark.django_db


def _login(client, email, password=TEST_PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_login_with_email_and_password(client, participant, org):
    response = _login(client, participant.email)
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # signed in: sent to the organisation


def test_open_signup_is_closed(client):
    response = client.get(reverse("account_signup"))
    assert b"Sign Up Closed" in response.content or response.status_code in (403, 404)
    client.post(
        reverse("account_signup"),
        {
            "email": "x@example.org",
            "password1": "a-long-pass-9876",
            "password2": "a-long-pass-9876",
        },
    )
    from peercoach.accounts.models import User

    assert not User.objects.filter(email="x@example.org").exists()


def test_unverified_address_cannot_sign_in(client, participant):
    participant.emailaddress_set.update(verified=False)
    response = _login(client, participant.email)
    assert response.status_code == 302
    assert "confirm-email" in response["Location"]
    assert client.get("/o/acme/").status_code == 302  # still anonymous


def test_coordinator_without_two_factor_is_sent_to_set_it_up(client_for, org):
    from django_scopes import scope

    from tests.factories import MembershipFactory, UserFactory

    with scope(organization=org):
        user = UserFactory()
        MembershipFactory(organization=org, user=user, role="coordinator")
    client = client_for(user)
    response = client.get(f"/o/{org.slug}/")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("accounts:people", kwargs={"org_slug": org.slug})).status_code == 302
    # Once an authenticator is set up, the workspace opens.
    totp_activate(user)
    assert client.get(f"/o/{org.slug}/console/").status_code == 200


def test_no_two_factor_needed_when_the_organisation_turns_it_off(client_for, org):
    from django_scopes import scope

    from tests.factories import MembershipFactory, UserFactory

    org.require_coordinator_mfa = False
    org.save()
    with scope(organization=org):
        user = UserFactory()
        MembershipFactory(organization=org, user=user, role="coordinator")
    assert client_for(user).get(f"/o/{org.slug}/console/").status_code == 200


def test_participants_are_not_forced_into_two_factor(client_for, participant, org):
    assert client_for(participant).get(f"/o/{org.slug}/").status_code == 200


def test_coordinator_with_totp_must_enter_a_code(client, coordinator, org):
    from allauth.mfa.models import Authenticator

    response = _login(client, coordinator.email)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(f"/o/{org.slug}/").status_code == 302  # not signed in yet
    assert client.post(reverse("mfa_authenticate"), {"code": "000000"}).status_code == 200
    secret = Authenticator.objects.get(user=coordinator, type="totp").wrap().instance.data["secret"]
    from allauth.mfa.utils import decrypt

    counter = next(yield_hotp_counters_from_time())
    code = format_hotp_value(hotp_value(decrypt(secret), counter))
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302
    assert client.get(f"/o/{org.slug}/console/").status_code == 200


def test_failed_logins_are_rate_limited(client, participant):
    for _ in range(5):
        response = _login(client, participant.email, "wrong-password")
        assert response.status_code == 200 and b"Too many" not in response.content
    response = _login(client, participant.email, "wrong-password")
    assert b"Too many failed login attempts" in response.content
    # Even the right password is refused while the limit holds.
    response = _login(client, participant.email)
    assert response.status_code == 200 and b"Too many failed login attempts" in response.content
    assert client.get("/o/acme/").status_code == 302


def test_login_attempts_per_address_are_capped_with_429(client, participant):
    statuses = [_login(client, f"nobody{i}@example.org", "x").status_code for i in range(31)]
    assert statuses[:30] == [200] * 30
    assert statuses[30] == 429


def test_password_reset_sends_a_working_link(client, participant, commit):
    with commit():
        response = client.post(reverse("account_reset_password"), {"email": participant.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/accounts/password/reset/key/\S+", mail.outbox[0].body).group(0)
    path = link.split("testserver", 1)[-1] if "testserver" in link else "/" + link.split("/", 3)[3]
    page = client.get(path, follow=True)
    assert page.status_code == 200
    form_path = page.redirect_chain[-1][0] if page.redirect_chain else path
    response = client.post(
        form_path, {"password1": "brand-new-passphrase-42", "password2": "brand-new-passphrase-42"}
    )
    assert response.status_code == 302
    client.logout()
    assert _login(client, participant.email, "brand-new-passphrase-42").status_code == 302


def test_a_password_reset_goes_through_the_outbox_and_its_link_is_not_kept(
    client, participant, org, commit, broker_down
):
    from django_scopes import scope

    from peercoach.notifications.dispatch import reminders_dispatch
    from peercoach.notifications.models import MESSAGE, Delivery

    with commit():
        response = client.post(reverse("account_reset_password"), {"email": participant.email})
    assert response.status_code == 302 and mail.outbox == []
    with scope(organization=org):  # the organisation of the person's membership
        row = Delivery.objects.get(kind=MESSAGE)
    assert row.address == participant.email and "/password/reset/key/" in row.rendered["text"]
    broker_down.restore()
    reminders_dispatch()
    reminders_dispatch()
    assert len(mail.outbox) == 1 and "/password/reset/key/" in mail.outbox[0].body
    row.refresh_from_db()
    assert row.status == "sent" and row.rendered == {}  # the link is not left in the database


def test_a_password_reset_for_someone_of_no_organisation_with_the_broker_down(
    client, commit, broker_down
):
    from tests.factories import UserFactory

    operator = UserFactory(email="operator@example.org")
    with commit():
        response = client.post(reverse("account_reset_password"), {"email": operator.email})
    assert response.status_code == 302
    assert broker_down.refused == 1
    (message,) = mail.outbox  # sent from the web process instead
    assert message.to == [operator.email] and "/password/reset/key/" in message.body
