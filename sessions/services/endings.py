"""Pausing a pair or circle, and leaving one with a written notice.

A pause puts a pair on hold for a stated period without ending it. Its reason is
shared with the pair only: the program team sees that the pair is paused and until
when, never why (people pause for health or family reasons they owe nobody).

An opt-out ends the arrangement and nothing is deleted. A pair ends as a whole
(`programs.services.proposals.match_end`: members become free to be paired again and an
agreement amendment being prepared is withdrawn). A circle only loses the person who
leaves; it ends, the same way as a pair, once fewer than two members remain. A trio
made by hand in a pair program ends like a pair: its agreement and rhythm were made for
all of them. The written notice is addressed to the partners and always reaches them;
the program team gets the reason category, and the notice only when its author chose so
or the program requires notices to the team (the form says so before anything is sent).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from peercoach.audit.models import Action
from peercoach.audit.services import audit_record
from peercoach.notifications.services import message_queue
from peercoach.tenancy.languages import override_for
from peercoach.web.urls import absolute_url
from programs.models import Match, MatchMember, Program
from programs.services.applications import application_record_opt_out
from programs.services.proposals import match_end

from ..models import OptOut, Pause
from ..selectors.endings import current_members, pause_overlapping, program_team
from ..selectors.schedule import pair_url

# A pause is for leave or a busy season, not an open-ended stop: beyond this the pair
# should rather end and be paired again later.
MAX_PAUSE_DAYS = 183
MAX_PAUSE_LEAD_DAYS = 365
MAX_NOTICE_CHARS = 5000


class EndingError(ValidationError):
    """A pause or opt-out that cannot happen, with a message for the person who tried."""


def _locked_match(match):
    # Lock the match alone: the program row is the pairing pages' lock.
    return (
        Match.objects.select_for_update(of=("self",))
        .select_related("program")
        .get(organization=match.organization, pk=match.pk)
    )


def _my_row(match, user):
    return MatchMember.objects.filter(
        organization=match.organization, match=match, user=user, is_current=True
    ).first()


def _writable(match, user):
    """The locked match when it is active and `user` a current member; else EndingError."""
    locked = _locked_match(match)
    if locked.status != Match.Status.ACTIVE:
        raise EndingError(_("This pair or circle has ended: it cannot change any more."))
    if _my_row(locked, user) is None:
        raise EndingError(_("You are no longer a member of this pair or circle."))
    return locked


def _reachable(users):
    return [u for u in users if u.deleted_at is None and u.email]


# --- Pauses ---------------------------------------------------------------------------


def _pause_errors(*, starts_on, ends_on, today):
    errors = {}
    if starts_on < today:
        errors["starts_on"] = _("A pause cannot start in the past.")
    elif starts_on > today + timedelta(days=MAX_PAUSE_LEAD_DAYS):
        errors["starts_on"] = _("A pause can start at most a year from today.")
    if ends_on <= starts_on:
        errors["ends_on"] = _("The pause must end after the day it starts.")
    elif ends_on > starts_on + timedelta(days=MAX_PAUSE_DAYS):
        errors["ends_on"] = _(
            "A pause lasts at most six months. For longer, consider ending the pair."
        )
    return errors


def pause_create(*, match, user, starts_on, ends_on, reason="", today):
    """Pause `match` from `starts_on` to `ends_on` (both included) at `user`'s request.

    `today` is the requester's local date. Raises EndingError (nothing written) when the
    pair has ended or the requester left it, when the dates break a rule (start in the
    past or more than a year ahead, end not after start, longer than six months) or
    when another pause of the pair shares a day with this one. The other current
    members are emailed, with the reason (it is shared with the pair).
    """
    errors = _pause_errors(starts_on=starts_on, ends_on=ends_on, today=today)
    if errors:
        raise EndingError(errors)
    reason = (reason or "").strip()[:300]
    with transaction.atomic():
        locked = _writable(match, user)
        clash = pause_overlapping(match=locked, starts_on=starts_on, ends_on=ends_on)
        if clash is not None:
            raise EndingError(
                _(
                    "This pair is already paused from %(start)s to %(end)s; one pause at a "
                    "time. Resume it first or choose days outside it."
                )
                % {"start": clash.starts_on.isoformat(), "end": clash.last_day.isoformat()}
            )
        pause = Pause.objects.create(
            organization=locked.organization,
            match=locked,
            requested_by=user,
            starts_on=starts_on,
            ends_on=ends_on,
            reason=reason,
        )
        _notify_pause(locked, pause, user, template="pause_started")
    return pause


def pause_end(*, match, user, today, pause_id=None):
    """Resume a paused pair today, or call off a pause that has not started yet.

    `ended_early_on` becomes the last paused day, yesterday, so that `Pause.last_day`
    stays inclusive; a pause called off before its first day ends up with
    `ended_early_on` before `starts_on` and covers no day. Without `pause_id` the pause
    active today is meant. Raises EndingError when there is no such pause or the pair
    cannot change. The other current members are emailed.
    """
    with transaction.atomic():
        locked = _writable(match, user)
        pauses = Pause.objects.select_for_update().filter(
            organization=locked.organization, match=locked
        )
        if pause_id is not None:
            pause = pauses.filter(pk=pause_id).first()
        else:
            pause = pauses.filter(starts_on__lte=today).order_by("-starts_on", "-id").first()
        if pause is None or pause.last_day < today or pause.last_day < pause.starts_on:
            raise EndingError(_("This pair is not paused (any more); nothing to resume."))
        pause.ended_early_on = today - timedelta(days=1)
        pause.save(update_fields=["ended_early_on"])
        _notify_pause(locked, pause, user, template="pause_ended")
    return pause


def _notify_pause(match, pause, actor, *, template):
    others = [m.user for m in current_members(match=match) if m.user_id != actor.pk]
    url = absolute_url(
        reverse("sessions:pause", kwargs={"org_slug": match.organization.slug, "pk": match.pk})
    )
    for person in _reachable(others):
        with override_for(person, match.organization):  # the dates, in their language
            message_queue(
                template=template,
                to=[person],
                organization=match.organization,
                context={
                    "first_name": person.first_name,
                    "actor_name": actor.display_name,
                    "program_name": match.program.name,
                    "starts_on": formats.date_format(pause.starts_on, "LONG_DATE_FORMAT"),
                    "ends_on": formats.date_format(pause.ends_on, "LONG_DATE_FORMAT"),
                    "called_off": pause.ended_early_on is not None
                    and pause.ended_early_on < pause.starts_on,
                    "reason": pause.reason,
                    "pause_url": url,
                },
            )


# --- Opting out -----------------------------------------------------------------------


@dataclass(frozen=True)
class OptOutResult:
    opt_out: OptOut
    match_ended: bool  # False: a circle goes on without the person


def _end_reason(opt_out):
    label = str(OptOut.Reason(opt_out.reason).label)
    reason = _("Opt-out (%(category)s)") % {"category": label}
    if opt_out.notice_shared:
        reason = f"{reason}: {opt_out.notice}"
    return reason


def opt_out_give(*, match, user, reason, notice, notice_shared=False, wants_new_partner=False):
    """`user` leaves `match` with a written notice; returns an OptOutResult.

    In one transaction: records the OptOut (once per person and match: a second one
    raises EndingError "already done"), then ends a pair through `match_end`, or takes
    the person out of a circle (their member row stops being current) and ends the
    circle when fewer than two current members remain. Raises EndingError (nothing
    written) when the notice is empty, the category unknown, the pair already ended or
    the person no longer a member. Nothing is deleted. The person's application records
    the opt-out: without `wants_new_partner` it leaves the pairing pool, so nobody pairs
    them again without their consent. The notice goes to the team when the author
    chose so or the program requires it (`Program.opt_out_notice_to_team`, which the form
    announces). After commit: the partners get the notice; the coordinators get the
    category, the notice only if shared, and a link to their queue.
    """
    notice = (notice or "").strip()
    errors = {}
    if reason not in OptOut.Reason.values:
        errors["reason"] = _("Choose the reason that fits best.")
    if not notice:
        errors["notice"] = _("Write a few words to your partner: the notice is required.")
    elif len(notice) > MAX_NOTICE_CHARS:
        errors["notice"] = _("Keep the notice under %(n)s characters.") % {"n": MAX_NOTICE_CHARS}
    if errors:
        raise EndingError(errors)
    with transaction.atomic():
        locked = _locked_match(match)
        if OptOut.objects.filter(
            organization=locked.organization, match=locked, user=user
        ).exists():
            raise EndingError(_("You have already opted out of this pair or circle."))
        if locked.status != Match.Status.ACTIVE:
            raise EndingError(_("This pair or circle has already ended."))
        me = _my_row(locked, user)
        if me is None:
            raise EndingError(_("You are no longer a member of this pair or circle."))
        partners = [m.user for m in current_members(match=locked) if m.user_id != user.pk]
        try:
            with transaction.atomic():
                opt_out = OptOut.objects.create(
                    organization=locked.organization,
                    match=locked,
                    program=locked.program,
                    user=user,
                    reason=reason,
                    notice=notice,
                    # A program that asks for notices to the team says so on the form.
                    notice_shared=bool(notice_shared) or locked.program.opt_out_notice_to_team,
                    wants_new_partner=bool(wants_new_partner),
                )
        except IntegrityError:
            raise EndingError(_("You have already opted out of this pair or circle.")) from None
        # Out of the pairing pool unless they asked for a new partner.
        application_record_opt_out(
            program=locked.program,
            user=user,
            wants_new_partner=opt_out.wants_new_partner,
            at=opt_out.created_at,
        )
        ended = True
        if locked.program.format == Program.Format.CIRCLE:
            MatchMember.objects.filter(organization=locked.organization, pk=me.pk).update(
                is_current=False
            )
            ended = len(partners) < 2
        if ended:
            match_end(match=locked, ended_by=user, reason=_end_reason(opt_out))
        # The category and the outcome only: the notice is the author's own words.
        audit_record(
            organization=locked.organization,
            action=Action.OPT_OUT,
            actor=user,
            target=opt_out,
            program=locked.program,
            summary=f"{opt_out.get_reason_display()}; "
            + ("ended" if ended else "the circle goes on"),
        )
        _notify_opt_out(locked, opt_out, user, partners, ended=ended)
    return OptOutResult(opt_out=opt_out, match_ended=ended)


def _notify_opt_out(match, opt_out, author, partners, *, ended):
    program = match.program
    org = match.organization
    is_circle = program.format == Program.Format.CIRCLE
    common = {
        "author_name": author.display_name,
        "program_name": program.name,
        "is_circle": is_circle,
        "match_ended": ended,
    }
    # The pair's page stays readable after the end: the log, their own private notes.
    url = pair_url(org, match.pk)
    for person in _reachable(partners):
        message_queue(
            template="opt_out_partner",
            to=[person],
            organization=org,
            key=f"opt-out:{opt_out.pk}",
            context={
                **common,
                "first_name": person.first_name,
                "notice": opt_out.notice,
                "pair_url": url,
            },
        )
    queue_url = absolute_url(
        reverse("sessions:opt_outs", kwargs={"org_slug": org.slug, "pk": program.pk})
    )
    team = [m.user for m in program_team(organization=org) if m.user_id != author.pk]
    for person in _reachable(team):
        with override_for(person, org):  # the category, in the recipient's language
            message_queue(
                template="opt_out_team",
                to=[person],
                organization=org,
                key=f"opt-out-team:{opt_out.pk}",
                context={
                    **common,
                    "first_name": person.first_name,
                    "category": str(opt_out.get_reason_display()),
                    "notice_shared": opt_out.notice_shared,
                    # Only what the author chose to share reaches the program team.
                    "notice": opt_out.notice if opt_out.notice_shared else "",
                    "wants_new_partner": opt_out.wants_new_partner,
                    "queue_url": queue_url,
                },
            )


def opt_out_handle(*, opt_out, user):
    """Mark an opt-out dealt with by `user`. Idempotent: returns (opt_out, changed);
    the first coordinator to mark it stays recorded."""
    with transaction.atomic():
        locked = OptOut.objects.select_for_update().get(
            organization=opt_out.organization, pk=opt_out.pk
        )
        if locked.handled_at is not None:
            return locked, False
        locked.handled_at = timezone.now()
        locked.handled_by = user
        locked.save(update_fields=["handled_at", "handled_by"])
    return locked, True
