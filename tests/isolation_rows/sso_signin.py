"""Isolation row: /o/<slug>/sso/, the start of an organisation's single sign-on.

Public by design (TenantMiddleware's PUBLIC_TENANT_SUFFIXES): people who are not signed in
yet, or not members yet (an invitation, "anyone from our IdP may join"), start there. It
shows only the organisation's name and a button posting to its provider; an unknown
organisation and one without an enabled provider answer the same 404
(tests/sso_signin/test_mandatory.py). Writes nothing; POST is not allowed.
"""

from peercoach.sso.models import IdentityProvider
from tests.test_isolation import Expect, Row


def _with_provider(target):
    from django_scopes import scope

    def make(target):
        with scope(organization=target.org):
            return IdentityProvider.objects.create(
                organization=target.org,
                protocol=IdentityProvider.Protocol.OIDC,
                enabled=True,
                issuer="https://idp.invalid/",
                client_id="acme",
            )

    target.memo("sso_identity_provider", make)
    return {"org_slug": target.org.slug}


ROWS = {
    "sso:start": Row(
        checks={
            "GET": Expect(
                anonymous=200, other_coordinator=200, other_participant=200, stranger=200, owner=200
            ),
            "POST": Expect(
                anonymous=405, other_coordinator=405, other_participant=405, stranger=405, owner=405
            ),
        },
        owner="participant",
        kwargs=_with_provider,
        rationale="Public: where a person not signed in (or not a member yet) starts the "
        "organisation's single sign-on; shows its name and a button, nothing else.",
    ),
}

# allauth's sign-in view with the email-first step in front (peercoach.sso.views.login):
# global, about the person only. Signed-in people are sent on by allauth; a wrong password
# gets the form again; nothing is written either way.
ROWS["accounts/login/"] = Row(
    checks={
        "GET": Expect(
            anonymous=200, other_coordinator=302, other_participant=302, stranger=302, owner=302
        ),
        "POST": Expect(
            anonymous=200, other_coordinator=302, other_participant=302, stranger=302, owner=302
        ),
    },
    owner="participant",
    path=lambda target: "/accounts/login/",
    data=lambda target: {"login": "nobody@acme.example.org", "password": "wrong"},
    rationale="Global: the sign-in page (allauth's, email first); no tenant data.",
)
