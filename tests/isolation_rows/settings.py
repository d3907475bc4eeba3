"""Isolation rows: the coordinator's home (the console) and the organisation's settings
page, coordinators only.

The owner's POST saves the settings form unchanged (a redirect back with "nothing had
changed"); organisations are not in the matrix's data snapshot, and
tests/workspace/test_settings.py proves the changes themselves.
"""

from tests.test_isolation import COORDINATOR_ACTION, COORDINATOR_PAGE, Row, in_tenant


def unchanged_settings(target):
    org = target.org
    return {
        "form": "settings",
        "name": org.name,
        "brand_colour": org.brand_colour,
        "help_email": org.help_email,
        "time_zone": org.time_zone,
        "default_language": org.default_language,
        "policy_text": org.policy_text,
        "require_coordinator_mfa": "on",
    }


ROWS = {
    "workspace:home": Row(checks={"GET": COORDINATOR_PAGE}, owner="coordinator", kwargs=in_tenant),
    "workspace:settings": Row(
        checks={"GET": COORDINATOR_PAGE, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=in_tenant,
        data=unchanged_settings,
    ),
}
