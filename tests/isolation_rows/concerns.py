"""Isolation rows: the confidential concern channel.

Raising and following one's own concerns is for every member; the list and the
follow-up are for coordinators who handle concerns (the `coordinator` fixture is made
one here); a concern itself is for its author (the participant) and the handlers.
"""

from django_scopes import scope

from peercoach.tenancy.models import Membership
from sessions.models import Concern
from tests.test_isolation import (
    COORDINATOR_ACTION,
    COORDINATOR_ACTION_GET,
    COORDINATOR_PAGE,
    LOGIN,
    MEMBER_PAGE,
    PARTY_PAGE,
    Expect,
    Row,
    in_tenant,
)


def _handler(target):
    """The coordinator fixture, made a concern handler."""

    def make(t):
        with scope(organization=t.org):
            Membership.objects.filter(organization=t.org, user=t.actors["coordinator"]).update(
                handles_concerns=True
            )
        return True

    return target.memo("concerns:handler", make)


def _concern(target):
    """A concern the participant raised."""

    def make(t):
        with scope(organization=t.org):
            return Concern.objects.create(
                organization=t.org,
                author=t.actors["participant"],
                category=Concern.Category.PROHIBITED_ADVICE,
                body="My partner keeps giving me investment tips.",
            )

    return target.memo("concerns:concern", make)


def concern_kwargs(target):
    return {"org_slug": target.org.slug, "pk": _concern(target).pk}


def handler_concern_kwargs(target):
    _handler(target)
    return concern_kwargs(target)


ROWS = {
    "sessions:concern_new": Row(
        # The POST without a text is refused for everyone (a valid one is tested in
        # tests/sessions/test_concerns.py: the matrix forbids the stranger's writes).
        checks={"GET": MEMBER_PAGE, "POST": MEMBER_PAGE._replace(stranger=400, owner=400)},
        owner="participant",
        kwargs=in_tenant,
        data=lambda target: {"category": Concern.Category.OTHER, "body": ""},
    ),
    "sessions:my_concerns": Row(
        checks={"GET": MEMBER_PAGE},
        owner="participant",
        kwargs=lambda target: (_concern(target), in_tenant(target))[1],
    ),
    "sessions:concerns": Row(
        checks={"GET": COORDINATOR_PAGE},
        owner="coordinator",
        kwargs=lambda target: (_handler(target), _concern(target), in_tenant(target))[2],
    ),
    "sessions:concern_detail": Row(
        # The author reads their own concern; every other participant gets 404.
        checks={"GET": PARTY_PAGE},
        owner="participant",
        kwargs=concern_kwargs,
    ),
    "sessions:concern_close": Row(
        checks={
            "GET": Expect(
                anonymous=LOGIN,
                other_coordinator=404,
                other_participant=404,
                stranger=405,
                owner=405,
            ),
            "POST": PARTY_PAGE._replace(owner=302),
        },
        owner="coordinator",
        kwargs=handler_concern_kwargs,
        data=lambda target: {"action": "close", "note": "Spoke with both."},
        owner_post_changes=True,
    ),
    "sessions:concern_handlers": Row(
        # Now a redirect to the program team on workspace:settings, for old links; GET only.
        checks={"GET": COORDINATOR_ACTION, "POST": COORDINATOR_ACTION_GET},
        owner="coordinator",
        kwargs=in_tenant,
    ),
}
