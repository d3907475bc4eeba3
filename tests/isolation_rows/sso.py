"""Isolation rows: the organisation's single sign-on settings, coordinators only.

The owner's POST claims an email domain (a redirect back, and a new EmailDomain row: the
sso app's tables are in the matrix's data snapshot); tests/workspace/
test_sign_in_settings.py proves the provider form and the rest.
"""

from tests.test_isolation import COORDINATOR_ACTION, COORDINATOR_PAGE, Row, in_tenant

ROWS = {
    "workspace:sign_in_settings": Row(
        checks={"GET": COORDINATOR_PAGE, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=in_tenant,
        data=lambda target: {"form": "domain", "domain": "matrix.example.org"},
        owner_post_changes=True,
    ),
}
