"""Mandatory single sign-on, the gate, the coordinator two-factor rule, /o/<slug>/sso/ and
the email-first sign-in page (sso-contract, rules 7-10)."""

import pytest
from django.test import override_settings
from django_scopes import scope

from peercoach.audit.models import Action, AuditEvent
from peercoach.sso.models import EmailDomain
from peercoach.tenancy.models import Membership
from tests.factories import TEST_PASSWORD, MembershipFactory

from .conftest import confirm_domain, make_idp, social_sign_in

pytestmark = pytest.mark.django_db


def password_sign_in(client, email, password=TEST_PASSWORD, **extra):
    return client.post("/accounts/login/", {"login": email, "password": password, **extra})


def signed_in(client):
    return client.get("/").wsgi_request.user.is_authenticated


# --- Rule 7: the password refused when every membership requires SSO -------------------


@pytest.mark.parametrize("required_for", ["participants", "everyone"])
def test_password_refused_with_a_link_to_the_organisations_sso(
    client, org, participant, required_for
):
    make_idp(org, required_for=required_for)
    response = password_sign_in(client, participant.email)
    assert response.status_code == 403
    page = response.content.decode()
    assert "your password is not accepted here" in page
    assert 'href="/o/acme/sso/"' in page
    assert "Acme University" in page
    assert not signed_in(client)
    with scope(organization=org):
        (row,) = AuditEvent.objects.filter(action=Action.SSO_REFUSED)
    assert row.summary == f"password refused: single sign-on required: {participant.email}"


def test_password_still_works_when_the_role_is_not_bound(client, org, participant):
    make_idp(org, required_for="coordinators")
    response = password_sign_in(client, participant.email)
    assert response.status_code == 302
    assert signed_in(client)


def test_password_still_works_when_the_provider_is_off(client, org, participant):
    make_idp(org, required_for="everyone", enabled=False)
    assert password_sign_in(client, participant.email).status_code == 302
    assert signed_in(client)


def test_operator_keeps_the_break_glass_password(client, org, participant):
    make_idp(org, required_for="everyone")
    participant.is_staff = True
    participant.save()
    assert password_sign_in(client, participant.email).status_code == 302
    assert signed_in(client)


# --- Rule 7: mixed memberships, the gate on the bound organisation's pages --------------


def test_mixed_memberships_sign_in_then_the_gate_sends_to_the_provider(
    client, org, other_org, participant
):
    make_idp(org, required_for="everyone")
    with scope(organization=other_org):
        MembershipFactory(organization=other_org, user=participant, role="participant")
    assert password_sign_in(client, participant.email).status_code == 302
    # The other organisation's pages open; acme's pages want acme's provider first.
    assert client.get(f"/o/{other_org.slug}/").status_code == 200
    response = client.get(f"/o/{org.slug}/?tab=1")
    assert response.status_code == 302
    assert response["Location"] == "/o/acme/sso/?next=%2Fo%2Facme%2F%3Ftab%3D1"
    # Once acme's provider signed the session in, the pages open.
    social_sign_in(client, org, sub="p", email=participant.email)
    assert client.get(f"/o/{org.slug}/").status_code == 200


def test_gate_leaves_operators_and_unbound_roles_alone(client_for, org, participant, coordinator):
    make_idp(org, required_for="coordinators")
    assert client_for(participant).get(f"/o/{org.slug}/").status_code == 200
    participant.is_superuser = True
    participant.save()
    with scope(organization=org):
        Membership.objects.filter(user=participant).update(role="coordinator")
    # An operator coordinator is not sent to the provider (their own TOTP rule aside).
    response = client_for(participant).get(f"/o/{org.slug}/")
    assert "/sso/" not in response.get("Location", "")


# --- Rule 8: the provider's second factor and CoordinatorMfaMiddleware -----------------


@pytest.fixture
def coordinator_without_totp(org):
    from tests.factories import UserFactory

    with scope(organization=org):
        user = UserFactory(email="boss@acme.example.org")
        MembershipFactory(organization=org, user=user, role="coordinator")
    assert org.require_coordinator_mfa
    return user


@pytest.mark.parametrize(
    ("trust", "amr", "satisfied"),
    [(True, ["mfa"], True), (False, ["mfa"], False), (True, ["pwd"], False)],
)
def test_provider_mfa_counts_only_when_trusted_and_asserted(
    client, org, coordinator_without_totp, trust, amr, satisfied
):
    make_idp(org, trust_idp_mfa=trust)
    social_sign_in(client, org, sub="c", email=coordinator_without_totp.email, amr=amr)
    response = client.get(f"/o/{org.slug}/console/")
    if satisfied:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response["Location"] == "/accounts/2fa/totp/activate/"


def test_password_session_of_a_coordinator_is_not_satisfied_by_trust(
    client_for, org, coordinator_without_totp
):
    make_idp(org, trust_idp_mfa=True)
    response = client_for(coordinator_without_totp).get(f"/o/{org.slug}/console/")
    assert response.status_code == 302
    assert "totp" in response["Location"]


