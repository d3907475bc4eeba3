"""Isolation rows: a program's dashboard and the nudge of a pair at risk (coordinators).

The nudge is POST only; the owner's POST records a nudge for the two members of the
target's active pair (a ledger row each), which is the change the matrix looks for.
"""

from tests.test_isolation import (
    COORDINATOR_ACTION,
    COORDINATOR_ACTION_GET,
    COORDINATOR_PAGE,
    Row,
    program_kwargs,
)

ROWS = {
    "workspace:dashboard": Row(
        checks={"GET": COORDINATOR_PAGE}, owner="coordinator", kwargs=program_kwargs
    ),
    "workspace:dashboard_nudge": Row(
        checks={"GET": COORDINATOR_ACTION_GET, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=lambda target: {**program_kwargs(target), "match_pk": target.active_match.pk},
        owner_post_changes=True,
    ),
}
