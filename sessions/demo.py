"""Demo activity for each demo program: sessions held and scheduled, feedback, plans,
progress reports, one opt-out and one concern, so that every page has something to show.

The pairs are published by the programs demo at load time; here they are moved back to
a week after the term started, as if the term had been running for some weeks. Then the
same services a participant's clicks use write the activity, with the clock of each
action set in the past where it matters. Most pairs meet on their rhythm up to this
week; every third pair has not met yet, and one in six met once, rated the session low
and stopped: the program team's "pairs at risk" show a mix, not every pair.

No email leaves and no task is queued (`peercoach.demo_util.quiet`). Idempotent: a
program that already has sessions is left as it is.
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.utils import timezone

from peercoach.demo_util import in_language, quiet
from peercoach.tenancy.models import Membership
from peercoach.tenancy.zones import zone_of
from programs.demo import demo_programs
from programs.models import Match, MatchMember, Program

from .models import Goal, OptOut, Session
from .models.sessions import Modality
from .services import concerns, endings, goals, log, reports, schedule
from .services.reports import GoalAnswer

SHARED_NOTES = (
    "We went through what happened since last time and picked one situation to work on.",
    "Talked about how to prepare for a difficult conversation; tried out two openings.",
    "Reviewed progress on the goals and agreed what to try before the next session.",
)
NEXT_STEPS = (
    "Try the new opening in Tuesday's meeting and note how it went.",
    "Block two hours a week for the most important work and report back.",
    "Ask one colleague for feedback and bring it next time.",
)
PRIVATE_NOTE = "Note to self: I talked less and asked more this time. Keep doing that."
GOALS = (
    ("Speak up earlier in team meetings", ("Prepare one point before each meeting",)),
    ("Delegate one recurring task", ("List what only I can do", "Hand over the weekly report")),
)

# What people write, in their organisation's language (its default; English without one).
TEXTS = {
    "en": {
        "shared_notes": SHARED_NOTES,
        "next_steps": NEXT_STEPS,
        "private_note": PRIVATE_NOTE,
        "goals": GOALS,
        "challenge": "Bringing a new idea to the team",
        "feedback_low": "We did not find a common thread.",
        "feedback": "Good questions; I left with a clear next step.",
        "plan": "Become more confident leading discussions with senior colleagues.",
        "goal_description": "Colleagues notice the change without being told.",
        "progress": "Started; first attempt went well.",
        "change": "We should agree the topic before each session.",
        "opt_out": "My workload changed and I cannot keep our sessions going. Thank you.",
        "concern": "I was asked for advice on a legal matter and did not know how to say no.",
    },
    "es": {
        "shared_notes": (
            "Repasamos la clase que visité y elegimos un momento para trabajarlo a fondo.",
            "Hablamos de cómo abrir la clase para que participen también los del fondo; "
            "probamos dos preguntas de inicio.",
            "Revisamos cómo van los objetivos y acordamos qué probar antes de la próxima visita.",
        ),
        "next_steps": (
            "Usar la pregunta de inicio en la clase del martes y anotar quién responde.",
            "Reservar dos horas por semana para corregir y contar cómo fue.",
            "Pedir a dos estudiantes su opinión sobre la rúbrica y traerla a la sesión.",
        ),
        "private_note": "Nota para mí: esta vez hablé menos y pregunté más. Seguir así.",
        "goals": (
            (
                "Que participe más la mitad del aula que no suele hablar",
                ("Preparar tres preguntas abiertas por clase",),
            ),
            (
                "Devolver los trabajos en una semana",
                ("Corregir con la rúbrica a la vista", "Dar un comentario útil por trabajo"),
            ),
        ),
        "challenge": "Llevar una idea nueva a mi departamento",
        "feedback_low": "No logramos encontrar un tema en común.",
        "feedback": "Buenas preguntas; salí con un paso claro para la próxima clase.",
        "plan": "Ganar confianza para conducir discusiones con grupos grandes.",
        "goal_description": "Los estudiantes lo notan sin que yo se lo diga.",
        "progress": "Empecé; el primer intento salió bien.",
        "change": "Conviene acordar el tema antes de cada sesión.",
        "opt_out": "Me asignaron más cursos y no puedo sostener nuestras sesiones. Gracias.",
        "concern": "Me pidieron un consejo legal y no supe cómo decir que no.",
    },
}


def texts_for(organization):
    """The demo's texts in `organization`'s language (English when it has none)."""
    return TEXTS.get(organization.default_language, TEXTS["en"])


@dataclass
class DemoActivity:
    program: Program
    sessions: int = 0
    showcased: list = field(default_factory=list)  # (what, email)


def sessions_demo_load(*, organizations):
    """A loader of settings.DEMO_LOADERS (see peercoach.demo): `sessions_demo_build` for
    the organisations' demo programs; returns the lines the demo command prints."""
    lines = {}
    for demo in sessions_demo_build(programs=demo_programs(organizations)):
        shown = [f"  sessions:     {demo.sessions} logged"]
        shown += [f"    {what}: {who}" for what, who in demo.showcased]
        lines[demo.program.organization_id] = shown
    return lines


