"""Single sign-on through a real OpenID Connect provider (tests/sso/oidc_provider.py, Authlib
on loopback), driven in Chromium: the sign-in rules of issue 20 end to end, from the
organisation's start page or the email-first sign-in page, through the provider's own sign-in
page, back to allauth's callback and the organisation.

One provider for the module; each test registers its organisation's client there and builds
the smallest world it needs.
"""

import re

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from playwright.sync_api import expect

from peercoach.audit.models import Action, AuditEvent
from peercoach.sso.models import EmailDomain, IdentityProvider
from peercoach.tenancy.models import Membership
from tests.factories import TEST_PASSWORD, InvitationFactory, MembershipFactory, UserFactory
from tests.sso.oidc_provider import OidcProvider, idp_for

from .conftest import sign_in

pytestmark = pytest.mark.e2e

User = get_user_model()


@pytest.fixture(scope="module")
def provider():
    running = OidcProvider().start()
    yield running
    running.stop()


@pytest.fixture
def oidc(provider):
    provider.reset()
    return provider


@pytest.fixture
def acme_sso(org, oidc, live_server):
    """Acme signs in through the provider; acme.example.org is confirmed for it."""
    idp = idp_for(org, oidc, base_url=live_server.url, button_label="Acme account")
    confirm_domain(org, "acme.example.org")
    return idp


def confirm_domain(organization, domain):
    with scope(organization=organization):
        EmailDomain.objects.create(
            organization=organization, domain=domain, confirmed_at=timezone.now()
        )


def idp_update(idp, **fields):
    """As the settings page and the admin write it: through save(), whose signal clears the
    organisation's cached sign-in requirement."""
    with scopes_disabled():
        for name, value in fields.items():
            setattr(idp, name, value)
        idp.save()


def start_at_organisation(page, base_url, org, oidc):
    """Open /o/<slug>/sso/; it starts the provider (auto-submitted or with its button)."""
    page.goto(f"{base_url}/o/{org.slug}/sso/")
    if not page.url.startswith(oidc.issuer):
        button = page.locator("main form [type=submit]").first
        if button.count():
            button.click()
    page.wait_for_url(f"{oidc.issuer}/authorize?*")


def sign_in_at_provider(page, *, email, amr=""):
    """The provider's own page: who am I, how did I authenticate."""
    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Authentication methods").fill(amr)
    page.get_by_role("button", name="Sign in at the provider").click()


def last_document_status(browser_log):
    return browser_log.documents[-1].status


def audit(org, action):
    with scopes_disabled():
        return list(AuditEvent.objects.filter(organization=org, action=action))


