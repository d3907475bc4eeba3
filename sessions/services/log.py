"""Writes on held sessions: the log, private notes, feedback, self-reflections,
preparation and the first-session checklist.

Every write runs in one transaction that first locks the pair's or circle's row and
checks, under that lock, that the pair is active and the writer a current member
(`NotWritable` otherwise); a write on an existing session also locks the session row,
so two members saving at the same instant are serialised. A rule that is broken raises
`ValidationError`, keyed by the form field it is about where there is one, and nothing
is written.

Logging twice: any current member may log a session or edit the shared part of its log
(date, length, modality, place, topics, next steps, shared notes, who coached whom); the
last save wins for those fields. `logged_by`/`logged_at` keep the first logger. Each
person's private note is theirs alone and is saved with their log.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peercoach.tenancy.zones import zone_name
from programs.models import Match, MatchMember, Program

from ..access import NotWritable
from ..models import (
    Checklist,
    Feedback,
    Preparation,
    PrivateNote,
    Reflection,
    Session,
    SessionPart,
)
from ..models.sessions import Modality
from ..selectors.log import LOGGABLE, coached_in, feedback_part, may_prepare, parts_of

MAX_MINUTES = 600


@dataclass(frozen=True)
class Slot:
    """A circle member who attended: their time slot and the challenge they brought."""

    user_id: int
    minutes: int
    challenge: str = ""


# --- Locking and membership -----------------------------------------------------------


def _writer(match, user):
    """Lock the match row and return the writer's current member row; NotWritable when
    the pair is not active or the person is no longer in it."""
    locked = Match.objects.select_for_update().get(organization=match.organization, pk=match.pk)
    if locked.status != Match.Status.ACTIVE:
        raise NotWritable
    member = MatchMember.objects.filter(
        organization=match.organization, match_id=match.pk, user=user, is_current=True
    ).first()
    if member is None:
        raise NotWritable
    return member


def _locked_session(session):
    return Session.objects.select_for_update().get(
        organization=session.organization, pk=session.pk, match_id=session.match_id
    )


def _current_members(match):
    return list(
        MatchMember.objects.filter(organization=match.organization, match=match, is_current=True)
        .select_related("user")
        .order_by("position", "id")
    )


def _under(program, minutes):
    return bool(program.min_minutes_each) and minutes < program.min_minutes_each


def _part(program, *, coach, coachee, minutes, challenge=""):
    """The fields of one SessionPart, flagged when under the program's minimum."""
    return {
        "coach": coach,
        "coachee": coachee,
        "minutes": minutes,
        "challenge": challenge,
        "under_minimum": _under(program, minutes),
    }


# --- Checking a log -----------------------------------------------------------------------


def _clean_topics(program, topics):
    """The topics in the program's spelling and order; unknown ones are refused."""
    known = {topic.casefold(): topic for topic in program.topic_list}
    wanted = []
    unknown = []
    for topic in topics:
        text = str(topic).strip()
        if text.casefold() in known:
            wanted.append(text.casefold())
        elif text:
            unknown.append(text)
    if unknown:
        raise ValidationError(
            {
                "topics": _("These are not topics of this program: %(topics)s.")
                % {"topics": ", ".join(unknown)}
            }
        )
    return [topic for topic in program.topic_list if topic.casefold() in set(wanted)]


def _check_minutes(value, field):
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_MINUTES:
        raise ValidationError(
            {field: _("Enter a number of minutes from 0 to %(max)d.") % {"max": MAX_MINUTES}}
        )


def _parts_one_way(program, members, duration):
    coach = next((m for m in members if m.role == MatchMember.Role.COACH), None)
    coachee = next((m for m in members if m.role == MatchMember.Role.COACHEE), None)
    if coach is None or coachee is None:
        raise ValidationError(
            _("This pair has no coach and peer on record; ask the program team to fix it.")
        )
    return [_part(program, coach=coach.user, coachee=coachee.user, minutes=duration)]


def _parts_reciprocal(program, members, duration, halves):
    if len(members) != 2:
        raise ValidationError(_("A reciprocal pair needs its two partners to log a session."))
    if halves is None or len(halves) != 2:
        raise ValidationError(_("Say how long each of you was coached."))
    first, second = halves
    _check_minutes(first, "half_1_minutes")
    _check_minutes(second, "half_2_minutes")
    if first + second == 0:
        raise ValidationError(_("Say how long at least one of you was coached."))
    if first + second > duration:
        raise ValidationError(
            _(
                "The two halves add up to %(total)d minutes, more than the session's "
                "%(length)d minutes. Shorten a half or lengthen the session."
            )
            % {"total": first + second, "length": duration}
        )
    a, b = members
    return [
        _part(program, coach=a.user, coachee=b.user, minutes=first),
        _part(program, coach=b.user, coachee=a.user, minutes=second),
    ]