def sessions_demo_build(*, programs):
    """Write each program's demo activity; see the module docstring. Runs in the
    caller's transaction, with scopes disabled."""
    loaded = []
    for program in programs:
        if Session.objects.filter(organization=program.organization, program=program).exists():
            loaded.append(DemoActivity(program=program))
            continue
        with quiet(), in_language(program.organization):
            loaded.append(_activity(program))
    return loaded


def _matches(program):
    """The program's active pairs, participant01's (or the lowest-numbered) first."""
    matches = list(
        Match.objects.filter(
            organization=program.organization, program=program, status=Match.Status.ACTIVE
        ).prefetch_related("members__user")
    )
    return sorted(matches, key=lambda m: min(_rank(member) for member in m.members.all()))


def _rank(member):
    """participant01 first: the demo's logins are numbered."""
    email = member.user.email
    return (not email.startswith("participant"), email)


def _activity(program):
    organization = program.organization
    now = timezone.now()
    zone = organization.tzinfo
    published = datetime.combine(
        program.term_start + timedelta(days=7), time(9, 0), tzinfo=zone
    ).astimezone(timezone.UTC)
    Match.objects.filter(
        organization=organization, program=program, status=Match.Status.ACTIVE
    ).update(published_at=published)
    matches = _matches(program)
    demo = DemoActivity(program=program)
    texts = texts_for(organization)
    every = program.cadence_days or 21
    for index, match in enumerate(matches):
        match.published_at = published
        members = sorted((m for m in match.members.all() if m.is_current), key=_rank)
        # A believable mix for the program team's "pairs at risk": most pairs meet on
        # their rhythm; every third has not met yet; one in six met once, rated it
        # low and stopped.
        if index % 3 == 2:
            continue
        lapsed = index % 6 == 4
        n = 0
        while True:
            day = published + timedelta(days=3 + n * every)
            if day >= now - timedelta(days=1) or (lapsed and n == 1):
                break
            session = _log(program, match, members, day, n, private=index == 0, texts=texts)
            demo.sessions += 1
            n += 1
        if n:
            _feedback(program, session, members, low=lapsed, texts=texts)
        if index < 4:
            _plan(program, members[0].user, today=now.date(), texts=texts)
        if index < 3:
            _schedule_ahead(match, members, zone, now)
        if not lapsed:
            # participant01 leaves theirs for the home page's "report due".
            for member in members[1:] if index == 0 else members[:1]:
                _report(match, member.user, texts=texts)
    if matches:
        demo.showcased.append(("sessions, a plan and a report", _emails(matches[0])))
    _endings(program, matches, demo, texts=texts)
    return demo


def _emails(match):
    return " and ".join(m.user.email for m in match.members.all())


