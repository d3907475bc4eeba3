"""Isolation row: the language switcher (base.html's person menu and visitors' menu).

Global and about the person alone: it saves the signed-in person's own language (users
are not in the matrix's data snapshot) or sets a visitor's cookie, then goes back to the
page; GET is not allowed. tests/accounts/test_language.py proves the effects.
"""

from tests.test_isolation import Expect, Row

ROWS = {
    "accounts:language": Row(
        checks={
            "GET": Expect(
                anonymous=405,
                other_coordinator=405,
                other_participant=405,
                stranger=405,
                owner=405,
            ),
            "POST": Expect(
                anonymous=302,
                other_coordinator=302,
                other_participant=302,
                stranger=302,
                owner=302,
            ),
        },
        owner="participant",
        data=lambda target: {"language": "es", "next": "/"},
        rationale="Global: the person's own language (profile) or a visitor's cookie.",
    ),
}
