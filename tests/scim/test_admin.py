"""Operators see provisioning in the admin: tokens (never their digest) and resources."""

import pytest
from django.urls import reverse
from django_scopes import scope

from peercoach.scim.services import scim_token_create, scim_user_create

pytestmark = pytest.mark.django_db


def test_operators_see_tokens_and_provisioned_people(
    client, org, coordinator, participant, admin_user
):
    scim_token_create(organization=org, actor=coordinator)
    with scope(organization=org):
        scim_user_create(organization=org, user_name=participant.email)
    client.force_login(admin_user)
    for name in ("admin:scim_scimtoken_changelist", "admin:scim_scimuser_changelist"):
        assert client.get(reverse(name)).status_code == 200, name
    assert b"pat@acme" in client.get(reverse("admin:scim_scimuser_changelist")).content
