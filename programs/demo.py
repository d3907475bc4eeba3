"""Demo programs: one running program per demo organisation, modelled on its seed handout.

`programs_demo_load` goes through the same services a coordinator's clicks do: create
the program, adapt the standard application form, add events and resources, open it,
let the participants apply, decide, run the real matcher, and publish. The answers are
pseudo-random but seeded per organisation, so every run of the demo builds the same
programs, pairs and circles.

No email leaves while it runs: decisions and publication would otherwise write to about
a hundred demo addresses. The matching task is not queued either: the demo executes
each run itself, so the program is published before the demo returns (see
`peercoach.demo_util.quiet`).
"""

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.utils import timezone

from peercoach.demo_util import in_language, quiet
from peercoach.tenancy.models import Membership

from .demo_content import PROGRAMS
from .models import Application, Match, MatchingRun, Program, Question
from .services.applications import (
    application_submit,
    application_withdraw,
    applications_decide,
)
from .services.pairing import (
    matching_run_execute,
    matching_run_start,
    pool_for,
)
from .services.proposals import proposal_publish
from .services.questions import (
    program_form_starter,
    question_create,
    question_delete,
    question_move,
    question_update,
)
from .services.setup import (
    event_create,
    program_create,
    program_status_set,
    resource_create,
)

K = Question.Kind


@dataclass
class DemoProgram:
    """What the demo command prints for one program (`_program_line`)."""

    organization: object
    program: Program
    created: bool
    applications: int
    matches: int
    waiting: int


def programs_demo_load(*, organizations):
    """Create each organisation's demo program (see `demo_content.PROGRAMS`); idempotent.
    A loader of settings.DEMO_LOADERS (see peercoach.demo).

    An organisation whose program already exists (same name) is left as it is, so a
    second run creates nothing and sends nothing. Organisations without a demo program
    are skipped. Runs inside the caller's transaction with scopes disabled. Raises
    RuntimeError when the matcher fails, so a broken demo never passes for a good one.
    Returns the line the demo command prints for each organisation that has a program.
    """
    lines = {}
    for organization in organizations:
        spec, program = _demo_program(organization)
        if spec is None:
            continue
        created = program is None
        if created:
            with quiet(), in_language(organization):
                program = _program_build(organization, spec)
        lines[organization.pk] = [_program_line(_summary(organization, program, created))]
    return lines


def demo_programs(organizations):
    """The demo program of each of `organizations` that has one, in their order: what the
    demo loaders of the apps above work on."""
    programs = (_demo_program(organization)[1] for organization in organizations)
    return [program for program in programs if program is not None]


def _demo_program(organization):
    """(spec, program) of the organisation's demo program: (None, None) when it has no
    demo program, (spec, None) when the program is not loaded yet. One query."""
    spec = PROGRAMS.get(organization.slug)
    if spec is None:
        return None, None
    name = spec["program"]["name"]
    return spec, Program.objects.filter(organization=organization, name=name).first()


def _program_line(demo):
    program = demo.program
    shape = {
        program.Format.ONE_WAY: "one-way pairs",
        program.Format.RECIPROCAL: "reciprocal pairs",
        program.Format.CIRCLE: f"circles of about {program.circle_size}",
    }[program.format]
    made = "circles" if program.format == program.Format.CIRCLE else "pairs"
    line = (
        f"  program:      {program.name} ({shape}): {demo.applications} applications, "
        f"{demo.matches} {made}"
    )
    if demo.waiting:
        line += f", {demo.waiting} waiting for a partner"
    return line


# --- Building one program ---------------------------------------------------------------


def _program_build(organization, spec):
    coordinator = _coordinator(organization)
    people = _participants(organization)
    today = timezone.localdate(timezone=organization.tzinfo)
    start_offset, end_offset = spec["term_days"]
    term_start = today + timedelta(days=start_offset)
    program = program_create(
        organization=organization,
        term_start=term_start,
        term_end=today + timedelta(days=end_offset),
        **spec["program"],
    )
    questions = _form_adapt(program, spec["form"])
    for event in spec["events"]:
        local = datetime.combine(term_start + timedelta(days=event["day"]), time(*event["at"]))
        event_create(
            program=program,
            kind=event["kind"],
            title=event["title"],
            starts_at=timezone.make_aware(local, organization.tzinfo),
            duration_minutes=event["minutes"],
            location=event["location"],
            description=event["description"],
        )
    for kind, title, body in spec["resources"]:
        resource_create(program=program, kind=kind, title=title, body=body)
    program_status_set(program=program, status=Program.Status.OPEN)

    rng = random.Random(f"peercoach-demo:{organization.slug}")
    applications = {}
    for number, person in enumerate(people, start=1):
        raw = _answers(rng, questions, spec, number)
        applications[number] = application_submit(program=program, user=person, raw_answers=raw)
    _decide(program, spec["statuses"], applications, coordinator)

    run = matching_run_start(program=program, started_by=coordinator)
    run.refresh_from_db()
    if run.status == MatchingRun.Status.QUEUED:  # always, as `quiet` queued no task
        matching_run_execute(run=run)
        run.refresh_from_db()
    if run.status != MatchingRun.Status.DONE:
        raise RuntimeError(f"Demo matching for {program.name} failed: {run.error}")
    proposal_publish(program=program, published_by=coordinator)
    program.refresh_from_db()
    return program


