"""Who may reach a survey, in one place.

Coordinators reach every survey of their organisation's programs (another tenant's
answers 404, a participant 403, like every coordinator page). A participant reaches a
survey once it was sent, and only when they may answer it (`selectors.eligible_users`):
everyone else in the tenant gets 404, as if it did not exist.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404

from programs.access import coordinator_program
from programs.models import Program

from .models import Survey
from .selectors import is_eligible, survey_for_program


def coordinator_survey(request, pk, survey_pk):
    """(program, survey) for the program's coordinators, the survey with its counts."""
    program = coordinator_program(request, pk)
    survey = survey_for_program(program=program, pk=survey_pk)
    if survey is None:
        raise Http404("No such survey.")
    return program, survey


def participant_survey(request, survey_pk):
    """The sent survey `survey_pk` for a person who may answer it, or 404."""
    survey = get_object_or_404(
        Survey.objects.select_related("program").exclude(status=Survey.Status.DRAFT),
        pk=survey_pk,
        organization=request.organization,
    )
    survey.organization = survey.program.organization = request.organization
    if survey.program.status == Program.Status.DRAFT or not is_eligible(
        program=survey.program, user=request.user
    ):
        raise Http404("No such survey.")
    return survey