def _parts_circle(program, members, duration, slots):
    by_user = {member.user_id: member for member in members}
    slots = list(slots or [])
    seen = set()
    for slot in slots:
        if slot.user_id not in by_user or slot.user_id in seen:
            raise ValidationError(_("Only current members of the circle can attend, once each."))
        seen.add(slot.user_id)
        _check_minutes(slot.minutes, f"slot_{slot.user_id}")
    if len(slots) < 2:
        raise ValidationError(_("A circle session needs at least two members who attended."))
    total = sum(slot.minutes for slot in slots)
    if total > duration:
        raise ValidationError(
            _(
                "The time slots add up to %(total)d minutes, more than the session's "
                "%(length)d minutes."
            )
            % {"total": total, "length": duration}
        )
    order = {member.user_id: index for index, member in enumerate(members)}
    return [
        _part(
            program,
            coach=None,
            coachee=by_user[slot.user_id].user,
            minutes=slot.minutes,
            challenge=slot.challenge.strip(),
        )
        for slot in sorted(slots, key=lambda slot: order[slot.user_id])
    ]


def _parts(program, members, duration, *, halves, slots):
    if program.format == Program.Format.ONE_WAY:
        return _parts_one_way(program, members, duration)
    if program.format == Program.Format.RECIPROCAL:
        return _parts_reciprocal(program, members, duration, halves)
    return _parts_circle(program, members, duration, slots)


def _note_save(model, *, session, author, body):
    """Upsert (or, when blank, delete) the author's own note row of `model`."""
    body = (body or "").strip()
    rows = model.objects.filter(organization=session.organization, session=session, author=author)
    if not body:
        rows.delete()
        return None
    row = rows.first()
    if row is None:
        row = model(organization=session.organization, session=session, author=author)
    row.body = body
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        # Saved at the same instant from another tab: keep the newest text.
        row = rows.get()
        row.body = body
        row.save()
    return row


# --- The log ----------------------------------------------------------------------------


def session_log(
    *,
    match,
    user,
    starts_at,
    duration_minutes,
    modality,
    location="",
    topics=(),
    next_steps="",
    shared_notes="",
    private_note="",
    halves=None,
    slots=None,
    session=None,
    now=None,
):
    """Log a held session of `match`: a new one (`session=None`, created as HELD), a
    proposed or scheduled one (it becomes HELD) or a held one (its shared log is
    replaced). Returns the session.

    Guarantees, all or nothing: the session is not in the future; the length is 5 to 600
    minutes; topics are the program's; the parts follow the format (one-way: the coach
    coaches the peer for the whole session; reciprocal: two halves, one each way, adding
    up to at most the session; circle: at least two current members attended, their
    slots adding up to at most the session), each flagged `under_minimum` below the
    program's minimum. `user`'s private note is saved (blank deletes it). Raises
    ValidationError for a broken rule, NotWritable when the pair has ended or `user`
    left it.
    """
    now = now or timezone.now()
    program = match.program
    organization = match.organization
    errors = {}
    if starts_at is None:
        errors["date"] = _("Say when the session took place.")
    elif starts_at > now:
        errors["date"] = _("This is in the future: a session can be logged once it has started.")
    if not isinstance(duration_minutes, int) or not 5 <= duration_minutes <= MAX_MINUTES:
        errors["duration_minutes"] = _("A session lasts from 5 to %(max)d minutes.") % {
            "max": MAX_MINUTES
        }
    if modality not in Modality.values:
        errors["modality"] = _("Choose how you met.")
    if errors:
        raise ValidationError(errors)
    topics = _clean_topics(program, topics)

    with transaction.atomic():
        _writer(match, user)
        if session is not None:
            session = _locked_session(session)
            if session.status not in LOGGABLE:
                raise ValidationError(
                    _(
                        "This session was cancelled or replaced by another time, so it cannot "
                        "be logged. Log the meeting as a new session instead."
                    )
                )
        parts = _parts(
            program, _current_members(match), duration_minutes, halves=halves, slots=slots
        )
        if session is None:
            session = Session(
                organization=organization,
                program=program,
                match=match,
                time_zone=zone_name(user, organization),
                proposed_by=user,
            )
        elif session.starts_at != starts_at or session.duration_minutes != duration_minutes:
            session.sequence += 1  # calendars holding it see the change
        session.status = Session.Status.HELD
        session.starts_at = starts_at
        session.duration_minutes = duration_minutes
        session.modality = modality
        session.location = (location or "").strip()
        session.topics = topics
        session.next_steps = (next_steps or "").strip()
        session.shared_notes = (shared_notes or "").strip()
        if session.logged_by_id is None:
            session.logged_by = user
            session.logged_at = now
        session.save()
        SessionPart.objects.filter(organization=organization, session=session).delete()
        SessionPart.objects.bulk_create(
            SessionPart(organization=organization, session=session, position=index, **part)
            for index, part in enumerate(parts)
        )
        _note_save(PrivateNote, session=session, author=user, body=private_note)
    return session


def private_note_save(*, session, user, body):
    """Save `user`'s private note on `session` (blank deletes it); only its author ever
    reads it. Returns the note or None. Raises NotWritable when the pair has ended or
    `user` left it."""
    with transaction.atomic():
        _writer(session.match, user)
        return _note_save(PrivateNote, session=session, author=user, body=body)


# --- After the session ------------------------------------------------------------------


def _held(session, message):
    session = _locked_session(session)
    if session.status != Session.Status.HELD:
        raise ValidationError(message)
    return session