def _coordinator(organization):
    memberships = Membership.objects.filter(
        organization=organization, role=Membership.Role.COORDINATOR
    ).select_related("user")
    preferred = f"coordinator@{organization.slug}.example.org"
    users = sorted((m.user for m in memberships), key=lambda u: (u.email != preferred, u.email))
    return users[0] if users else None


def _participants(organization):
    """participant01..20 in order, then anyone else (alex.rivera in atc) by email."""
    users = [
        m.user
        for m in Membership.objects.filter(
            organization=organization, role=Membership.Role.PARTICIPANT
        ).select_related("user")
    ]
    return sorted(users, key=lambda u: (not u.email.startswith("participant"), u.email))


def _form_adapt(program, form):
    """The standard form, reworded and trimmed for this program; returns its questions."""
    program_form_starter(program=program)
    by_kind = {}
    for question in Question.objects.filter(
        organization=program.organization, program=program
    ).order_by("position", "id"):
        by_kind.setdefault(question.kind, []).append(question)

    def only(kind):
        return by_kind[kind][0]

    group = form["group"]
    question_update(
        question=only(K.GROUP),
        label=group["label"],
        help_text=group["help_text"],
        options=group["options"],
        communities=group.get("communities", {}),
    )
    question_update(
        question=only(K.ROLE_LEVEL),
        options=form["role_level"],
        help_text=form.get("role_level_help", ""),
    )
    question_update(question=only(K.PRIORITIES), options=form["priorities"])
    question_update(question=only(K.STRENGTHS), options=form["priorities"])
    if "goals_label" in form:
        question_update(question=only(K.GOALS), label=form["goals_label"])
    if "preferred_role" in form:
        question_update(question=only(K.PREFERRED_ROLE), help_text=form["preferred_role"])
    else:  # reciprocal pairs and circles: everyone coaches and is coached in turn
        question_delete(question=only(K.PREFERRED_ROLE))
    if "modality" in form:
        question_update(question=only(K.MODALITY), options=form["modality"])
    else:
        question_delete(question=only(K.MODALITY))
    if not form.get("time_of_day"):
        question_delete(question=only(K.TIME_OF_DAY))
    for trait in form.get("extra_traits", []):
        question = question_create(program=program, kind=K.TRAIT, **trait)
        # New questions go last; keep the traits together on the form.
        after_traits = Question.objects.filter(
            organization=program.organization,
            program=program,
            position__gt=by_kind[K.TRAIT][-1].position,
        ).exclude(pk=question.pk)
        for _ in range(after_traits.count()):
            question_move(question=question, direction="up")
        by_kind[K.TRAIT].append(question)
    return list(
        Question.objects.filter(organization=program.organization, program=program).order_by(
            "position", "id"
        )
    )


def _answers(rng, questions, spec, number):
    """Participant `number`'s raw answers: groups in turn, the rest drawn from `rng`."""
    raw = {}
    for q in questions:
        if q.kind == K.GROUP:
            # In turn, not at random: every group gets its share, so the hard rules
            # (different group, other community) can place everyone.
            value = q.options[(number - 1) % len(q.options)]
        elif q.kind == K.ROLE_LEVEL:
            value = rng.choices(q.options, weights=range(1, len(q.options) + 1))[0]
        elif q.kind == K.TRAIT:
            value = rng.randint(q.scale_low, q.scale_high) if q.is_scale else rng.choice(q.options)
        elif q.kind in {K.PRIORITIES, K.STRENGTHS}:
            value = rng.sample(q.options, rng.randint(2, 3))
        elif q.kind in {K.MODALITY, K.TIME_OF_DAY}:
            value = rng.sample(q.options, rng.randint(1, min(3, len(q.options))))
        elif q.kind == K.GOALS:
            value = rng.choice(spec["goals"])
        elif q.kind == K.PREFERRED_ROLE:
            roles = spec.get("roles", "")
            code = roles[number - 1] if number <= len(roles) else "b"
            value = {"c": "coach", "p": "coachee", "b": "both"}[code]
        else:
            continue
        raw[q.key] = value
    return raw


def _decide(program, statuses, applications, coordinator):
    """Accept everyone except the participant numbers `statuses` names otherwise."""
    plan = {"accept": [], "waitlist": [], "decline": []}
    withdraw = []
    for number, application in applications.items():
        status = statuses.get(number, "accept")
        if status == "withdraw":
            withdraw.append(application)
        elif status in plan:
            plan[status].append(application.pk)
    for decision, ids in plan.items():
        if ids:
            applications_decide(
                program=program, application_ids=ids, decision=decision, decided_by=coordinator
            )
    for application in withdraw:
        application_withdraw(application=application)


def _summary(organization, program, created):
    applications = Application.objects.filter(organization=organization, program=program)
    matches = Match.objects.filter(
        organization=organization, program=program, status=Match.Status.ACTIVE
    ).count()
    return DemoProgram(
        organization=organization,
        program=program,
        created=created,
        applications=applications.count(),
        matches=matches,
        waiting=len(pool_for(program)),
    )
