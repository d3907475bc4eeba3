"""Writes for the coordinator's side of pairing: edits, publishing, ending.

A proposal is edited by hand before it is published: members are swapped, added or
taken out, pairs made by hand, proposals locked so a new run keeps them. Every edit
locks what it changed, and two people split by hand are held apart, so a new run never
undoes a hand edit. Hard rules hold for these edits too: an edit that would break one
is refused with the reason, and nothing changes. Publishing tells every member who
their partners are; ending a published pair frees its members for re-pairing, and they
count as previous partners from then on.
"""

from contextlib import contextmanager

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peercoach.audit.models import Action
from peercoach.audit.services import audit_record
from peercoach.hooks import hooks_run
from peercoach.notifications.services import message_queue
from peercoach.tenancy.languages import override_for

from .. import matching
from ..models import Match, MatchMember, PairingExclusion, Program
from .pairing import (
    PairingError,
    _components_json,
    _forbidden_for,
    _match_create,
    _questions,
    _roles_for,
    _with_forbidden,
    candidate_for,
    pool_for,
    rules_for,
)

# --- The coordinator's edits ----------------------------------------------------------


@contextmanager
def _editing(program):
    """One change to the proposal: serialised per program, refused for draft and closed
    programs, and a clash caught by the constraints reported as a PairingError (nothing
    is written)."""
    try:
        with transaction.atomic():
            current = Program.objects.select_for_update().get(
                organization=program.organization, pk=program.pk
            )
            if current.status in {Program.Status.DRAFT, Program.Status.CLOSED}:
                raise PairingError(
                    _("Draft and closed programs cannot change their pairs or circles.")
                )
            yield
    except IntegrityError:
        raise PairingError(_("The proposal changed meanwhile; reload the page.")) from None


def _group_check(program, applications):
    """(score, components, warnings) for a group of applications, or PairingError with the
    hard rules it would break."""
    questions = _questions(program)
    rules = _with_forbidden(rules_for(program, questions), _forbidden_for(applications, program))
    members = [candidate_for(a, questions) for a in applications]
    problems = matching.violations(members, rules)
    if problems:
        raise PairingError(" ".join(problems))
    score, components = matching.evaluate(members, rules)
    return score, components, matching.warnings(members, rules)


def _rescore(match, applications):
    """Store the members' new order, roles, score and explanation of a proposed match, and
    lock it: a hand edit is kept by every later run until the coordinator unlocks it."""
    score, components, warnings = _group_check(match.program, applications)
    match.score = score
    match.explanation = _components_json(components)
    match.warnings = warnings
    match.locked = True
    match.save(update_fields=["score", "explanation", "warnings", "locked"])
    MatchMember.objects.filter(organization=match.organization, match=match).delete()
    roles = _roles_for(match.program, len(applications))
    MatchMember.objects.bulk_create(
        MatchMember(
            organization=match.organization,
            match=match,
            program=match.program,
            user_id=application.user_id,
            application=application,
            role=roles[position],
            position=position,
        )
        for position, application in enumerate(applications)
    )


def _proposed(program, match_id):
    match = (
        Match.objects.select_for_update()
        .filter(
            organization=program.organization,
            program=program,
            pk=match_id,
            status=Match.Status.PROPOSED,
        )
        .select_related("program")
        .first()
    )
    if match is None:
        raise PairingError(_("That pair or circle is no longer in the proposal; reload the page."))
    return match


def _member_applications(match):
    members = list(
        MatchMember.objects.filter(organization=match.organization, match=match)
        .select_related("application__user")
        .order_by("position", "id")
    )
    return [m.application for m in members]


def _pool_application(program, application_id):
    application = next((a for a in pool_for(program) if a.pk == application_id), None)
    if application is None:
        raise PairingError(_("That person is no longer waiting for a partner; reload the page."))
    return application


