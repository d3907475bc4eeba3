"""A coordinator's one-click nudge of a pair or circle: an email to its members now,
through the delivery ledger the reminders use (kind NUDGE), so that it is sent once,
retried when the mail server fails, listed in the program's reminder log, and skipped
for anyone who turned nudges off."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peercoach.audit.models import Action
from peercoach.audit.services import audit_record
from peercoach.notifications.models import Delivery, Kind, Preference
from peercoach.notifications.rules import day_text, link, local_date, reachable
from peercoach.notifications.services import deliveries_send_soon
from programs.models import Program

from ..reminders.common import active_pairs, last_held_days, pair_links, since_day


def nudge_period(match_id, day):
    """The ledger period of a coordinator's nudge of one pair on one day."""
    return f"c{match_id}:{day:%Y%m%d}"


class NudgeError(Exception):
    """The pair cannot be nudged (it ended, or its program is closed)."""


@dataclass
class NudgeResult:
    queued: list = field(default_factory=list)  # names emailed now
    already: list = field(default_factory=list)  # names nudged earlier today
    turned_off: list = field(default_factory=list)  # names who turned nudges off
    unreachable: list = field(default_factory=list)  # closed account, no address, left


def pair_nudge(*, organization, match, by, request=None, now=None):
    """Record a nudge for each current member of `match` in the delivery ledger and
    queue its sending when the transaction commits; returns who was emailed and who not.

    At most once per pair, person and day: the ledger period is "c<match>:<YYYYMMDD>"
    (the organisation's date) and the ledger's unique constraint holds it, so a second
    click the same day records nothing and queues nothing. Members who turned nudges off
    in their email preferences, closed their account or left the organisation get no row.
    The audit event (Action.NUDGE) is written in the same transaction, only when someone
    is emailed. The email says how long the pair has gone without a session, never what
    anyone wrote. Raises NudgeError when the pair is not active or its program closed.
    """
    now = now or timezone.now()
    pairs = active_pairs(organization, match_ids=[match.pk])
    if not pairs:
        raise NudgeError(_("This pair or circle is no longer active: there is nobody to nudge."))
    pair = pairs[0]
    today = local_date(now, organization.time_zone)
    last_held = last_held_days(organization, match_ids=[match.pk])
    since = since_day(pair, last_held)
    turned_off = set(
        Preference.objects.filter(
            organization=organization,
            user_id__in=[m.user_id for m in pair.members],
            kind=Kind.NUDGE,
            enabled=False,
        ).values_list("user_id", flat=True)
    )
    period = nudge_period(match.pk, today)
    shared = {
        "program_name": pair.program.name,
        "is_circle": pair.program.format == Program.Format.CIRCLE,
        "frequency": pair.frequency,
        "every_days": pair.every,
        "had_session": match.pk in last_held,
        "since": day_text(since),
        "days": (today - since).days,
        "from_program_team": True,
        "log_url": link("sessions:log", org_slug=organization.slug, pk=match.pk),
        **pair_links(organization, match.pk),
    }
    result = NudgeResult()
    created = []
    with transaction.atomic():
        for member in pair.members:
            user = member.user
            name = user.display_name
            if not (member.in_organization and reachable(user)):
                result.unreachable.append(name)
                continue
            if user.pk in turned_off:
                result.turned_off.append(name)
                continue
            delivery, is_new = Delivery.objects.get_or_create(
                organization=organization,
                recipient=user,
                kind=Kind.NUDGE,
                period=period,
                defaults={
                    "program": pair.program,
                    "match": match,
                    "due_at": now,
                    "enqueued_at": now,
                    "context": {**shared, "partners": pair.names(but=user.pk)},
                },
            )
            if is_new:
                created.append(delivery.pk)
                result.queued.append(name)
            else:
                result.already.append(name)
        if created:
            audit_record(
                organization=organization,
                action=Action.NUDGE,
                actor=by,
                request=request,
                target=match,
                program=pair.program,
                summary=f"Nudged pair {match.pk}: {len(created)} email(s) to "
                + ", ".join(result.queued),
            )
            ids, organization_id = list(created), organization.pk
            # robust: the nudge is committed; a refused enqueue leaves it to the dispatcher.
            transaction.on_commit(lambda: deliveries_send_soon(organization_id, ids), robust=True)
    return result
