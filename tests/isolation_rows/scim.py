"""Isolation rows: removing a member, the provisioning (SCIM) page, and the SCIM API.

The SCIM API lives outside /o/<slug>/: its one door is the organisation's bearer token,
so a session (any actor, the owner's coordinator too) gets 401 like anonymous, with no
data; tests/scim/test_endpoint.py covers tokens of other organisations.
"""

from django_scopes import scope

from peercoach.tenancy.models import Membership
from tests.test_isolation import (
    COORDINATOR_ACTION,
    COORDINATOR_ACTION_GET,
    COORDINATOR_PAGE,
    Expect,
    Row,
    in_tenant,
)

NO_TOKEN = Expect(
    anonymous=401, other_coordinator=401, other_participant=401, stranger=401, owner=401
)
API_RATIONALE = "SCIM API: bearer token of the organisation only, never a session (401)."


def _leaver(target):
    (person,) = target.extra_people("leaver@acme.example.org")
    with scope(organization=target.org):
        return Membership.objects.get(organization=target.org, user=person).pk


def _api():
    return Row(
        checks={"GET": NO_TOKEN, "POST": NO_TOKEN},
        owner="coordinator",
        kwargs=lambda target: {"slug": target.org.slug},
        rationale=API_RATIONALE,
    )


ROWS = {
    "accounts:member_remove": Row(
        checks={"GET": COORDINATOR_ACTION_GET, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=lambda target: {"org_slug": target.org.slug, "pk": target.memo("leaver", _leaver)},
        data=lambda target: {"confirm": "yes"},
        owner_post_changes=True,
    ),
    "scim:provisioning": Row(
        checks={"GET": COORDINATOR_PAGE, "POST": COORDINATOR_PAGE},
        owner="coordinator",
        kwargs=in_tenant,
        data=lambda target: {"action": "create"},
        owner_post_changes=True,
    ),
    "scim:users": _api(),
    "scim:users-search": _api(),
    "scim:service-provider-config": _api(),
    "scim:resource-types": _api(),
    "scim:schemas": _api(),
    "scim:unknown": Row(
        checks={"GET": NO_TOKEN, "POST": NO_TOKEN},
        owner="coordinator",
        path=lambda target: f"/scim/{target.org.slug}/v2/Groups",
        rationale=API_RATIONALE,
    ),
}