def feedback_give(*, session, author, rating, comment=""):
    """Give (or change) `author`'s feedback on a held session: for the coach of the part
    on which they were coached; in a circle, for the circle (no coach). One row per
    author and coach (`update_or_create`). Raises ValidationError when the session is not
    held, `author` was not coached in it or the rating is not 1 to 5; NotWritable when
    the pair has ended or `author` left it."""
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise ValidationError({"rating": _("Choose a rating from 1 to 5.")})
    circle = session.program.format == Program.Format.CIRCLE
    with transaction.atomic():
        _writer(session.match, author)
        held = _held(session, _("Feedback is given once the session has been logged as held."))
        held.organization = session.organization
        part = feedback_part(parts_of(held), author.pk, circle=circle)
        if part is None:
            raise ValidationError(
                _("You were not coached in this session, so there is no feedback to give.")
            )
        try:
            with transaction.atomic():
                feedback, _created = Feedback.objects.update_or_create(
                    organization=session.organization,
                    session=held,
                    author=author,
                    coach_id=part.coach_id,
                    defaults={"rating": rating, "comment": (comment or "").strip()},
                )
        except IntegrityError:
            raise ValidationError(
                _("Your feedback was saved twice at the same moment. Reload the page and check it.")
            ) from None
    return feedback


def reflection_save(*, session, author, body):
    """Save the coach's self-reflection on a held session (blank deletes it); only its
    author ever reads it. The author must have coached in it (pairs: the coach of a part
    with minutes; circles: an attendee). Raises ValidationError otherwise, NotWritable
    when the pair has ended or the author left it."""
    circle = session.program.format == Program.Format.CIRCLE
    with transaction.atomic():
        _writer(session.match, author)
        held = _held(session, _("A self-reflection follows a session logged as held."))
        held.organization = session.organization
        if not coached_in(parts_of(held), author.pk, circle=circle):
            raise ValidationError(_("Only someone who coached in this session reflects on it."))
        return _note_save(Reflection, session=held, author=author, body=body)


def preparation_save(*, session, author, purpose="", outcomes="", process=""):
    """Save what `author` prepared for an upcoming session (all blank deletes it); the
    pair or circle reads it. Needs the program's preparation setting; one-way pairs: only
    the peer prepares. Raises ValidationError otherwise, NotWritable when the pair has
    ended or the author left it."""
    program = session.program
    if not program.session_preparation:
        raise ValidationError(_("This program does not use session preparation."))
    texts = {
        "purpose": (purpose or "").strip(),
        "outcomes": (outcomes or "").strip(),
        "process": (process or "").strip(),
    }
    with transaction.atomic():
        member = _writer(session.match, author)
        if not may_prepare(member, program):
            raise ValidationError(_("In a one-way pair the peer prepares the session."))
        locked = _locked_session(session)
        if not locked.is_upcoming:
            raise ValidationError(_("Preparation is for sessions still to come."))
        rows = Preparation.objects.filter(
            organization=session.organization, session=locked, author=author
        )
        if not any(texts.values()):
            rows.delete()
            return None
        try:
            with transaction.atomic():
                preparation, _created = rows.update_or_create(
                    organization=session.organization,
                    session=locked,
                    author=author,
                    defaults=texts,
                )
        except IntegrityError:
            raise ValidationError(
                _("Your preparation was saved twice at the same moment. Reload the page.")
            ) from None
    return preparation


# --- The first-session checklist --------------------------------------------------------

CHECKLIST_KEYS = tuple(key for key, _label in Checklist.ITEMS)


def checklist_save(*, match, user, ticked, seen, now=None):
    """Tick and untick first-session checklist items for the pair, recording who ticked
    each and when.

    Only the items whose state differs from what the person was shown (`seen`) change,
    so two members saving from older pages never undo each other's ticks. Unknown item
    keys are ignored. Returns (checklist, number of items changed). Raises
    ValidationError when the program does not use the checklist, NotWritable when the
    pair has ended or `user` left it.
    """
    if not match.program.first_session_checklist:
        raise ValidationError(_("This program does not use the first-session checklist."))
    now = now or timezone.now()
    ticked = {key for key in ticked if key in CHECKLIST_KEYS}
    seen = {key for key in seen if key in CHECKLIST_KEYS}
    with transaction.atomic():
        _writer(match, user)
        try:
            with transaction.atomic():
                Checklist.objects.get_or_create(organization=match.organization, match=match)
        except IntegrityError:
            pass  # created at the same instant by the partner
        checklist = Checklist.objects.select_for_update().get(
            organization=match.organization, match=match
        )
        done = dict(checklist.done) if isinstance(checklist.done, dict) else {}
        changed = 0
        for key in CHECKLIST_KEYS:
            wants = key in ticked
            if wants == (key in seen):
                continue
            if wants and key not in done:
                done[key] = {"by": user.pk, "at": now.isoformat()}
                changed += 1
            elif not wants and key in done:
                del done[key]
                changed += 1
        if changed:
            checklist.done = done
            checklist.save(update_fields=["done", "updated_at"])
    return checklist, changed
