"""The database's own promises: one response and one email per person and survey,
ratings from 1 to 5, no open survey that was never opened."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_scopes import scope

from surveys.models import Answer, Recipient, Response, Survey
from surveys.models import SurveyQuestion as Question

from .conftest import survey_make

pytestmark = pytest.mark.django_db


def _raises_integrity(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_one_response_per_person_and_survey(org, debrief, participant):
    survey = survey_make(debrief.program, send=True)
    with scope(organization=org):
        Response.objects.create(organization=org, survey=survey, user=participant)
        _raises_integrity(
            lambda: Response.objects.create(organization=org, survey=survey, user=participant)
        )
        # Another survey of the same program takes the same person's response.
        other = survey_make(debrief.program, send=True, title="Second round")
        Response.objects.create(organization=org, survey=other, user=participant)


def test_one_email_record_per_person_and_survey(org, debrief, participant):
    survey = survey_make(debrief.program)
    with scope(organization=org):
        Recipient.objects.create(organization=org, survey=survey, user=participant)
        _raises_integrity(
            lambda: Recipient.objects.create(organization=org, survey=survey, user=participant)
        )


def test_ratings_stay_between_1_and_5(org, debrief, participant):
    survey = survey_make(debrief.program, send=True)
    with scope(organization=org):
        question = Question.objects.get(survey=survey, kind=Question.Kind.RATING)
        response = Response.objects.create(organization=org, survey=survey, user=participant)

        def rated(value):
            return lambda: Answer.objects.create(
                organization=org, survey=survey, response=response, question=question, rating=value
            )

        _raises_integrity(rated(0))
        _raises_integrity(rated(6))
        rated(5)()


def test_one_answer_per_question_and_option(org, debrief, participant):
    survey = survey_make(debrief.program, send=True)
    with scope(organization=org):
        question = Question.objects.get(survey=survey, kind=Question.Kind.MULTIPLE)
        response = Response.objects.create(organization=org, survey=survey, user=participant)

        def ticked(option):
            return lambda: Answer.objects.create(
                organization=org, survey=survey, response=response, question=question, option=option
            )

        ticked("Guides")()
        ticked("Agreement")()
        _raises_integrity(ticked("Guides"))


def test_a_survey_cannot_be_open_without_having_been_opened(org, debrief):
    survey = survey_make(debrief.program)
    with scope(organization=org):
        _raises_integrity(
            lambda: Survey.objects.filter(pk=survey.pk).update(status=Survey.Status.OPEN)
        )
        Survey.objects.filter(pk=survey.pk).update(
            status=Survey.Status.OPEN, opened_at=timezone.now()
        )


def test_survey_tables_are_scoped(org, debrief):
    from django_scopes.exceptions import ScopeError

    with pytest.raises(ScopeError):
        list(Survey.objects.all())