def expect_refused(page, browser_log, base_url, org, *, address):
    """The rules' refusal: a clear 403 page at our site, audited in `org`, nobody signed in."""
    expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert last_document_status(browser_log) == 403
    refusals = audit(org, Action.SSO_REFUSED)
    assert len(refusals) == 1, refusals
    assert address in refusals[0].summary
    assert not audit(org, Action.SSO_SIGN_IN)
    assert not audit(org, Action.SSO_JOINED)
    page.goto(f"{base_url}/o/{org.slug}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


# (a) -------------------------------------------------------------------------------------
def test_a_member_signs_in_through_the_provider_and_lands_in_the_organisation(
    live_server, page, browser_log, org, participant, acme_sso, oidc
):
    start_at_organisation(page, live_server.url, org, oidc)
    sign_in_at_provider(page, email=participant.email)

    expect(page).to_have_url(f"{live_server.url}/o/{org.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {participant.first_name}")
    expect(page.get_by_text(f"You are a participant in {org.name}.")).to_be_visible()
    assert SocialAccount.objects.get(user=participant).provider == org.slug
    assert len(audit(org, Action.SSO_SIGN_IN)) == 1
    assert browser_log.page_errors == []
    assert browser_log.csp_violations == []


# (b) -------------------------------------------------------------------------------------
def test_an_open_invitation_is_accepted_by_a_first_sign_in(live_server, page, org, acme_sso, oidc):
    with scope(organization=org):
        invitation = InvitationFactory(organization=org, email="nina@acme.example.org")

    start_at_organisation(page, live_server.url, org, oidc)
    sign_in_at_provider(page, email="nina@acme.example.org")

    expect(page).to_have_url(f"{live_server.url}/o/{org.slug}/")
    user = User.objects.get(email="nina@acme.example.org")
    assert not user.has_usable_password()
    with scope(organization=org):
        assert Membership.objects.get(user=user).role == Membership.Role.PARTICIPANT
        invitation.refresh_from_db()
    assert invitation.accepted_at is not None


def test_allow_join_lets_a_new_person_of_the_confirmed_domain_join_as_participant(
    live_server, page, org, acme_sso, oidc
):
    idp_update(acme_sso, allow_join=True)

    start_at_organisation(page, live_server.url, org, oidc)
    sign_in_at_provider(page, email="omar@acme.example.org")

    expect(page).to_have_url(f"{live_server.url}/o/{org.slug}/")
    user = User.objects.get(email="omar@acme.example.org")
    with scope(organization=org):
        assert Membership.objects.get(user=user).role == Membership.Role.PARTICIPANT
    assert len(audit(org, Action.SSO_JOINED)) == 1


def test_without_invitation_or_allow_join_nobody_is_created(
    live_server, page, browser_log, org, acme_sso, oidc
):
    start_at_organisation(page, live_server.url, org, oidc)
    sign_in_at_provider(page, email="ghost@acme.example.org")

    expect_refused(page, browser_log, live_server.url, org, address="ghost@acme.example.org")
    assert not User.objects.filter(email="ghost@acme.example.org").exists()


# (c) -------------------------------------------------------------------------------------
def test_mandatory_sso_refuses_the_password_and_its_link_signs_in(
    live_server, page, org, acme_sso, oidc
):
    """An address outside the claimed domains, so the email-first page still asks for the
    password: the password is right, and refused, with the way in."""
    idp_update(acme_sso, required_for=IdentityProvider.Required.EVERYONE)
    with scope(organization=org):
        user = UserFactory(email="pia@mail.example.net", first_name="Pia")
        MembershipFactory(organization=org, user=user, role=Membership.Role.PARTICIPANT)

    sign_in(page, live_server.url, email=user.email, password=TEST_PASSWORD)
    link = page.locator(f"main a[href^='/o/{org.slug}/sso/']")
    expect(link).to_have_count(1)
    expect(page.locator("main")).to_contain_text(org.name)
    href = link.get_attribute("href")
    page.goto(f"{live_server.url}/o/{org.slug}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))  # not signed in

    page.goto(f"{live_server.url}{href}")
    if not page.url.startswith(oidc.issuer):
        page.locator("main form [type=submit]").first.click()
    page.wait_for_url(f"{oidc.issuer}/authorize?*")
    sign_in_at_provider(page, email=user.email)
    expect(page).to_have_url(f"{live_server.url}/o/{org.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Pia")


# (d) -------------------------------------------------------------------------------------
def test_an_id_token_from_the_wrong_issuer_is_refused_audited_and_creates_nothing(
    live_server, page, browser_log, org, acme_sso, oidc
):
    idp_update(acme_sso, allow_join=True)  # would join, were the token right
    oidc.id_token_issuer = f"{oidc.issuer}/someone-else"

    start_at_organisation(page, live_server.url, org, oidc)
    sign_in_at_provider(page, email="eve@acme.example.org")

    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/"))
    assert last_document_status(browser_log) == 403
    assert len(audit(org, Action.SSO_REFUSED)) == 1
    assert not User.objects.filter(email="eve@acme.example.org").exists()
    assert not SocialAccount.objects.exists()


# (e) -------------------------------------------------------------------------------------
def test_an_address_of_another_tenant_is_refused_and_nothing_is_created(
    live_server, page, browser_log, org, other_org, other_participant, acme_sso, oidc
):
    idp_update(acme_sso, allow_join=True)
    confirm_domain(other_org, "globex.example.org")

    start_at_organisation(page, live_server.url, org, oidc)
    sign_in_at_provider(page, email=other_participant.email)

    expect_refused(page, browser_log, live_server.url, org, address=other_participant.email)
    assert not SocialAccount.objects.exists()
    with scopes_disabled():
        assert not Membership.objects.filter(user=other_participant, organization=org).exists()
    assert User.objects.filter(email=other_participant.email).count() == 1


# (f) -------------------------------------------------------------------------------------
@pytest.fixture
def sso_coordinator(org, acme_sso):
    """A coordinator of an organisation that requires two-factor, with no authenticator
    app here, in an organisation that trusts its provider's second factor."""
    idp_update(acme_sso, trust_idp_mfa=True)
    with scope(organization=org):
        user = UserFactory(email="cora@acme.example.org", first_name="Cora")
        MembershipFactory(organization=org, user=user, role=Membership.Role.COORDINATOR)
    assert org.require_coordinator_mfa
    return user


def test_a_second_factor_asserted_by_the_provider_satisfies_the_coordinator_rule(
    live_server, page, org, sso_coordinator, oidc
):
    start_at_organisation(page, live_server.url, org, oidc)
    sign_in_at_provider(page, email=sso_coordinator.email, amr="pwd mfa")

    console = f"{live_server.url}/o/{org.slug}/console/"
    expect(page).to_have_url(console)
    expect(page.get_by_role("heading", level=1)).to_contain_text("coordinator home")
    page.goto(f"{live_server.url}/o/{org.slug}/programs/")
    expect(page).to_have_url(f"{live_server.url}/o/{org.slug}/programs/")


@pytest.mark.parametrize(
    ("amr", "trusted"),
    [("pwd", True), ("pwd mfa", False)],
    ids=["no-second-factor", "provider-not-trusted"],
)
def test_otherwise_the_coordinator_is_asked_for_an_authenticator(
    live_server, page, org, sso_coordinator, acme_sso, oidc, amr, trusted
):
    idp_update(acme_sso, trust_idp_mfa=trusted)
    start_at_organisation(page, live_server.url, org, oidc)
    sign_in_at_provider(page, email=sso_coordinator.email, amr=amr)

    # Sent to set up an authenticator app (allauth first confirms who is there).
    expect(page).to_have_url(
        re.compile(
            r"/accounts/(2fa/totp/activate/|reauthenticate/\?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F)"
        )
    )
    expect(page.locator(".pc-messages")).to_contain_text(
        f"{org.name} requires coordinators to use two-factor authentication"
    )
    page.goto(f"{live_server.url}/o/{org.slug}/programs/")
    expect(page).not_to_have_url(f"{live_server.url}/o/{org.slug}/programs/")


# (g) -------------------------------------------------------------------------------------
def test_email_first_sends_an_address_of_a_confirmed_domain_to_the_provider(
    live_server, page, org, participant, acme_sso, oidc
):
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_login").fill(participant.email)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(rf"^({re.escape(oidc.issuer)}/authorize|.*/o/acme/sso/)"))
    if not page.url.startswith(oidc.issuer):
        page.locator("main form [type=submit]").first.click()
        page.wait_for_url(f"{oidc.issuer}/authorize?*")
    sign_in_at_provider(page, email=participant.email)
    expect(page).to_have_url(f"{live_server.url}/o/{org.slug}/")


def test_email_first_keeps_the_password_for_other_addresses(
    live_server, page, org, participant, acme_sso, oidc
):
    """An address outside the claimed domains signs in with its password in one submit."""
    with scope(organization=org):
        user = UserFactory(email="paula@mail.example.net", first_name="Paula")
        MembershipFactory(organization=org, user=user, role=Membership.Role.PARTICIPANT)
    sign_in(page, live_server.url, email=user.email, password=TEST_PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/o/{org.slug}/")
    assert not any(path == "/authorize" for _, path in oidc.requests)


def test_allauths_own_start_page_reaches_the_provider(
    live_server, page, browser_log, org, participant, acme_sso, oidc
):
    """allauth's confirmation page (GET /accounts/oidc/<slug>/login/) posts to itself and
    is answered with the redirect to the provider: its form-action allows the provider."""
    page.goto(f"{live_server.url}/accounts/oidc/{org.slug}/login/")
    page.locator("main form [type=submit]").first.click()
    page.wait_for_url(f"{oidc.issuer}/authorize?*")
    sign_in_at_provider(page, email=participant.email)
    expect(page).to_have_url(f"{live_server.url}/o/{org.slug}/")
    assert browser_log.csp_violations == []


def test_one_account_in_two_organisations_signs_in_through_each_ones_provider(
    live_server, page, org, other_org, acme_sso, oidc
):
    """Both organisations require their provider; the second one's pages send a session its
    provider has not signed through it, and then both organisations open."""
    globex_sso = idp_for(other_org, oidc, base_url=live_server.url)
    for idp in (acme_sso, globex_sso):
        idp_update(idp, required_for=IdentityProvider.Required.EVERYONE)
    user = UserFactory(email="dual@mail.example.net", first_name="Dana")
    for organization in (org, other_org):
        with scope(organization=organization):
            MembershipFactory(organization=organization, user=user)

    start_at_organisation(page, live_server.url, org, oidc)
    sign_in_at_provider(page, email=user.email)
    page.goto(f"{live_server.url}/o/{org.slug}/")
    expect(page).to_have_url(f"{live_server.url}/o/{org.slug}/")

    page.goto(f"{live_server.url}/o/{other_org.slug}/")
    expect(page).to_have_url(re.compile(rf"/o/{other_org.slug}/sso/\?next="))
    page.locator("main form [type=submit]").first.click()
    page.wait_for_url(f"{oidc.issuer}/authorize?*")
    expect(page.get_by_text(f"peercoach-{other_org.slug}")).to_be_visible()
    sign_in_at_provider(page, email=user.email)
    expect(page).to_have_url(f"{live_server.url}/o/{other_org.slug}/")
    page.goto(f"{live_server.url}/o/{org.slug}/")
    expect(page).to_have_url(f"{live_server.url}/o/{org.slug}/")
    assert sorted(a.provider for a in SocialAccount.objects.filter(user=user)) == sorted(
        [org.slug, other_org.slug]
    )


def test_an_address_the_provider_has_not_verified_is_refused(
    live_server, page, browser_log, org, participant, acme_sso, oidc
):
    """Someone at the provider who typed a member's address into their profile there
    (`email_verified` false) is not that member here."""
    start_at_organisation(page, live_server.url, org, oidc)
    page.get_by_label("Email verified").uncheck()
    sign_in_at_provider(page, email=participant.email)

    expect(page.locator("main")).to_contain_text("not verified")
    expect_refused(page, browser_log, live_server.url, org, address=participant.email)
    assert not SocialAccount.objects.exists()


def test_an_authorization_endpoint_on_another_host_is_reached(
    live_server, page, browser_log, org, participant, acme_sso, oidc
):
    """Discovery may put the authorization endpoint on another origin than the issuer (as
    Amazon Cognito does): the start page's form-action allows that origin too."""
    oidc.authorization_host = "localhost"
    page.goto(f"{live_server.url}/o/{org.slug}/sso/")
    page.locator("main form [type=submit]").first.click()
    page.wait_for_url(f"http://localhost:{oidc.port}/authorize?*")
    sign_in_at_provider(page, email=participant.email)
    expect(page).to_have_url(f"{live_server.url}/o/{org.slug}/")
    assert browser_log.csp_violations == []
