"""Writes for organisations: creating one. (Their settings page, which records to the audit
log, writes through `workspace.services.settings`.)"""

from django.db import transaction

from .models import Organization


def organization_create(
    *, slug, name, time_zone="UTC", help_email="", require_coordinator_mfa=True
):
    """Create an organisation after full validation; raises ValidationError on bad input."""
    organization = Organization(
        slug=slug,
        name=name,
        time_zone=time_zone,
        help_email=help_email,
        require_coordinator_mfa=require_coordinator_mfa,
    )
    organization.full_clean()
    with transaction.atomic():
        organization.save()
    return organization
