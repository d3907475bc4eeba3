"""Isolation rows: home (see __init__).

The pair's hub and its session list are for the pair's members only: the stranger (same
organisation, not in the pair) gets 404 like another tenant's people.
"""

from tests.test_isolation import PARTY_PAGE, Row


def _pair(target):
    return {"org_slug": target.org.slug, "pk": target.participant_pair.pk}


ROWS = {
    "sessions:pair": Row(checks={"GET": PARTY_PAGE}, owner="participant", kwargs=_pair),
    "sessions:session_list": Row(checks={"GET": PARTY_PAGE}, owner="participant", kwargs=_pair),
}
