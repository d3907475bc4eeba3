"""Isolation rows: notifications (email preferences, the one-click unsubscribe link) and
the console's page on them (a program's reminder log, workspace:reminder_log).

Preferences are every member's own page: the stranger sees and saves their own. The
posted body ticks every kind, which is what a member with no rows has already, so no
actor's POST changes anything. The log is for the program's coordinators. The
unsubscribe link is global; here it carries a token we never signed, which everyone
gets refused the same way (the signed token is the only key; tests/notifications/
test_views.py covers a real one).
"""

from peercoach.notifications.models import Kind
from tests.test_isolation import COORDINATOR_PAGE, MEMBER_PAGE, Expect, Row, in_tenant

REFUSED = Expect(
    anonymous=400, other_coordinator=400, other_participant=400, stranger=400, owner=400
)

ROWS = {
    "notifications:preferences": Row(
        checks={"GET": MEMBER_PAGE, "POST": MEMBER_PAGE._replace(stranger=302, owner=302)},
        owner="participant",
        kwargs=in_tenant,
        data=lambda target: dict.fromkeys(Kind.values, "on"),
    ),
    "workspace:reminder_log": Row(
        checks={"GET": COORDINATOR_PAGE},
        owner="coordinator",
        kwargs=lambda target: {"org_slug": target.org.slug, "pk": target.program.pk},
    ),
    "notifications:unsubscribe": Row(
        checks={"GET": REFUSED, "POST": REFUSED},
        owner="participant",
        kwargs=lambda target: {"token": "not-a-signed-token"},
        rationale=(
            "The link in every reminder works without signing in: its signed token names "
            "the person, organisation and kind and is the only key. A GET only asks; a "
            "made-up or altered token is refused (400) and reveals nothing."
        ),
    ),
}