def proposal_swap(*, program, first, second):
    """Exchange two people of the proposal, or pair two unmatched people by hand.

    `first` and `second` are ("member", match_id, application_id) or ("pool",
    application_id) slots. Swapping two members of different proposed matches exchanges
    them; a member with an unmatched person puts the unmatched person in their place;
    two unmatched people become a new pair, made by hand. Every match changed is locked.
    Raises PairingError (nothing changes) when a hard rule
    would break. Returns the matches changed.
    """
    with _editing(program):
        if first[0] == "pool" and second[0] == "pool":
            if first[1] == second[1]:
                raise PairingError(_("Choose two different people."))
            applications = [
                _pool_application(program, first[1]),
                _pool_application(program, second[1]),
            ]
            score, components, warnings = _group_check(program, applications)
            _hold_apart(program, [], release=[a.pk for a in applications])
            return [
                _match_create(
                    program=program,
                    applications=applications,
                    score=score,
                    components=components,
                    manual=True,
                    warnings=warnings,
                )
            ]
        if first[0] == "pool":
            first, second = second, first
        # Locked proposals can be edited too: a lock keeps a proposal from runs, not from
        # the coordinator (and every edit locks, so a second edit must not need an unlock).
        match_a = _proposed(program, first[1])
        members_a = _member_applications(match_a)
        index_a = _index_of(members_a, first[2])
        if second[0] == "pool":
            incoming = _pool_application(program, second[1])
            members_a[index_a] = incoming
            _rescore(match_a, members_a)
            return [match_a]
        if second[1] == match_a.pk:
            # Within one pair: swap who coaches (one-way) or reorder; same people.
            index_b = _index_of(members_a, second[2])
            members_a[index_a], members_a[index_b] = members_a[index_b], members_a[index_a]
            _rescore(match_a, members_a)
            return [match_a]
        match_b = _proposed(program, second[1])
        members_b = _member_applications(match_b)
        index_b = _index_of(members_b, second[2])
        members_a[index_a], members_b[index_b] = members_b[index_b], members_a[index_a]
        # Members change places: free both rows first so the unique constraints hold.
        MatchMember.objects.filter(
            organization=program.organization, match__in=[match_a, match_b]
        ).delete()
        _rescore(match_a, members_a)
        _rescore(match_b, members_b)
        return [match_a, match_b]


def _index_of(applications, application_id):
    for index, application in enumerate(applications):
        if application.pk == application_id:
            return index
    raise PairingError(_("That person is no longer in that pair or circle; reload the page."))


def proposal_add(*, program, match_id, application_id):
    """Add an unmatched person to a proposed pair or circle (a pair becomes a trio).

    Circles may grow to 8. Raises PairingError when a hard rule would break.
    """
    with _editing(program):
        match = _proposed(program, match_id)
        members = _member_applications(match)
        if len(members) >= 8:
            raise PairingError(_("A group has at most 8 members."))
        members.append(_pool_application(program, application_id))
        _rescore(match, members)
        return match


def proposal_remove(*, program, match_id, application_id):
    """Take a person out of a proposed match, which stays locked without them; a match
    left with one person dissolves, and the two are held apart in later runs."""
    with _editing(program):
        match = _proposed(program, match_id)
        members = _member_applications(match)
        removed = members.pop(_index_of(members, application_id))
        if len(members) < 2:
            match.delete()
            _hold_apart(program, [(removed.pk, m.pk) for m in members])
            return None
        _rescore(match, members)
        return match


def _hold_apart(program, pairs, release=()):
    """Add application-id pairs to the program's held-apart list; drop those of `release`
    (two people the coordinator now pairs by hand)."""
    release = set(release)
    current = (
        Program.objects.filter(organization=program.organization, pk=program.pk)
        .values_list("held_apart", flat=True)
        .get()
    )
    kept = [pair for pair in current if not (release and set(pair) <= release) and len(pair) == 2]
    known = {frozenset(p) for p in kept}
    kept += [sorted(p) for p in pairs if frozenset(p) not in known]
    program.held_apart = kept
    if kept != current:
        Program.objects.filter(organization=program.organization, pk=program.pk).update(
            held_apart=kept
        )


def match_lock(*, program, match_id, locked):
    """Lock (a new run keeps it) or unlock a proposed match. Idempotent."""
    with _editing(program):
        match = _proposed(program, match_id)
        match.locked = locked
        match.save(update_fields=["locked"])
        return match


def exclusion_create(*, organization, first_user_id, second_user_id, created_by):
    """Never match these two people in this organisation. Idempotent."""
    if first_user_id == second_user_id:
        raise PairingError(_("Choose two different people."))
    low, high = sorted((first_user_id, second_user_id))
    exclusion, _created = PairingExclusion.objects.get_or_create(
        organization=organization,
        user_low_id=low,
        user_high_id=high,
        defaults={"created_by": created_by},
    )
    return exclusion


