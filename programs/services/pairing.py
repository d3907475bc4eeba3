"""Writes for pairing runs: from applications to the matcher, and its proposal stored.

The matcher itself (`programs.matching`) is pure; this module turns applications into
its candidates and its proposal into `Match` rows. Candidates are identified by their
application id. The pool of a run is every accepted application that is not in a
current (proposed or active) match of the program: people in locked or hand-made
proposals, and in published pairs, stay where they are.

The coordinator's edits, publishing and ending live in `proposals`.
"""

import logging
import time
from functools import partial
from itertools import combinations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from peercoach.audit.models import Action
from peercoach.audit.services import audit_record

from .. import matching
from ..models import (
    Application,
    Match,
    MatchingRun,
    MatchMember,
    PairingExclusion,
    Program,
    Question,
)

logger = logging.getLogger(__name__)


class PairingError(ValidationError):
    pass


class ProposalChanged(Exception):
    """The free proposals a run read are not the ones there when it writes."""


# --- From applications to the matcher's input -----------------------------------------


# Which questions feed which part of the score: a part whose questions the form never
# asked is left out of the score (nobody gains or loses points for it).
COMPONENT_QUESTIONS = {
    "traits": {Question.Kind.TRAIT},
    "goals": {Question.Kind.PRIORITIES, Question.Kind.STRENGTHS},
    "roles": {Question.Kind.PREFERRED_ROLE},
    "preferences": {Question.Kind.MODALITY, Question.Kind.TIME_OF_DAY},
    "seniority": {Question.Kind.ROLE_LEVEL},
}


def rules_for(program, questions):
    kinds = {q.kind for q in questions}
    traits = tuple(
        matching.TraitSpec(
            key=q.key,
            label=q.label,
            rule=q.trait_rule or "similar",
            kind="scale" if q.is_scale else "choice",
            low=q.scale_low if q.is_scale else 0,
            high=q.scale_high if q.is_scale else max(len(q.options) - 1, 1),
            options=tuple(q.options),
        )
        for q in questions
        if q.kind == Question.Kind.TRAIT
    )
    return matching.Rules(
        format=program.format,
        different_group=program.different_group,
        cross_community=program.cross_community,
        seniority=program.seniority_rule,
        weights=matching.Weights(
            traits=program.weight_traits,
            goals=program.weight_goals,
            roles=program.weight_roles,
            preferences=program.weight_preferences,
            seniority=program.weight_seniority,
        ),
        traits=traits,
        circle_size=program.circle_size,
        # The whole list, so a hand-edited pair's seniority scores as it did in the run.
        role_levels=next(
            (len(q.options) for q in questions if q.kind == Question.Kind.ROLE_LEVEL), 0
        ),
        asked=frozenset(key for key, needs in COMPONENT_QUESTIONS.items() if kinds & needs),
    )


def candidate_for(application, questions):
    """The matcher's view of one application (its id is the application's)."""
    answers = application.answers
    by_kind = {}
    traits = {}
    for q in questions:
        value = answers.get(q.key)
        if q.kind == Question.Kind.TRAIT and value is not None:
            # An answer that no longer fits the question (its kind was changed after people
            # applied) counts as unanswered rather than breaking the run.
            if q.is_scale and isinstance(value, int) and not isinstance(value, bool):
                traits[q.key] = value
            elif not q.is_scale and value in q.options:
                traits[q.key] = q.options.index(value)
        elif q.kind in Question.SINGLETONS:
            by_kind[q.kind] = (q, value)

    def chosen(kind):
        value = by_kind.get(kind, (None, None))[1]
        return frozenset(value) if isinstance(value, list) else frozenset()

    level_question, level = by_kind.get(Question.Kind.ROLE_LEVEL, (None, None))
    rank = (
        level_question.options.index(level)
        if level_question is not None and level in level_question.options
        else None
    )
    return matching.Candidate(
        id=application.pk,
        name=application.user.display_name,
        group=application.group,
        community=application.community,
        role_level=rank,
        role_level_label=application.role_level,
        preferred_role=application.preferred_role,
        traits=traits,
        priorities=chosen(Question.Kind.PRIORITIES),
        strengths=chosen(Question.Kind.STRENGTHS),
        modalities=chosen(Question.Kind.MODALITY),
        times=chosen(Question.Kind.TIME_OF_DAY),
    )


def _questions(program):
    return list(
        Question.objects.filter(organization=program.organization, program=program).order_by(
            "position", "id"
        )
    )


