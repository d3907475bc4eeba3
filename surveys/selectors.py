"""Reads for the survey pages. Each runs a fixed number of queries, whatever the number
of surveys, questions, people or answers.

Who may answer a program's survey (`eligible_users`): the participants of the
organisation who were in one of its published pairs or circles, whether it is still
active or has ended (an opt-out or the end of the term). Someone who left a circle early
counts too: their experience is what the debrief is for. Proposals never published do not.

Results (`survey_results`) are aggregates and text answers without names: no query here
reads the author of a response next to what it says.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from peercoach.accounts.models import User
from peercoach.tenancy.models import Membership
from programs.models import Match, MatchMember, Program, ProgramEvent

from .models import MIN_RESPONSES, RATING_HIGH, RATING_LOW, Answer, Recipient, Response, Survey
from .models import SurveyQuestion as Question

PAIRED = (Match.Status.ACTIVE, Match.Status.ENDED)


def _paired_user_ids(*, organization, program):
    return MatchMember.objects.filter(
        organization=organization, program=program, match__status__in=PAIRED
    ).values("user_id")


def eligible_users(*, program):
    """The people who may answer `program`'s surveys (see the module docstring): current
    participants of the organisation, with an account that is not deleted."""
    organization_id = program.organization_id
    participants = Membership.objects.filter(
        organization_id=organization_id, role=Membership.Role.PARTICIPANT
    ).values("user_id")
    return User.objects.filter(
        pk__in=_paired_user_ids(organization=organization_id, program=program),
        is_active=True,
        deleted_at__isnull=True,
    ).filter(pk__in=participants)


def is_eligible(*, program, user):
    return eligible_users(program=program).filter(pk=user.pk).exists()


# --- Coordinators ------------------------------------------------------------------------


def _with_counts(program):
    organization = program.organization_id
    return (
        Survey.objects.filter(organization=organization, program=program)
        .annotate(
            question_count=_count(Question, organization),
            response_count=_count(Response, organization),
            recipient_count=_count(Recipient, organization),
        )
        .order_by("-created_at", "-id")
    )


def _attach(surveys, program):
    # The caller has the organisation and the program already: no query per survey for them.
    for survey in surveys:
        survey.organization = program.organization
        survey.program = program
    return surveys


def surveys_for_program(*, program):
    """The program's surveys, newest first, each with `question_count`, `response_count`
    and `recipient_count` (subqueries of the same query)."""
    return _attach(list(_with_counts(program)), program)


def _count(model, organization):
    rows = (
        model.objects.filter(organization=organization, survey=OuterRef("pk"))
        .order_by()
        .values("survey")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def survey_for_program(*, program, pk):
    """The survey `pk` of `program` with its counts, or None."""
    return next(iter(_attach(list(_with_counts(program).filter(pk=pk)), program)), None)


def survey_questions(*, survey):
    return list(Question.objects.filter(organization=survey.organization_id, survey=survey))


@dataclass
class Reach:
    eligible: int  # who may answer now
    sent: int  # who was emailed the link
    unsent: int  # who may answer and was not emailed yet


def survey_reach(*, survey):
    """How many people may answer, were sent the link, and were not sent it yet (one query)."""
    emailed = Recipient.objects.filter(
        organization=survey.organization_id, survey=survey, user=OuterRef("pk")
    )
    counts = (
        eligible_users(program=survey.program)
        .annotate(emailed=Exists(emailed))
        .aggregate(eligible=Count("pk"), unsent=Count("pk", filter=Q(emailed=False)))
    )
    sent = getattr(survey, "recipient_count", None)
    if sent is None:
        sent = Recipient.objects.filter(organization=survey.organization_id, survey=survey).count()
    return Reach(eligible=counts["eligible"], sent=sent, unsent=counts["unsent"])


def debrief_events(*, program):
    """The program's debrief meetings, in date order."""
    return list(
        ProgramEvent.objects.filter(
            organization=program.organization_id, program=program, kind=ProgramEvent.Kind.DEBRIEF
        ).order_by("starts_at", "id")
    )


# --- Results -------------------------------------------------------------------------------


@dataclass
class Bar:
    label: str
    count: int
    percent: int  # of the people who answered the question


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0  # people who answered this question
    average: float | None = None  # ratings
    bars: list = field(default_factory=list)  # ratings and choices: [Bar]
    texts: list = field(default_factory=list)  # text answers, without names, sorted


@dataclass
class Results:
    response_count: int
    threshold: int
    questions: list  # [QuestionResult], empty while hidden

    @property
    def shown(self):
        return self.response_count >= self.threshold


