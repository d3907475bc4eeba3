"""What the organisation's identity provider said about the person (the interface is
described in peercoach.accounts.personal_data)."""

from peercoach.accounts.personal_data import iso, table
from peercoach.tenancy.zones import zone_of

from .models import ScimUser


def tables(*, organization, user):
    """The person's SCIM resource in `organization`, if the IdP provisioned them. One query."""
    zone = zone_of(user, organization)
    rows = [
        {
            "user_name": r.user_name,
            "external_id": r.external_id,
            "given_name": r.given_name,
            "family_name": r.family_name,
            "emails": ", ".join(e.get("value", "") for e in r.emails if isinstance(e, dict)),
            "active": r.active is not False,
            "provisioned_at": iso(r.created_at, zone),
        }
        for r in ScimUser.objects.filter(organization=organization, user=user)
    ]
    return [table("provisioning", rows)]


def erase(*, user):
    """The person's SCIM resources in every organisation: the IdP then sees them gone."""
    ScimUser.objects.filter(user=user).delete()