# --- Publishing and ending ------------------------------------------------------------


def proposal_publish(*, program, published_by):
    """Publish every proposed match of `program`; email every member their partners.

    Idempotent: only proposed matches change, so a repeated publish sends nothing.
    The program moves to "running". The "match_published" hooks (settings.HOOKS) run in
    the same transaction; what they raise undoes the publish. Raises PairingError when
    nothing is proposed. Returns the number of matches published.
    """
    with _editing(program):
        matches = list(
            Match.objects.select_for_update()
            .filter(
                organization=program.organization, program=program, status=Match.Status.PROPOSED
            )
            .order_by("id")
        )
        if not matches:
            raise PairingError(_("There is nothing to publish: run matching first."))
        now = timezone.now()
        Match.objects.filter(
            organization=program.organization, pk__in=[m.pk for m in matches]
        ).update(status=Match.Status.ACTIVE, published_at=now, locked=False)
        Program.objects.filter(organization=program.organization, pk=program.pk).exclude(
            status=Program.Status.CLOSED
        ).update(status=Program.Status.RUNNING, updated_at=now)
        # The proposal is gone: what was split by hand in it no longer binds later runs.
        Program.objects.filter(organization=program.organization, pk=program.pk).update(
            held_apart=[]
        )
        program.held_apart = []
        for match in matches:
            match.status, match.published_at = Match.Status.ACTIVE, now
        # The apps above react (settings.HOOKS): each pair or circle gets its agreement.
        hooks_run("match_published", program=program, matches=matches)
        members = list(
            MatchMember.objects.filter(organization=program.organization, match__in=matches)
            .select_related("user")
            .order_by("match_id", "position")
        )
        _notify_published(program, members)
        audit_record(
            organization=program.organization,
            action=Action.PAIRING_PUBLISHED,
            actor=published_by,
            program=program,
            summary=f"{len(matches)} pairs or circles published, {len(members)} people emailed",
        )
    return len(matches)


def _notify_published(program, members):
    by_match = {}
    for member in members:
        by_match.setdefault(member.match_id, []).append(member)
    program_url = settings.SITE_URL + program.get_absolute_url()
    show_roles = program.format == Program.Format.ONE_WAY
    for group in by_match.values():
        for member in group:
            # The roles are written into the message now: in its recipient's language.
            with override_for(member.user, program.organization):
                message_queue(
                    template="match_published",
                    to=[member.user],
                    organization=program.organization,
                    key=f"published:{member.match_id}",
                    context={
                        "first_name": member.user.first_name,
                        "program_name": program.name,
                        "program_url": program_url,
                        "is_circle": len(group) > 2 and program.format == Program.Format.CIRCLE,
                        "my_role": str(member.get_role_display()) if show_roles else "",
                        "partners": [
                            {
                                "name": other.user.display_name,
                                "email": other.user.email,
                                "role": str(other.get_role_display()) if show_roles else "",
                            }
                            for other in group
                            if other.pk != member.pk
                        ],
                    },
                )


def match_end(*, match, ended_by, reason):
    """End an active match: the members become free to be paired again.

    Nothing is deleted: the match stays as ended, and its members count as previous
    partners for every later run. The "match_ended" hooks (settings.HOOKS) run in the
    same transaction; what they raise undoes the ending. Idempotent for an already ended
    match (the hooks do not run again).
    """
    reason = (reason or "").strip()
    if not reason:
        raise PairingError(_("Say why the pair or circle ends."))
    with transaction.atomic():
        match = Match.objects.select_for_update().get(organization=match.organization, pk=match.pk)
        if match.status == Match.Status.ENDED:
            return match
        if match.status != Match.Status.ACTIVE:
            raise PairingError(_("Only a published pair or circle can be ended."))
        match.status = Match.Status.ENDED
        match.ended_at = timezone.now()
        match.ended_by = ended_by
        match.end_reason = reason[:2000]
        match.save(update_fields=["status", "ended_at", "ended_by", "end_reason"])
        MatchMember.objects.filter(organization=match.organization, match=match).update(
            is_current=False
        )
        # The apps above react (settings.HOOKS): an amendment being prepared is withdrawn,
        # the sessions still to come are cancelled.
        hooks_run("match_ended", match=match, ended_by=ended_by)
    return match