def survey_results(*, survey):
    """Per question: how many answered; for ratings the average and how many gave each
    value; for choices how many picked each option; text answers listed without names,
    in alphabetical order (not the order they came in, which could hint at who wrote them).

    Four queries whatever the number of answers. While fewer than MIN_RESPONSES people
    have answered, `questions` is empty: the numbers are not handed to the page at all.
    """
    organization = survey.organization_id
    response_count = Response.objects.filter(organization=organization, survey=survey).count()
    questions = survey_questions(survey=survey)
    answers = Answer.objects.filter(organization=organization, survey=survey).order_by()
    people = dict(
        answers.values("question_id")
        .annotate(n=Count("response_id", distinct=True))
        .values_list("question_id", "n")
    )
    tallies = {}
    for question_id, rating, option, n in (
        answers.filter(text="")
        .values_list("question_id", "rating", "option")
        .annotate(n=Count("pk"))
    ):
        key = rating if rating is not None else option
        tallies.setdefault(question_id, {})[key] = n
    texts = {}
    for question_id, text in (
        answers.exclude(text="").order_by("question_id", "text").values_list("question_id", "text")
    ):
        texts.setdefault(question_id, []).append(text)

    if response_count < MIN_RESPONSES:
        return Results(response_count=response_count, threshold=MIN_RESPONSES, questions=[])
    rows = []
    for question in questions:
        answered = people.get(question.pk, 0)
        row = QuestionResult(question=question, answered=answered)
        tally = tallies.get(question.pk, {})
        if question.is_rating:
            values = range(RATING_LOW, RATING_HIGH + 1)
            row.bars = [
                Bar(str(v), tally.get(v, 0), _percent(tally.get(v, 0), answered)) for v in values
            ]
            total = sum(v * tally.get(v, 0) for v in values)
            row.average = round(total / answered, 1) if answered else None
        elif question.has_options:
            row.bars = [
                Bar(o, tally.get(o, 0), _percent(tally.get(o, 0), answered))
                for o in question.options
            ]
        else:
            row.texts = texts.get(question.pk, [])
        rows.append(row)
    return Results(response_count=response_count, threshold=MIN_RESPONSES, questions=rows)


def _percent(count, of):
    return round(100 * count / of) if of else 0


# --- Participants ----------------------------------------------------------------------


def surveys_for_participant(*, organization, user):
    """The surveys `user` may answer or has answered in `organization`: open and closed
    ones of the programs where they were paired, newest first, each with `answered` and
    the program (one query)."""
    mine = Response.objects.filter(organization=organization, survey=OuterRef("pk"), user=user)
    paired_programs = MatchMember.objects.filter(
        organization=organization, user=user, match__status__in=PAIRED
    ).values("program_id")
    surveys = list(
        Survey.objects.filter(
            organization=organization,
            status__in=[Survey.Status.OPEN, Survey.Status.CLOSED],
            program__in=paired_programs,
        )
        .exclude(program__status=Program.Status.DRAFT)
        .annotate(answered=Exists(mine))
        .select_related("program")
        .order_by("-opened_at", "-id")
    )
    for survey in surveys:
        survey.organization = organization
    return surveys


def open_surveys_for_participant(*, organization, user):
    """What a home page card shows: the surveys still waiting for this person's answers."""
    return [
        s
        for s in surveys_for_participant(organization=organization, user=user)
        if s.accepts_answers and not s.answered
    ]


def my_response(*, survey, user):
    """The person's own response with its answers by question id, or (None, {})."""
    response = Response.objects.filter(
        organization=survey.organization_id, survey=survey, user=user
    ).first()
    if response is None:
        return None, {}
    by_question = {}
    for answer in Answer.objects.filter(organization=survey.organization_id, response=response):
        by_question.setdefault(answer.question_id, []).append(answer)
    return response, by_question


def answers_for_export(*, organization, user):
    """The person's own survey answers in `organization`, for their data export: one dict
    per answer (survey, program, question, answer, submitted_at as a datetime), in order."""
    rows = []
    answers = (
        Answer.objects.filter(organization=organization, response__user=user)
        .select_related("response", "survey__program", "question")
        .order_by("response__submitted_at", "question__position", "question_id", "option")
    )
    for answer in answers:
        value = str(answer.rating) if answer.rating is not None else answer.option or answer.text
        rows.append(
            {
                "survey": answer.survey.title,
                "program": answer.survey.program.name,
                "question": answer.question.label,
                "answer": value,
                "submitted_at": answer.response.submitted_at,
            }
        )
    return rows
