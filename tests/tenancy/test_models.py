import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django_scopes import ScopeError, scope

from peercoach.tenancy.models import Membership, Organization
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_unscoped_query_on_tenant_model_raises(org, participant):
    with pytest.raises(ScopeError):
        list(Membership.objects.all())


def test_scoped_query_sees_only_its_tenant(org, other_org, participant, other_participant):
    with scope(organization=org):
        emails = set(Membership.objects.values_list("user__email", flat=True))
    assert emails == {participant.email}


def test_person_can_belong_to_several_organisations(org, other_org):
    user = UserFactory()
    with scope(organization=org):
        MembershipFactory(organization=org, user=user, role=Membership.Role.COORDINATOR)
    with scope(organization=other_org):
        MembershipFactory(organization=other_org, user=user, role=Membership.Role.PARTICIPANT)
    with scope(organization=other_org):
        assert Membership.objects.get(user=user).role == Membership.Role.PARTICIPANT


def test_one_membership_per_person_and_organisation(org, participant):
    with scope(organization=org), pytest.raises(IntegrityError):
        Membership.objects.create(organization=org, user=participant, role="coordinator")


@pytest.mark.parametrize(
    ("field", "value"),
    [("time_zone", "Mars/Olympus"), ("brand_colour", "blue"), ("slug", "admin")],
)
def test_organisation_validation_rejects_bad_values(field, value):
    organization = Organization(**{"slug": "fine", "name": "Fine", field: value})
    with pytest.raises(ValidationError) as excinfo:
        organization.full_clean()
    assert field in excinfo.value.message_dict


@pytest.mark.parametrize(
    ("colour", "text"), [("#ffffff", "#000000"), ("#1f4e79", "#ffffff"), ("#ffd54f", "#000000")]
)
def test_brand_text_colour_keeps_contrast(colour, text):
    assert Organization(brand_colour=colour).brand_text_colour == text


def test_every_tenant_model_carries_organization_and_a_scoped_manager():
    from django.apps import apps

    tenant_apps = {
        "tenancy",
        "accounts",
        "programs",
        "agreements",
        "coaching_sessions",
        "notifications",
    }
    global_models = {"Organization", "User"}
    for model in apps.get_models():
        if model._meta.app_label not in tenant_apps or model.__name__ in global_models:
            continue
        assert any(f.name == "organization" for f in model._meta.fields), model
        with pytest.raises(Exception, match="scope"):
            list(model.objects.all())


def test_org_factory_defaults_require_mfa():
    assert OrganizationFactory().require_coordinator_mfa is True