def _log(program, match, members, day, n, *, private, texts):
    minutes = program.session_minutes
    halves = slots = None
    if program.format == Program.Format.RECIPROCAL:
        # The second half of the first session ran short: it shows the under-minimum flag.
        each = minutes // 2
        halves = (each, each - 10 if n == 0 and program.min_minutes_each else each)
    elif program.format == Program.Format.CIRCLE:
        each = minutes // len(members)
        slots = [
            log.Slot(user_id=m.user_id, minutes=each, challenge=texts["challenge"]) for m in members
        ]
    topics = program.topic_list
    return log.session_log(
        match=match,
        user=members[0].user,
        starts_at=day,
        duration_minutes=minutes,
        modality=Modality.TEAMS if n % 2 == 0 else Modality.IN_PERSON,
        topics=topics[n % len(topics) : n % len(topics) + 2] if topics else (),
        next_steps=texts["next_steps"][n % len(texts["next_steps"])],
        shared_notes=texts["shared_notes"][n % len(texts["shared_notes"])],
        private_note=texts["private_note"] if private else "",
        halves=halves,
        slots=slots,
        now=day + timedelta(hours=2),
    )


def _feedback(program, session, members, *, texts, low=False):
    session.program = program
    for part in session.parts.all():
        if part.coachee is None or part.minutes == 0:
            continue
        log.feedback_give(
            session=session,
            author=part.coachee,
            rating=2 if low else 4 if part.coach else 5,
            comment=texts["feedback_low"] if low else texts["feedback"],
        )
        if program.format == Program.Format.CIRCLE:
            break


def _plan(program, user, *, today, texts):
    plan = goals.plan_ensure(
        organization=program.organization,
        program=program,
        user=user,
        prefill=texts["plan"],
    )
    for position, (title, steps) in enumerate(texts["goals"]):
        goal = goals.goal_create(
            plan=plan,
            title=title,
            description=texts["goal_description"],
            target_date=today + timedelta(days=45 + 30 * position),
            status=Goal.Status.IN_PROGRESS if position == 0 else Goal.Status.NOT_STARTED,
        )
        for text in steps:
            goals.goal_step_add(goal=goal, text=text)


def _schedule_ahead(match, members, zone, now):
    proposer = members[0].user
    local = zone_of(proposer, match.organization)
    first_day = (now.astimezone(local) + timedelta(days=3)).date()
    starts = [
        datetime.combine(first_day + timedelta(days=14 * k), time(15, 0), tzinfo=local)
        for k in range(2)
    ]
    proposed = schedule.session_propose(
        match=match,
        by=proposer,
        starts=starts,
        duration_minutes=match.program.session_minutes,
        modality=Modality.TEAMS,
        time_zone=str(local),
        location="https://meet.example.org/coaching",
    )
    # The first is accepted; the second still waits for the partner's answer.
    schedule.session_accept(session=proposed[0], by=members[1].user)


def _report(match, author, *, texts):
    from .selectors.reports import allowed_periods, local_today, schedule_for

    periods = allowed_periods(schedule_for(match), local_today(match.organization))
    if not periods:
        return
    answers = [
        GoalAnswer(
            goal=goal,
            progress=texts["progress"],
            status=goal.status,
            shared=False,
        )
        for goal in Goal.objects.filter(
            organization=match.organization, plan__program=match.program, plan__user=author
        )
    ]
    reports.report_submit(
        match=match,
        author=author,
        period=min(periods),
        working="yes",
        working_shared=True,
        beneficial="partly",
        beneficial_shared=True,
        change=texts["change"],
        change_shared=False,
        rating=4,
        goals=answers,
    )


def _endings(program, matches, demo, *, texts):
    """The last pair of a pair program opts out; a participant raises a concern."""
    organization = program.organization
    Membership.objects.filter(
        organization=organization,
        role=Membership.Role.COORDINATOR,
        user__email__startswith="coordinator@",
    ).update(handles_concerns=True)
    if program.is_pairs and len(matches) > 3:
        match = matches[-1]
        leaver = next(m for m in match.members.all() if m.is_current).user
        endings.opt_out_give(
            match=match,
            user=leaver,
            reason=OptOut.Reason.NO_TIME,
            notice=texts["opt_out"],
            notice_shared=False,
            wants_new_partner=False,
        )
        demo.showcased.append(("opted out", leaver.email))
    if matches:
        author = (
            MatchMember.objects.filter(organization=organization, match=matches[0])
            .order_by("-position")
            .first()
            .user
        )
        concerns.concern_raise(
            organization=organization,
            author=author,
            category="prohibited_advice",
            body=texts["concern"],
            program=program,
        )
        demo.showcased.append(("raised a concern", author.email))
