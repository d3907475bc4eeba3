"""Isolation row: allauth's OpenID Connect start, wrapped by peercoach.sso.oidc.login (same
route and name as allauth's) so that a failed discovery gives the refusal page.

Global: the organisation's slug names its provider, and the matrix's organisation has none,
so every actor gets allauth's 404, the answer for an unknown or disabled provider too
(tests/sso/test_oidc_protocol.py drives it with a provider).
"""

from tests.test_isolation import Expect, Row

NOT_FOUND = Expect(
    anonymous=404, other_coordinator=404, other_participant=404, stranger=404, owner=404
)

ROWS = {
    "openid_connect_login": Row(
        checks={"GET": NOT_FOUND, "POST": NOT_FOUND},
        owner="participant",
        kwargs=lambda target: {"provider_id": target.org.slug},
        data=lambda target: {},
        rationale="Global: starts an organisation's OpenID Connect provider; none here, 404.",
    ),
}
