"""SCIM 2.0 provisioning: the organisation's bearer token and the people its identity
provider (IdP) provisioned.

A `ScimUser` is the SCIM User resource: it links an account to the organisation with what
the IdP said about it (userName, externalId, names, emails, active). It outlives the
membership: deactivating ends the membership (peercoach.accounts.services.membership_end)
and keeps the resource with active=false, as IdPs expect to find it again; deleting the
resource ends the membership too. The account itself belongs to the person across
organisations, so the IdP never changes its sign-in address or password.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from peercoach.tenancy.models import Organization, TenantModel


class ScimToken(TenantModel):
    """The organisation's one bearer token, kept as a SHA-256 digest (a 256-bit random
    token needs no slow hash). Shown once when made; regenerating replaces it."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64)
    # The first characters, so that coordinators can tell which token an IdP holds.
    hint = models.CharField(max_length=16)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("provisioning token")
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="scimtoken_one_per_org"),
            models.UniqueConstraint(fields=["organization", "id"], name="scimtoken_org_id"),
        ]

    def __str__(self):
        return f"{self.organization} · {self.hint}…"


class ScimUser(TenantModel):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The resource's SCIM id: random, so that ids say nothing about other tenants.
    scim_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user_name = models.CharField(max_length=254)
    external_id = models.CharField(max_length=254, blank=True)
    given_name = models.CharField(max_length=150, blank=True)
    family_name = models.CharField(max_length=150, blank=True)
    emails = models.JSONField(default=list, blank=True)
    # None: unassigned (removed by a PATCH), taken as active.
    active = models.BooleanField(default=True, null=True)
    # The account was made by this provisioning: only then does the IdP keep its names.
    created_account = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("provisioned person")
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="scimuser_one_per_user"),
            models.UniqueConstraint(
                "organization", Lower("user_name"), name="scimuser_unique_user_name"
            ),
            models.UniqueConstraint(fields=["organization", "id"], name="scimuser_org_id"),
        ]

    def __str__(self):
        return f"{self.user_name} · {self.organization}"