def forbidden_user_pairs(*, organization, user_ids, program=None):
    """Pairs of users (frozensets) who may never be matched: previous partners, exclusions.

    A previous partner is anyone who shared a published pair or circle with the person,
    whether it is still running or ended: in any program and term of the organisation, or,
    as `program.previous_partners` says, only in that program, or not at all. People marked
    "never together" are always kept apart.
    """
    user_ids = set(user_ids)
    rule = program.previous_partners if program is not None else Program.PreviousPartners.ANY
    rows = MatchMember.objects.filter(
        organization=organization,
        user__in=user_ids,
        match__status__in=[Match.Status.ACTIVE, Match.Status.ENDED],
    )
    if rule == Program.PreviousPartners.PROGRAM:
        rows = rows.filter(program=program)
    elif rule == Program.PreviousPartners.ALLOW:
        rows = rows.none()
    rows = rows.values_list("match_id", "user_id")
    by_match = {}
    for match_id, user_id in rows:
        by_match.setdefault(match_id, []).append(user_id)
    pairs = {frozenset(pair) for members in by_match.values() for pair in combinations(members, 2)}
    pairs |= {
        frozenset((low, high))
        for low, high in PairingExclusion.objects.filter(organization=organization)
        .filter(Q(user_low__in=user_ids) | Q(user_high__in=user_ids))
        .values_list("user_low_id", "user_high_id")
    }
    return pairs


def _forbidden_for(applications, program=None):
    """The matcher's forbidden pairs, as application-id pairs, for these applications."""
    if not applications:
        return frozenset()
    by_user = {a.user_id: a.pk for a in applications}
    user_pairs = forbidden_user_pairs(
        organization=applications[0].organization_id, user_ids=by_user, program=program
    )
    return frozenset(
        frozenset(by_user[u] for u in pair)
        for pair in user_pairs
        if all(u in by_user for u in pair)
    )


def held_apart_pairs(program):
    """Application-id pairs split by hand in the current proposal (see Program.held_apart)."""
    return frozenset(
        frozenset(pair) for pair in program.held_apart if len(pair) == 2 and pair[0] != pair[1]
    )


def pool_for(program):
    """Accepted applications of `program` not in any current match of it, without those
    who opted out and asked for no new partner (`Application.in_pairing_pool`)."""
    current = MatchMember.objects.filter(
        organization=program.organization, program=program, is_current=True
    ).values("user_id")
    return list(
        Application.objects.filter(
            Application.in_pairing_pool(),
            organization=program.organization,
            program=program,
        )
        .exclude(user__in=current)
        .select_related("user")
        .order_by("id")
    )


def _free_proposals(program):
    """Proposed matches a new run may replace: the unlocked ones. Every hand edit locks
    what it changed (pairs made by hand start locked), so a run never undoes one; a
    coordinator who unlocks a proposal hands it back to the next run."""
    return Match.objects.filter(
        organization=program.organization,
        program=program,
        status=Match.Status.PROPOSED,
        locked=False,
    )


# --- Runs -----------------------------------------------------------------------------


def matching_run_start(*, program, started_by):
    """Queue a matching run for `program`; the task runs after commit.

    A broker that refuses the task is logged, not raised (the run is committed): the
    sweep (`programs.tasks.matching_runs_sweep`) queues a run still waiting again.

    Refused while another run of the program is queued or running (unless that one is
    stale), and for draft or closed programs. Opening the matching stage ends changes
    to applications.
    """
    if program.status in {Program.Status.DRAFT, Program.Status.CLOSED}:
        raise PairingError(_("Open the program before matching; closed programs cannot match."))
    from ..tasks import matching_run_execute

    with transaction.atomic():
        program = Program.objects.select_for_update().get(pk=program.pk)
        unfinished = MatchingRun.objects.filter(
            organization=program.organization,
            program=program,
            status__in=[MatchingRun.Status.QUEUED, MatchingRun.Status.RUNNING],
        )
        # A run whose worker died never finishes by itself: say so, and let a new one start.
        unfinished.filter(created_at__lte=timezone.now() - MatchingRun.STALE_AFTER).update(
            status=MatchingRun.Status.FAILED,
            error=_("This run stopped without finishing. Run matching again."),
            finished_at=timezone.now(),
        )
        if unfinished.exists():
            raise PairingError(_("A matching run is already in progress; wait for it to finish."))
        if program.status == Program.Status.OPEN:
            program.status = Program.Status.MATCHING
            program.save(update_fields=["status", "updated_at"])
        run = MatchingRun.objects.create(
            organization=program.organization, program=program, started_by=started_by
        )
        audit_record(
            organization=program.organization,
            action=Action.PAIRING_RUN,
            actor=started_by,
            target=run,
            program=program,
            summary="Started",
        )
        transaction.on_commit(
            partial(matching_run_execute.delay, run_id=run.pk, organization_id=run.organization_id),
            robust=True,
        )
    return run


