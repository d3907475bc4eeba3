"""Isolation rows: endings (pauses, opt-outs and the coordinator's opt-out queue).

The pair's pages are for its members only; the queue is for the organisation's
coordinators. Objects come from `target.participant_pair` (the participant and gil) and
`target.active_match` (two other people in `target.program`).
"""

from datetime import timedelta

from django.utils import timezone
from django_scopes import scope

from peercoach.tenancy.zones import zone_of
from sessions.models import OptOut, Pause
from tests.test_isolation import (
    COORDINATOR_ACTION,
    COORDINATOR_ACTION_GET,
    COORDINATOR_PAGE,
    PARTY_PAGE,
    Row,
    program_kwargs,
)


def pair_kwargs(target):
    return {"org_slug": target.org.slug, "pk": target.participant_pair.pk}


def _today(target):
    return timezone.localdate(timezone=zone_of(target.actors["participant"], target.org))


def _pause_now(target):
    """A pause of the participant's pair running from today for a week."""
    match = target.participant_pair

    def make(t):
        with scope(organization=t.org):
            return Pause.objects.create(
                organization=t.org,
                match=match,
                requested_by=t.actors["participant"],
                starts_on=_today(t),
                ends_on=_today(t) + timedelta(days=7),
            )

    return target.memo("endings:pause", make)


def _opt_out(target):
    """An opt-out from the pair of two other people in `target.program`."""

    def make(t):
        match = t.active_match
        with scope(organization=t.org):
            member = match.members.order_by("position").first()
            return OptOut.objects.create(
                organization=t.org,
                match=match,
                program=t.program,
                user=member.user,
                reason=OptOut.Reason.NO_TIME,
                notice="Busy season at work.",
            )

    return target.memo("endings:opt_out", make)


def _pause_data(target):
    start = _today(target) + timedelta(days=1)
    return {
        "starts_on": start.isoformat(),
        "ends_on": (start + timedelta(days=14)).isoformat(),
        "reason": "Parental leave",
    }


ROWS = {
    "sessions:pause": Row(
        checks={"GET": PARTY_PAGE, "POST": PARTY_PAGE._replace(owner=302)},
        owner="participant",
        kwargs=pair_kwargs,
        data=_pause_data,
        owner_post_changes=True,
    ),
    "sessions:pause_end": Row(
        checks={"POST": PARTY_PAGE._replace(owner=302)},
        owner="participant",
        kwargs=pair_kwargs,
        data=lambda target: {"pause": str(_pause_now(target).pk)},
        owner_post_changes=True,
    ),
    "sessions:opt_out": Row(
        # The confirming POST: the owner's pair ends (the first step is tested in
        # tests/sessions/test_endings.py and changes nothing).
        checks={"GET": PARTY_PAGE, "POST": PARTY_PAGE._replace(owner=302)},
        owner="participant",
        kwargs=pair_kwargs,
        data=lambda target: {
            "step": "confirm",
            "reason": OptOut.Reason.NO_TIME,
            "notice": "Thank you, I have to stop for now.",
            "notice_shared": "False",
            "wants_new_partner": "True",
        },
        owner_post_changes=True,
    ),
    "sessions:opt_outs": Row(
        checks={"GET": COORDINATOR_PAGE},
        owner="coordinator",
        kwargs=lambda target: (_opt_out(target), program_kwargs(target))[1],
    ),
    "sessions:opt_out_handled": Row(
        checks={"GET": COORDINATOR_ACTION_GET, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=lambda target: {**program_kwargs(target), "opt_out_pk": _opt_out(target).pk},
        owner_post_changes=True,
    ),
}
