"""The participants' survey pages: their surveys, and answering one (once).

`my_surveys` is every member's page (it lists only what the person may answer). A
survey's own page is for the people who may answer it (see `access.participant_survey`):
the form while it is open and unanswered, their own answers read-only afterwards.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from .. import services
from ..access import participant_survey
from ..forms import AnswerForm
from ..models import MIN_RESPONSES
from ..selectors import my_response, survey_questions, surveys_for_participant


def my_surveys(request, org_slug):
    """The surveys of the person's programs: to answer, answered, closed."""
    surveys = surveys_for_participant(organization=request.organization, user=request.user)
    return render(
        request,
        "surveys/my_surveys.html",
        {
            "waiting": [s for s in surveys if s.accepts_answers and not s.answered],
            "others": [s for s in surveys if not (s.accepts_answers and not s.answered)],
        },
    )


@never_cache
def answer(request, org_slug, survey_pk):
    """The survey's form (open, not answered yet) or the person's answers, read-only."""
    survey = participant_survey(request, survey_pk)
    questions = survey_questions(survey=survey)
    response, answers = my_response(survey=survey, user=request.user)
    can_answer = response is None and survey.accepts_answers
    form = AnswerForm(
        request.POST if request.method == "POST" and can_answer else None, questions=questions
    )
    status = 200
    if request.method == "POST":
        if not can_answer:
            messages.error(
                request,
                _("You have already answered this survey. Thank you!")
                if response is not None
                else _("This survey is closed: it no longer takes answers."),
            )
            return redirect("surveys:answer", org_slug=org_slug, survey_pk=survey.pk)
        if form.is_valid():
            try:
                services.response_submit(
                    survey=survey, user=request.user, answers=form.raw_answers()
                )
            except services.SurveyError as exc:
                if hasattr(exc, "error_dict"):
                    form.add_service_errors(
                        {k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()}
                    )
                else:
                    messages.error(request, exc.messages[0])
                    return redirect("surveys:answer", org_slug=org_slug, survey_pk=survey.pk)
            else:
                messages.success(request, _("Thank you: your answers were recorded."))
                return redirect("surveys:answer", org_slug=org_slug, survey_pk=survey.pk)
        status = 400
    rows = [(q, answers.get(q.pk, [])) for q in questions]
    return render(
        request,
        "surveys/answer.html",
        {
            "survey": survey,
            "program": survey.program,
            "form": form,
            "can_answer": can_answer,
            "response": response,
            "rows": rows,
            "min_responses": MIN_RESPONSES,
        },
        status=status,
    )
