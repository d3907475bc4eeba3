"""SAML 2.0 single sign-on in Chromium through a real pysaml2 IdP on loopback
(tests/sso/saml_idp.py): the organisation's provider is configured from the IdP's metadata
URL, the browser follows the HTTP-Redirect request to the IdP's login page and its
auto-submitted HTTP-POST answer back to our ACS. The other refusals are checked without a
browser in tests/sso/test_saml.py."""

import re
from urllib.parse import urlsplit

import pytest
from django_scopes import scope, scopes_disabled
from playwright.sync_api import expect

from peercoach.accounts.models import User
from peercoach.audit.models import Action
from peercoach.tenancy.models import Membership
from tests.factories import TEST_PASSWORD, InvitationFactory
from tests.sso.rows import counts
from tests.sso.saml_flow import (
    audit,
    idp_fixture,  # noqa: F401 - fixture "idp"
    saml_idp_fixture,  # noqa: F401 - fixture "saml_idp"
    saml_provider,
    sp_entity_id,
    used_assertions,
)
from tests.sso.saml_idp import REFEDS_MFA

from .conftest import sign_in

pytestmark = pytest.mark.e2e


def through_the_idp(page, base_url, slug, *, email, next_url=""):
    """Start `slug`'s sign-in, sign in at the IdP as `email`; the browser comes back to us."""
    query = f"?next={next_url}" if next_url else ""
    page.goto(f"{base_url}/o/{slug}/sso/{query}")
    page.locator("#sso-start [type=submit]").click()
    expect(page.get_by_role("heading", name="Loopback IdP")).to_be_visible()
    page.locator("#email").fill(email)
    page.get_by_role("button", name="Sign in at the IdP").click()
    # Back here: past the ACS (its POST answers with a redirect to acs/finish/).
    page.wait_for_url(lambda url: url.startswith(base_url) and not url.endswith("/acs/"))


def test_member_signs_in_into_their_organisation(
    live_server, page, org, other_org, participant, idp
):
    saml_provider(org, idp, from_url=True)
    saml_provider(other_org, idp, from_url=True)
    through_the_idp(page, live_server.url, "acme", email=participant.email, next_url="/o/acme/")
    expect(page).to_have_url(re.compile(r"/o/acme/$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert audit(org, Action.SSO_SIGN_IN) == [f"{participant.email} through SAML 2.0"]
    assert audit(other_org, Action.SSO_SIGN_IN) == []

    # The same answer posted again (the IdP's page re-submitted): refused, audited.
    page.context.clear_cookies()
    page.goto(f"{idp.base_url}/replay")
    expect(page.get_by_role("heading", name="Sign-in refused")).to_be_visible()
    (refusal,) = audit(org, Action.SSO_REFUSED)
    assert "AssertionReplayed" in refusal
    assert len(used_assertions(org)) == 1


def test_first_time_join_with_an_open_invitation(live_server, page, org, idp):
    saml_provider(org, idp, from_url=True)
    with scope(organization=org):
        InvitationFactory(organization=org, email="new.person@acme.example.org")
    idp.knobs.first_name, idp.knobs.last_name = "Nia", "Newcomer"
    through_the_idp(page, live_server.url, "acme", email="new.person@acme.example.org")
    with scopes_disabled():
        user = User.objects.get(email="new.person@acme.example.org")
        assert (user.first_name, user.last_name) == ("Nia", "Newcomer")
        assert not user.has_usable_password()
        assert Membership.objects.get(organization=org, user=user).role == "participant"
    assert audit(org, Action.SSO_JOINED) == ["new.person@acme.example.org through SAML 2.0"]


@pytest.mark.parametrize(
    ("broken", "why"),
    [("expired", "expired"), ("unsigned", "No Signature"), ("other-audience", "audience")],
)
def test_a_bad_answer_is_refused_and_nothing_created(live_server, page, org, idp, broken, why):
    """Expired, signed by nobody, or addressed to another organisation's entity id (the
    test client covers more cases in tests/sso/test_saml.py)."""
    saml_provider(org, idp, from_url=True, allow_join=True)
    if broken == "expired":
        idp.knobs.expired = True
    elif broken == "unsigned":
        idp.knobs.sign_response = idp.knobs.sign_assertion = False
    else:
        idp.knobs.audience = sp_entity_id("globex", host=urlsplit(live_server.url).netloc)
    before = counts()
    through_the_idp(page, live_server.url, "acme", email="walk.in@acme.example.org")
    expect(page.get_by_role("heading", name="Sign-in refused")).to_be_visible()
    expect(page.get_by_text("sent an answer we could not accept")).to_be_visible()
    assert counts() == before
    (refusal,) = audit(org, Action.SSO_REFUSED)
    assert why in refusal


def test_refeds_mfa_satisfies_the_coordinator_rule(live_server, page, org, idp):
    """A coordinator without an authenticator app: the IdP's REFEDS MFA context counts
    when the organisation trusts it; without that context they are sent to set one up."""
    saml_provider(org, idp, from_url=True, trust_idp_mfa=True)
    with scope(organization=org):
        user = User.objects.create_user(email="lead@acme.example.org", password=TEST_PASSWORD)
        Membership.objects.create(organization=org, user=user, role="coordinator")

    through_the_idp(page, live_server.url, "acme", email=user.email, next_url="/o/acme/")
    expect(page.get_by_text("requires coordinators to use two-factor")).to_be_visible()
    assert "/o/acme/" not in page.url

    page.context.clear_cookies()
    idp.knobs.authn_context = REFEDS_MFA
    through_the_idp(page, live_server.url, "acme", email=user.email, next_url="/o/acme/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("coordinator home")


def test_mandatory_sso_refuses_the_password_and_points_to_the_idp(
    live_server, page, org, participant, idp
):
    saml_provider(org, idp, from_url=True, required_for="everyone")
    sign_in(page, live_server.url, email=participant.email, password=TEST_PASSWORD)
    expect(page.get_by_role("heading", name="Sign-in refused")).to_be_visible()
    page.get_by_role("link", name="Sign in through Acme University").click()
    page.locator("#sso-start [type=submit]").click()
    page.locator("#email").fill(participant.email)
    page.get_by_role("button", name="Sign in at the IdP").click()
    page.wait_for_url(lambda url: url.startswith(live_server.url) and not url.endswith("/acs/"))
    page.goto(f"{live_server.url}/o/acme/")
    expect(page).to_have_url(re.compile(r"/o/acme/$"))
    assert audit(org, Action.SSO_SIGN_IN) == [f"{participant.email} through SAML 2.0"]