def _progress_reporter(run):
    last = {"at": 0.0, "value": -1}

    def report(percent):
        percent = max(0, min(99, int(percent)))
        now = time.monotonic()
        if percent != last["value"] and now - last["at"] > 0.5:
            MatchingRun.objects.filter(organization=run.organization, pk=run.pk).update(
                progress=percent
            )
            last.update(at=now, value=percent)

    return report


def matching_run_execute(*, run):
    """Compute the proposal of a queued run and store it in place of the free proposals.

    Idempotent: only a queued run is executed (a redelivered task finds it running or
    done and stops). The proposal is written in one transaction and replaces exactly the
    free proposals the run read; if the proposal changed meanwhile (people matched by
    hand, a proposal locked or unlocked), nothing is written and the run fails with a
    message asking to run again. An error in the matcher marks the run failed and is
    logged, not raised: the task has no retry, and in embedded mode it would otherwise
    turn the coordinator's click into a server error.
    """
    claimed = MatchingRun.objects.filter(
        organization=run.organization, pk=run.pk, status=MatchingRun.Status.QUEUED
    ).update(status=MatchingRun.Status.RUNNING, progress=1)
    if not claimed:
        return
    run.refresh_from_db()
    program = run.program
    started = time.monotonic()
    try:
        questions = _questions(program)
        rules = rules_for(program, questions)
        free_ids = set(_free_proposals(program).values_list("pk", flat=True))
        free_users = set(
            MatchMember.objects.filter(
                organization=program.organization, match__in=free_ids
            ).values_list("user_id", flat=True)
        )
        pool = pool_for(program) + _applications_of(program, free_users)
        candidates = [candidate_for(a, questions) for a in pool]
        # People the coordinator took apart by hand stay apart in this run.
        rules = _with_forbidden(rules, _forbidden_for(pool, program) | held_apart_pairs(program))
        proposal = matching.propose(candidates, rules, progress=_progress_reporter(run))
        by_id = {a.pk: a for a in pool}
        with transaction.atomic():
            Program.objects.select_for_update().filter(pk=program.pk).first()
            if set(_free_proposals(program).values_list("pk", flat=True)) != free_ids:
                raise ProposalChanged
            _free_proposals(program).delete()
            for group in proposal.groups:
                _match_create(
                    program=program,
                    applications=[by_id[i] for i in group.members],
                    score=group.score,
                    components=group.components,
                    run=run,
                    warnings=group.warnings,
                )
            run.status = MatchingRun.Status.DONE
            run.progress = 100
            run.pool_size = len(pool)
            run.total_score = proposal.total_score
            run.method = proposal.method[:200]
            run.unmatched = [{"application": u.id, "reason": u.reason} for u in proposal.unmatched]
            run.finished_at = timezone.now()
            run.duration_ms = int((time.monotonic() - started) * 1000)
            run.save()
    except (IntegrityError, ProposalChanged):
        _run_fail(run, _("The proposal changed while matching ran. Run matching again."))
    except Exception as exc:
        logger.exception("Matching run %s of program %s failed", run.pk, program.pk)
        _run_fail(run, _("Matching failed: %(error)s") % {"error": exc.__class__.__name__})


def _applications_of(program, user_ids):
    if not user_ids:
        return []
    return list(
        Application.objects.filter(
            organization=program.organization,
            program=program,
            user__in=user_ids,
            status=Application.Status.ACCEPTED,
        ).select_related("user")
    )


def _with_forbidden(rules, forbidden):
    from dataclasses import replace

    return replace(rules, forbidden=forbidden)


def _run_fail(run, message):
    MatchingRun.objects.filter(organization=run.organization, pk=run.pk).update(
        status=MatchingRun.Status.FAILED, error=message, finished_at=timezone.now()
    )


def _roles_for(program, count):
    if program.format == Program.Format.ONE_WAY:
        return [MatchMember.Role.COACH] + [MatchMember.Role.COACHEE] * (count - 1)
    if program.format == Program.Format.RECIPROCAL and count == 2:
        return [MatchMember.Role.PARTNER] * 2
    return [MatchMember.Role.MEMBER] * count


def _components_json(components):
    return [
        {
            "key": c.key,
            "label": c.label,
            "points": c.points,
            "max_points": c.max_points,
            "text": c.text,
        }
        for c in components
    ]


def _match_create(*, program, applications, score, components, run=None, manual=False, warnings=()):
    match = Match.objects.create(
        organization=program.organization,
        program=program,
        score=score,
        explanation=_components_json(components),
        warnings=list(warnings),
        run=run,
        manual=manual,
        locked=manual,
    )
    roles = _roles_for(program, len(applications))
    MatchMember.objects.bulk_create(
        MatchMember(
            organization=program.organization,
            match=match,
            program=program,
            user_id=application.user_id,
            application=application,
            role=roles[position],
            position=position,
        )
        for position, application in enumerate(applications)
    )
    return match
