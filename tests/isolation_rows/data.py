"""Isolation rows: data (see __init__).

Export and deletion are about the signed-in person alone: every member of the
organisation reaches them for their own account. The stranger's export is their own
(200, nothing changes); the stranger posting the owner's email to the deletion form is
refused on the page (200, nothing changes); the owner's confirmed deletion redirects
to the landing page and removes their memberships.
"""

from tests.factories import TEST_PASSWORD
from tests.test_isolation import LOGIN, MEMBER_PAGE, Expect, Row, in_tenant

OWN_ANSWER = Expect(
    anonymous=LOGIN, other_coordinator=404, other_participant=404, stranger=200, owner=200
)

ROWS = {
    "accounts:my_data": Row(
        checks={"GET": MEMBER_PAGE, "POST": OWN_ANSWER}, owner="participant", kwargs=in_tenant
    ),
    "accounts:delete_account": Row(
        checks={"GET": MEMBER_PAGE, "POST": OWN_ANSWER._replace(owner=302)},
        owner="participant",
        kwargs=in_tenant,
        data=lambda target: {
            "email": target.actors["participant"].email,
            "password": TEST_PASSWORD,
        },
        owner_post_changes=True,
    ),
}
