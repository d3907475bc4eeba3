"""Demo data: PeerSphere's debrief survey, sent, with some answers.

Seed 002 ends PeerSphere's term with a debrief meeting where everyone gives feedback to
improve the next round; the demo program has that meeting as an event. Here its
coordinator builds the survey from the suggested questions, sends it (no email leaves:
`peercoach.demo_util.quiet`), and eight of the paired participants answer, enough for the
results page to show (it waits for three).

Idempotent: a program that already has a survey is left as it is.
"""

import random
from datetime import timedelta

from django.utils import timezone

from peercoach.demo_util import quiet
from peercoach.tenancy.models import Membership
from programs.demo import demo_programs

from .models import Survey
from .models import SurveyQuestion as Question
from .selectors import eligible_users, survey_questions
from .services import response_submit, survey_create, survey_send

DEMO_SLUG = "peersphere"
ANSWERING = 8
TEXTS = (
    "Pair people earlier in the term, so the first weeks are not lost to scheduling.",
    "A short guide for the first session would help: we spent it working out what to do.",
    "More time at the group meetings to swap tips with other pairs.",
    "Keep the cross-community pairs: meeting someone from the other campus was the best part.",
    "",  # some leave the optional text empty
    "Suggest a rhythm at the start; we only settled on every three weeks in the spring.",
    "The agreement felt formal at first, but it saved us an awkward talk later on.",
    "",
)


def surveys_demo_load(*, organizations):
    """A loader of settings.DEMO_LOADERS (see peercoach.demo): `surveys_demo_build` for
    the organisations' demo programs. The demo command prints nothing of it."""
    surveys_demo_build(programs=demo_programs(organizations))
    return {}


def surveys_demo_build(*, programs):
    """Give the PeerSphere demo program (organisation slug "peersphere") a sent debrief
    survey with answers; other programs are left alone. Runs in the caller's transaction
    with scopes disabled; returns the survey, or None when there is no PeerSphere program."""
    program = next((p for p in programs if p.organization.slug == DEMO_SLUG), None)
    if program is None:
        return None
    existing = Survey.objects.filter(organization=program.organization, program=program).first()
    if existing is not None:
        return existing
    coordinator = (
        Membership.objects.filter(
            organization=program.organization, role=Membership.Role.COORDINATOR
        )
        .select_related("user")
        .order_by("pk")
        .first()
    )
    today = timezone.localdate(timezone=program.organization.tzinfo)
    with quiet():
        survey = survey_create(
            program=program,
            created_by=coordinator.user if coordinator else None,
            starter=True,
            title=f"End-of-term debrief: {program.name}",
            intro=(
                "Five minutes, six questions: how the year went for you and what we should "
                "change for the next round. We read every answer before the debrief meeting."
            ),
            closes_on=today + timedelta(days=14),
        )
        survey_send(survey=survey, actor=coordinator.user if coordinator else None)
        people = list(eligible_users(program=program).order_by("email")[:ANSWERING])
        questions = survey_questions(survey=survey)
        rng = random.Random(2024)
        for index, person in enumerate(people):
            response_submit(survey=survey, user=person, answers=_answers(rng, questions, index))
    return survey


def _answers(rng, questions, index):
    answers = {}
    for question in questions:
        key = str(question.pk)
        if question.is_rating:
            answers[key] = str(rng.choice((3, 4, 4, 5, 5)))
        elif question.kind == Question.Kind.SINGLE:
            answers[key] = rng.choice(question.options[:2] if index % 4 else question.options)
        elif question.kind == Question.Kind.MULTIPLE:
            answers[key] = rng.sample(question.options, k=rng.randint(1, 3))
        else:
            answers[key] = TEXTS[index % len(TEXTS)]
    return answers
