"""Isolation rows: the organisation's audit log and its CSV file, for its coordinators.

Participants of the organisation get 403 (coordinator_required), everyone of another
organisation 404. The CSV download writes its own audit row, which only the owner's
request may do (the rows of other actors are refused before anything is read).
"""

from tests.test_isolation import COORDINATOR_PAGE, Row, in_tenant

ROWS = {
    "workspace:audit_log": Row(
        checks={"GET": COORDINATOR_PAGE}, owner="coordinator", kwargs=in_tenant
    ),
    "workspace:audit_export": Row(
        checks={"GET": COORDINATOR_PAGE}, owner="coordinator", kwargs=in_tenant
    ),
}
