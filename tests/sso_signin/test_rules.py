"""The rules of sign-in through an organisation's provider (sso-contract, rules 1-6)."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from peercoach.audit.models import Action, AuditEvent
from peercoach.sso.session import SSO_MFA_ORGS, SSO_ORGS
from peercoach.tenancy.models import Membership
from tests.factories import InvitationFactory, MembershipFactory, UserFactory
from tests.sso.rows import counts

from .conftest import confirm_domain, make_idp, social_sign_in

pytestmark = pytest.mark.django_db


def audit(org, action):
    with scope(organization=org):
        return list(AuditEvent.objects.filter(organization=org, action=action))


def signed_in_as(client):
    response = client.get("/")
    user = response.wsgi_request.user
    return user if user.is_authenticated else None


def assert_refused(response, client, org, before, *, says):
    assert response.status_code == 403
    assert says in response.content.decode()
    assert counts() == before, "a refused sign-in created something"
    assert signed_in_as(client) is None
    assert len(audit(org, Action.SSO_REFUSED)) == 1


def test_member_signs_in_and_is_linked_once(client, org, participant):
    make_idp(org)
    before = counts()
    response = social_sign_in(client, org, sub="u-1", email=participant.email)
    assert response.status_code == 302
    assert signed_in_as(client) == participant
    with scopes_disabled():
        account = SocialAccount.objects.get(user=participant)
    assert (account.provider, account.uid) == (org.slug, "u-1")
    assert counts()["users"] == before["users"]
    assert [e.summary for e in audit(org, Action.SSO_SIGN_IN)] == [
        f"{participant.email} through OpenID Connect"
    ]
    assert client.session[SSO_ORGS] == [org.pk]
    assert client.session[SSO_MFA_ORGS] == []

    # Next time allauth finds the linked identity; nothing new is created.
    client.logout()
    social_sign_in(client, org, sub="u-1", email=participant.email)
    assert signed_in_as(client) == participant
    with scopes_disabled():
        assert SocialAccount.objects.filter(user=participant).count() == 1


def test_existing_account_with_open_invitation_accepts_it(client, org, other_participant):
    make_idp(org)
    with scope(organization=org):
        invitation = InvitationFactory(
            organization=org, email=other_participant.email, role=Membership.Role.COORDINATOR
        )
    social_sign_in(client, org, sub="u-2", email=other_participant.email)
    assert signed_in_as(client) == other_participant
    with scope(organization=org):
        invitation.refresh_from_db()
        assert invitation.accepted_by == other_participant
        assert Membership.objects.get(organization=org, user=other_participant).is_coordinator
    assert len(audit(org, Action.SSO_JOINED)) == 1


def test_new_person_with_invitation_gets_an_account_without_password(client, org):
    make_idp(org)
    with scope(organization=org):
        InvitationFactory(organization=org, email="new.person@acme.example.org")
    social_sign_in(client, org, sub="u-3", email="New.Person@acme.example.org", first="Nia")
    user = signed_in_as(client)
    assert user.email == "new.person@acme.example.org"
    assert user.first_name == "Nia"
    assert not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified
    with scope(organization=org):
        assert Membership.objects.get(organization=org, user=user).role == "participant"


def test_allow_join_creates_a_participant(client, org):
    make_idp(org, allow_join=True)
    # Not for an address of a domain nobody confirmed for the organisation.
    before = counts()
    response = social_sign_in(client, org, sub="u-4", email="walk.in@gmail.example.com")
    assert_refused(response, client, org, before, says="is not a member")
    confirm_domain(org, "acme.example.org")
    social_sign_in(client, org, sub="u-4", email="walk.in@acme.example.org")
    user = signed_in_as(client)
    assert user is not None and not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified
    with scope(organization=org):
        assert Membership.objects.get(organization=org, user=user).role == "participant"
    assert [e.summary for e in audit(org, Action.SSO_JOINED)] == [
        "walk.in@acme.example.org through OpenID Connect"
    ]


def test_existing_account_joins_only_from_a_domain_confirmed_for_the_organisation(
    client, org, other_org, other_participant
):
    make_idp(org, allow_join=True)
    # pat@globex.example.org: no domain confirmed for acme -> refused, nothing created.
    before = counts()
    response = social_sign_in(client, org, sub="u-5", email=other_participant.email)
    assert_refused(response, client, org, before, says="is not a member of Acme University")

    confirm_domain(org, "globex.example.org")
    social_sign_in(client, org, sub="u-5", email=other_participant.email)
    assert signed_in_as(client) == other_participant
    with scope(organization=org):
        assert Membership.objects.filter(organization=org, user=other_participant).exists()


def test_not_a_member_is_refused_audited_and_nothing_created(client, org, other_participant):
    make_idp(org)
    before = counts()
    response = social_sign_in(client, org, sub="u-6", email=other_participant.email)
    assert_refused(response, client, org, before, says="Ask its coordinators for an invitation")
    assert audit(org, Action.SSO_REFUSED)[0].summary == f"not a member: {other_participant.email}"


def test_unknown_address_without_allow_join_is_refused(client, org):
    make_idp(org)
    before = counts()
    response = social_sign_in(client, org, sub="u-7", email="nobody@acme.example.org")
    assert_refused(response, client, org, before, says="is not a member")


def test_address_of_another_tenants_domain_is_refused(client, org, other_org, participant):
    """Even a member of O is refused when O's provider asserts an address whose domain an
    operator confirmed for another organisation."""
    make_idp(org, allow_join=True)
    confirm_domain(other_org, "globex.example.org")
    with scope(organization=org):
        MembershipFactory(
            organization=org, user=UserFactory(email="boss@globex.example.org"), role="participant"
        )
    before = counts()
    response = social_sign_in(client, org, sub="u-8", email="boss@globex.example.org")
    assert_refused(response, client, org, before, says="belongs to another organisation")


@pytest.mark.parametrize("closed", ["inactive", "deleted"])
def test_closed_account_is_refused(client, org, participant, closed):
    make_idp(org)
    if closed == "inactive":
        participant.is_active = False
    else:
        participant.deleted_at = timezone.now()
    participant.save()
    before = counts()
    response = social_sign_in(client, org, sub="u-9", email=participant.email)
    assert_refused(response, client, org, before, says="is closed")


def test_expired_or_revoked_invitation_does_not_let_in(client, org):
    make_idp(org)
    with scope(organization=org):
        InvitationFactory(
            organization=org,
            email="late@acme.example.org",
            expires_at=timezone.now() - timedelta(days=1),
        )
        InvitationFactory(
            organization=org, email="gone@acme.example.org", revoked_at=timezone.now()
        )
    for n, email in enumerate(["late@acme.example.org", "gone@acme.example.org"]):
        response = social_sign_in(client, org, sub=f"x-{n}", email=email)
        assert response.status_code == 403
    assert signed_in_as(client) is None


def test_no_email_from_the_provider_is_refused(client, org):
    make_idp(org, allow_join=True)
    before = counts()
    response = social_sign_in(client, org, sub="u-10", email="")
    assert_refused(response, client, org, before, says="did not tell us your email address")


def test_account_in_two_organisations_with_two_providers_keeps_both_marks(
    client, org, other_org, participant
):
    make_idp(org)
    make_idp(other_org)
    with scope(organization=other_org):
        MembershipFactory(organization=other_org, user=participant, role="participant")
    social_sign_in(client, org, sub="a", email=participant.email)
    social_sign_in(client, other_org, sub="b", email=participant.email, amr=["pwd", "otp"])
    assert signed_in_as(client) == participant
    assert sorted(client.session[SSO_ORGS]) == sorted([org.pk, other_org.pk])
    assert client.session[SSO_MFA_ORGS] == [other_org.pk]


@pytest.mark.parametrize(
    ("claims", "mfa"),
    [
        ({"amr": ["pwd"]}, False),
        ({"amr": ["pwd", "mfa"]}, True),
        ({"amr": ["hwk"]}, True),
        ({"amr": "otp"}, True),
        ({"authn_context": "https://refeds.org/profile/mfa"}, True),
        ({"authn_context": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"}, False),
    ],
)
def test_mfa_marker_follows_what_the_provider_asserted(client, org, participant, claims, mfa):
    make_idp(org)
    social_sign_in(client, org, sub="m", email=participant.email, **claims)
    assert client.session[SSO_MFA_ORGS] == ([org.pk] if mfa else [])


def test_disabled_provider_cannot_be_used(client, org, participant):
    idp = make_idp(org)
    from allauth.core import context

    from peercoach.sso import providers

    from .conftest import _request_for

    request = _request_for(client)
    with context.request_context(request):
        (app,) = providers.social_apps(provider=org.slug)
        provider = app.get_provider(request)
        sociallogin = provider.sociallogin_from_response(
            request, {"sub": "d", "email": participant.email}
        )
        sociallogin.state = {"process": "login"}
        with scopes_disabled():
            IdentityProvider = type(idp)
            IdentityProvider.objects.filter(pk=idp.pk).update(enabled=False)
        from allauth.socialaccount.helpers import complete_social_login

        response = complete_social_login(request, sociallogin)
    assert response.status_code == 403
    assert not request.user.is_authenticated


def test_connect_process_is_a_sign_in_under_the_rules(client_for, org, participant, stranger):
    """Someone signed in cannot attach another person's provider identity to their own
    account by asking allauth to "connect": the answer signs the asserted member in."""
    make_idp(org)
    client = client_for(stranger)
    social_sign_in(client, org, sub="c-1", email=participant.email, process="connect")
    assert signed_in_as(client) == participant
    with scopes_disabled():
        assert SocialAccount.objects.get(uid="c-1").user == participant
        assert not SocialAccount.objects.filter(user=stranger).exists()


SAML_IDP = {
    "protocol": "saml",
    "idp_entity_id": "https://idp.invalid/saml",
    "idp_sso_url": "https://idp.invalid/saml/sso",
    "idp_x509cert": "MIIB",
}


def test_saml_member_signs_in_through_the_attribute_mapping(client, org, participant):
    from .conftest import saml_sign_in

    make_idp(org, **SAML_IDP, attribute_email="mail")
    response = saml_sign_in(
        client, org, nameid="n-1", attributes={"mail": [participant.email.upper()]}
    )
    assert response.status_code == 302
    assert signed_in_as(client) == participant
    assert [e.summary for e in audit(org, Action.SSO_SIGN_IN)] == [
        f"{participant.email} through SAML 2.0"
    ]
    with scopes_disabled():
        assert SocialAccount.objects.get(user=participant).uid == "n-1"


def test_saml_answer_for_another_tenants_address_is_refused(client, org, other_org):
    from .conftest import saml_sign_in

    make_idp(org, **SAML_IDP, allow_join=True)
    confirm_domain(other_org, "globex.example.org")
    before = counts()
    response = saml_sign_in(
        client,
        org,
        nameid="n-2",
        attributes={"urn:oid:0.9.2342.19200300.100.1.3": ["x@globex.example.org"]},
    )
    assert_refused(response, client, org, before, says="belongs to another organisation")


@pytest.mark.parametrize("error", ["unknown", "denied"])
def test_protocol_error_ends_on_the_refusal_page_and_is_audited(client, org, error):
    """What allauth or python3-saml refuse (bad signature, wrong issuer, replay ...) reaches
    the adapter's on_authentication_error through allauth's render_authentication_error."""
    from allauth.core import context
    from allauth.socialaccount.helpers import render_authentication_error

    from peercoach.sso import providers

    from .conftest import _request_for

    make_idp(org)
    before = counts()
    request = _request_for(client)
    with context.request_context(request):
        (app,) = providers.social_apps(provider=org.slug)
        response = render_authentication_error(
            request,
            app.get_provider(request),
            error=error,
            exception=ValueError("id_token issuer https://evil.invalid secret=abc"),
        )
    assert response.status_code == 403
    assert "could not accept" in response.content.decode()
    assert counts() == before
    (row,) = audit(org, Action.SSO_REFUSED)
    assert row.summary == f"provider answer refused ({error}, ValueError)"
    assert "secret" not in row.summary


@pytest.mark.parametrize(
    ("extra_data", "expected"),
    [
        # allauth's openid_connect keeps {"userinfo": ..., "id_token": <claims>}.
        ({"userinfo": {"sub": "1"}, "id_token": {"sub": "1", "amr": ["pwd", "otp"]}}, True),
        ({"userinfo": {"sub": "1"}, "id_token": {"sub": "1", "amr": ["pwd"]}}, False),
        # The SAML side leaves the AuthnContextClassRef(s) under "authn_context".
        ({"authn_context": ["http://schemas.microsoft.com/claims/multipleauthn"]}, True),
        ({"mail": ["a@b.c"]}, False),
        (None, False),
    ],
)
def test_mfa_asserted_reads_allauths_extra_data(extra_data, expected):
    from types import SimpleNamespace

    from peercoach.sso.session import mfa_asserted

    login = SimpleNamespace(account=SimpleNamespace(extra_data=extra_data))
    assert mfa_asserted(login) is expected
