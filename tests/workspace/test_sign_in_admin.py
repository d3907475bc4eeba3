"""The operator admin of single sign-on: the write-only secret, and confirming claimed email
domains, including a domain another organisation has confirmed already.

(Beside the coordinator page's tests: tests/sso/ belongs to the OpenID Connect provider's
fixtures.)"""

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from peercoach.audit.models import Action, AuditEvent
from peercoach.sso.models import EmailDomain, IdentityProvider
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SECRET = "operator-entered-secret"  # noqa: S105


@pytest.fixture
def operator():
    return UserFactory(email="ops@example.org", is_staff=True, is_superuser=True)


@pytest.fixture
def admin(client, operator):
    client.force_login(operator)
    return client


def claims(*pairs):
    with scopes_disabled():
        return [EmailDomain.objects.create(organization=org, domain=d) for org, d in pairs]


def confirm(admin, rows):
    return admin.post(
        reverse("admin:sso_emaildomain_changelist"),
        {"action": "confirm", "_selected_action": [str(row.pk) for row in rows]},
        follow=True,
    )


def test_confirm_sets_who_and_when_and_audits_in_the_organisation(admin, operator, org):
    (claim,) = claims((org, "acme.example.org"))

    response = confirm(admin, [claim])

    assert response.status_code == 200
    assert "Confirmed: acme.example.org (Acme University)." in response.content.decode()
    with scopes_disabled():
        claim.refresh_from_db()
        (event,) = AuditEvent.objects.filter(action=Action.SSO_DOMAIN_CONFIRMED)
    assert claim.confirmed_by == operator and claim.confirmed_at is not None
    assert (event.organization, event.actor, event.summary) == (
        org,
        operator,
        "Confirmed acme.example.org",
    )


def test_a_domain_confirmed_elsewhere_is_refused_with_a_message(admin, org, other_org):
    ours, theirs = claims((org, "shared.example.org"), (other_org, "shared.example.org"))
    with scopes_disabled():
        EmailDomain.objects.filter(pk=theirs.pk).update(confirmed_at=timezone.now())

    response = confirm(admin, [ours])

    assert response.status_code == 200
    assert "Not confirmed, already confirmed for another organisation: shared.example.org" in (
        response.content.decode()
    )
    with scopes_disabled():
        assert EmailDomain.objects.get(pk=ours.pk).confirmed_at is None
        assert not AuditEvent.objects.filter(action=Action.SSO_DOMAIN_CONFIRMED).exists()


def test_two_claims_of_one_domain_in_one_batch_confirm_the_first_only(admin, org, other_org):
    first, second = claims((org, "both.example.org"), (other_org, "both.example.org"))

    response = confirm(admin, [first, second])

    text = response.content.decode()
    assert "Confirmed: both.example.org (Acme University)." in text
    assert "already confirmed for another organisation: both.example.org (Globex Labs)" in text
    with scopes_disabled():
        assert EmailDomain.objects.filter(confirmed_at__isnull=False).count() == 1


def test_the_stored_secret_is_never_rendered_and_empty_keeps_it(admin, org):
    with scopes_disabled():
        idp = IdentityProvider.objects.create(
            organization=org,
            protocol="oidc",
            issuer="https://idp.example.org",
            client_id="pc",
            client_secret=SECRET,
        )
    url = reverse("admin:sso_identityprovider_change", args=[idp.pk])

    page = admin.get(url)
    assert page.status_code == 200
    assert SECRET not in page.content.decode()
    assert "A secret is stored." in page.content.decode()

    form = {
        "organization": org.pk,
        "protocol": "oidc",
        "issuer": "https://idp.example.org",
        "client_id": "pc",
        "client_secret": "",
        "attribute_email": "mail",
        "required_for": "",
        "button_label": "Changed",
    }
    assert admin.post(url, form).status_code == 302
    idp.refresh_from_db()
    assert (idp.button_label, idp.client_secret) == ("Changed", SECRET)

    assert admin.post(url, {**form, "remove_secret": "on"}).status_code == 302
    idp.refresh_from_db()
    assert idp.client_secret == ""
    with scopes_disabled():
        summaries = list(
            AuditEvent.objects.filter(action=Action.SSO_SETTINGS_CHANGED)
            .order_by("pk")
            .values_list("summary", flat=True)
        )
    assert all(SECRET not in s for s in summaries)
    assert "client_secret removed" in summaries[-1]


def test_the_admin_normalises_a_domain(admin, org):
    response = admin.post(
        reverse("admin:sso_emaildomain_add"),
        {"organization": org.pk, "domain": "Mixed.Example.ORG"},
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert EmailDomain.objects.get().domain == "mixed.example.org"
