"""Isolation rows: the participant list and a pair's activity page (coordinators only).

The pair is one of the owner organisation's program; the participant and the stranger
are in neither, and participants get 403 like on every coordinator page (the pair's own
members too: tests/workspace/test_people_pair.py).
"""

from tests.test_isolation import COORDINATOR_PAGE, Row, in_tenant

ROWS = {
    "workspace:people": Row(
        checks={"GET": COORDINATOR_PAGE}, owner="coordinator", kwargs=in_tenant
    ),
    "workspace:pair_activity": Row(
        checks={"GET": COORDINATOR_PAGE},
        owner="coordinator",
        kwargs=lambda target: {
            "org_slug": target.org.slug,
            "pk": target.program.pk,
            "match_pk": target.active_match.pk,
        },
    ),
}