# --- Rule 10: /o/<slug>/sso/ -----------------------------------------------------------


def test_sso_start_is_public_and_posts_to_the_provider(client, org):
    make_idp(org, button_label="Sign in with your Acme account")
    response = client.get(f"/o/{org.slug}/sso/?next=/o/acme/programs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'action="/accounts/oidc/acme/login/"' in page
    assert 'method="post"' in page
    assert 'name="next" value="/o/acme/programs/"' in page
    assert "Sign in with your Acme account" in page


def test_sso_start_drops_an_offsite_next(client, org):
    make_idp(org)
    page = client.get(f"/o/{org.slug}/sso/?next=https://evil.example/").content.decode()
    assert 'name="next" value="https://evil.example/"' not in page
    assert '<form method="post" action="/accounts/oidc/acme/login/"' in page


def test_sso_start_of_a_saml_organisation(client, org):
    make_idp(
        org,
        protocol="saml",
        idp_entity_id="https://idp.invalid",
        idp_sso_url="https://idp.invalid/sso",
    )
    page = client.get(f"/o/{org.slug}/sso/").content.decode()
    assert 'action="/accounts/saml/acme/login/"' in page


def test_sso_start_answers_404_alike_for_unknown_disabled_and_absent(
    client, client_for, org, other_org, participant
):
    make_idp(other_org, enabled=False)
    unknown = client.get("/o/nope/sso/")
    disabled = client.get(f"/o/{other_org.slug}/sso/")
    absent = client.get(f"/o/{org.slug}/sso/")
    assert unknown.status_code == disabled.status_code == absent.status_code == 404
    # A signed-in non-member gets the same.
    assert client_for(participant).get(f"/o/{other_org.slug}/sso/").status_code == 404


# --- Rule 9: email first --------------------------------------------------------------


def test_email_of_a_confirmed_domain_goes_to_its_provider(client, org):
    make_idp(org)
    confirm_domain(org, "acme.example.org")
    response = client.post(
        "/accounts/login/?next=/o/acme/programs/", {"login": "Someone@ACME.example.org"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/o/acme/sso/?next=%2Fo%2Facme%2Fprograms%2F"


@pytest.mark.parametrize("case", ["unconfirmed", "disabled", "other domain"])
def test_other_addresses_stay_on_the_password_form(client, org, case):
    make_idp(org, enabled=case != "disabled")
    if case == "unconfirmed":
        with scope(organization=org):
            EmailDomain.objects.create(organization=org, domain="acme.example.org")
    else:
        confirm_domain(org, "acme.example.org")
    email = "x@elsewhere.example.org" if case == "other domain" else "x@acme.example.org"
    response = client.post("/accounts/login/", {"login": email})
    assert response.status_code == 200  # the form again, asking for the password
    assert "This field is required" in response.content.decode()


def test_a_typed_password_signs_in_in_one_submit_even_on_an_sso_domain(client, org, participant):
    """Existing sign-in helpers fill email + password and press Enter; an operator's
    break-glass sign-in does the same on an SSO domain."""
    make_idp(org)
    confirm_domain(org, "acme.example.org")
    response = password_sign_in(client, participant.email)
    assert response.status_code == 302
    assert signed_in(client)


def test_login_page_asks_for_the_email_first(client):
    page = client.get("/accounts/login/").content.decode()
    assert page.index('name="login"') < page.index('name="password"')
    assert ">Continue</button>" in page


@override_settings(
    HOOKS={
        "sign_in_other_than_sso": [],
        "coordinator_mfa_satisfied": [],
        "second_factor_done_at_sign_in": [],
    }
)
def test_hooks_are_what_refuses(client, org, participant):
    """Without the sso hooks listed, the password goes through: the refusal above is theirs."""
    make_idp(org, required_for="everyone")
    assert password_sign_in(client, participant.email).status_code == 302


@pytest.mark.parametrize(
    ("trust", "amr", "asked"), [(True, ["mfa"], False), (False, ["mfa"], True)]
)
def test_a_trusted_provider_second_factor_spares_the_authenticator_code(
    client, org, coordinator_without_totp, trust, amr, asked
):
    """A coordinator who has an authenticator app is not asked for its code as well when the
    provider asserted a second factor the organisation trusts; otherwise allauth asks."""
    from tests.factories import totp_activate

    totp_activate(coordinator_without_totp)
    make_idp(org, trust_idp_mfa=trust)
    response = social_sign_in(client, org, sub="c2", email=coordinator_without_totp.email, amr=amr)
    assert response.status_code == 302
    assert (response["Location"] == "/accounts/2fa/authenticate/") is asked
    signed_in = client.get("/").wsgi_request.user == coordinator_without_totp
    assert signed_in is not asked
