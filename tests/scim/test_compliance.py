"""scim2-tester, the python-scim project's RFC 7643/7644 checker, run over HTTP against a
live server with an organisation's real token: discovery, create, read, filter, replace,
PATCH and delete of Users. Every check must end without an error."""

import pytest
from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from peercoach.scim.models import ScimUser
from peercoach.scim.services import scim_token_create

pytestmark = pytest.mark.django_db(transaction=True)

FAILED = {Status.ERROR, Status.CRITICAL}


def test_scim2_tester_finds_no_failure(live_server, org, other_org, coordinator):
    token = scim_token_create(organization=org, actor=coordinator)
    with Client(
        base_url=f"{live_server.url}/scim/{org.slug}/v2",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ) as http:
        results = check_server(SyncSCIMClient(http))
    failures = [r for r in results if r.status in FAILED]
    assert failures == [], "\n".join(f"{r.title}: {r.reason}" for r in failures)
    # It really ran: discovery and the User checks.
    succeeded = {r.title for r in results if r.status == Status.SUCCESS}
    assert len(succeeded) >= 10, sorted(succeeded)
    from django_scopes import scopes_disabled

    with scopes_disabled():
        # Nothing it made reached another organisation.
        assert not ScimUser.objects.filter(organization=other_org).exists()
