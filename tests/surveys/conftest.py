"""A program whose people were paired, and surveys of it.

`debrief` is a running reciprocal program of `org` with two active pairs (the
`participant` fixture and a partner; two more people) and one ended pair (two people who
opted out). `survey_make` builds a survey in it with one question of each kind.
"""

from dataclasses import dataclass

import pytest
from django.utils import timezone
from django_scopes import scope

from programs.models import Match, MatchMember, Program
from surveys import services
from surveys.models import Survey
from surveys.models import SurveyQuestion as Question
from tests.factories import ProgramFactory, match_make
from tests.sessions.conftest import person

QUESTIONS = (
    {"kind": Question.Kind.RATING, "label": "How useful was it?", "low_label": "Not at all"},
    {
        "kind": Question.Kind.SINGLE,
        "label": "How often did you meet?",
        "options": ["Weekly", "Monthly", "Never"],
    },
    {
        "kind": Question.Kind.MULTIPLE,
        "label": "What helped?",
        "options": ["Agreement", "Guides", "Reminders"],
        "required": False,
    },
    {"kind": Question.Kind.SHORT_TEXT, "label": "One word for it?", "required": False},
    {"kind": Question.Kind.LONG_TEXT, "label": "What should change?", "required": False},
)


@dataclass
class Debrief:
    program: Program
    active: list  # users in active pairs, `participant` first
    ended: list  # users of the ended pair
    proposed: list  # users only in a proposal, never published

    @property
    def eligible(self):
        return [*self.active, *self.ended]


def pair_users(org, program, users, status):
    with scope(organization=org):
        match = match_make(program=program, users=users, status=status)
        if status != Match.Status.PROPOSED:
            match.published_at = timezone.now()
            match.save(update_fields=["published_at"])
        return match


@pytest.fixture
def debrief(org, participant):
    with scope(organization=org):
        program = ProgramFactory(
            organization=org, name="Debrief Term", status=Program.Status.RUNNING
        )
    people = [person(org, f"debrief{i}@acme.example.org") for i in range(6)]
    active = [participant, *people[:3]]
    pair_users(org, program, active[:2], Match.Status.ACTIVE)
    pair_users(org, program, active[2:], Match.Status.ACTIVE)
    ended = people[3:5]
    match = pair_users(org, program, ended, Match.Status.ENDED)
    with scope(organization=org):
        MatchMember.objects.filter(match=match).update(is_current=False)
    proposed = [people[5], person(org, "proposed@acme.example.org")]
    pair_users(org, program, proposed, Match.Status.PROPOSED)
    return Debrief(program=program, active=active, ended=ended, proposed=proposed)


def survey_make(program, *, questions=QUESTIONS, title="End-of-term debrief", send=False, **fields):
    """A draft survey of `program` with `questions` (needs no scope; enters it)."""
    with scope(organization=program.organization):
        survey = services.survey_create(
            program=program, created_by=None, title=title, intro="", closes_on=None, **fields
        )
        for spec in questions:
            spec = dict(spec)
            services.question_create(survey=survey, kind=spec.pop("kind"), **spec)
        if send:
            services.survey_send(survey=survey)
        survey.refresh_from_db()
    return survey


def answers_for(survey, **by_label):
    """{question id: value} from {label prefix: value}, for response_submit; prefixes of
    questions the survey does not have are left out."""
    with scope(organization=survey.organization):
        questions = list(Question.objects.filter(survey=survey))
    answers = {}
    for prefix, value in by_label.items():
        for question in questions:
            if question.label.startswith(prefix):
                answers[str(question.pk)] = value
    return answers


def answer(survey, user, **by_label):
    defaults = {"How useful": "4", "How often": "Monthly"}
    with scope(organization=survey.organization):
        return services.response_submit(
            survey=survey, user=user, answers=answers_for(survey, **{**defaults, **by_label})
        )


@pytest.fixture
def draft(debrief):
    return survey_make(debrief.program)


@pytest.fixture
def sent(debrief):
    return survey_make(debrief.program, send=True)


def fresh(survey):
    with scope(organization=survey.organization):
        return Survey.objects.get(pk=survey.pk)
