"""The program team's survey pages: list, build (while a draft), send, close, results.

Every view carries `coordinator_required` first (a participant gets 403 before anything
else, 405 included), then finds the program with `coordinator_program` and the survey
under it (another program's or tenant's id: 404). Moving and removing a question answer
HTMX with the refreshed list, and a plain POST with a redirect.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from peercoach.tenancy.access import coordinator_required
from peercoach.web.views import form_error, redirect_to
from programs.access import coordinator_program

from .. import services
from ..access import coordinator_survey
from ..forms import KIND_HELP, AnswerForm, QuestionForm, SurveyCreateForm, SurveyForm
from ..models import MIN_RESPONSES, Survey
from ..models import SurveyQuestion as Question
from ..selectors import (
    debrief_events,
    survey_questions,
    survey_reach,
    survey_results,
    surveys_for_program,
)


def _to_survey(survey, anchor=""):
    return redirect_to(
        "surveys:detail",
        anchor,
        org_slug=survey.organization.slug,
        pk=survey.program_id,
        survey_pk=survey.pk,
    )


def _to_list(program):
    return redirect_to("surveys:list", org_slug=program.organization.slug, pk=program.pk)


def _error(request, exc):
    messages.error(request, " ".join(exc.messages))


def _debrief_context(program):
    return {"debrief_events": debrief_events(program=program)}


@coordinator_required
def survey_list(request, org_slug, pk):
    """The program's surveys with their status and counts, and its debrief meetings."""
    program = coordinator_program(request, pk)
    return render(
        request,
        "surveys/list.html",
        {
            "program": program,
            "surveys": surveys_for_program(program=program),
            "min_responses": MIN_RESPONSES,
            **_debrief_context(program),
        },
    )


@coordinator_required
def survey_create(request, org_slug, pk):
    program = coordinator_program(request, pk)
    form = SurveyCreateForm(
        request.POST or None,
        initial={"title": _("End-of-term debrief: %(name)s") % {"name": program.name}},
    )
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.survey_create(
                program=program, created_by=request.user, **form.cleaned_data
            )
        except services.SurveyError as exc:
            form_error(form, exc)
        else:
            messages.success(
                request, _("The survey was created as a draft: add or adjust its questions.")
            )
            return _to_survey(survey)
    return render(
        request,
        "surveys/survey_form.html",
        {"program": program, "form": form, "survey": None},
        status=400 if form.errors else 200,
    )


def _detail_context(program, survey):
    questions = survey_questions(survey=survey)
    return {
        "program": program,
        "survey": survey,
        "questions": questions,
        "reach": survey_reach(survey=survey),
        "kinds": [(value, label, KIND_HELP[value]) for value, label in Question.Kind.choices],
        "preview_form": AnswerForm(questions=questions, auto_id="preview_%s"),
        "min_responses": MIN_RESPONSES,
        **_debrief_context(program),
    }


@coordinator_required
def survey_detail(request, org_slug, pk, survey_pk):
    """A draft's builder, or a sent survey's status; sending, closing and the debrief."""
    program, survey = coordinator_survey(request, pk, survey_pk)
    return render(request, "surveys/detail.html", _detail_context(program, survey))


@coordinator_required
def survey_edit(request, org_slug, pk, survey_pk):
    program, survey = coordinator_survey(request, pk, survey_pk)
    form = SurveyForm(
        request.POST or None,
        initial={"title": survey.title, "intro": survey.intro, "closes_on": survey.closes_on},
    )
    if survey.status == Survey.Status.CLOSED:
        messages.error(request, _("This survey is closed; it can no longer be changed."))
        return _to_survey(survey)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_update(survey=survey, **form.cleaned_data)
        except services.SurveyError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("The survey's settings were saved."))
            return _to_survey(survey)
    return render(
        request,
        "surveys/survey_form.html",
        {"program": program, "form": form, "survey": survey},
        status=400 if form.errors else 200,
    )


@coordinator_required
@require_POST
def survey_delete(request, org_slug, pk, survey_pk):
    program, survey = coordinator_survey(request, pk, survey_pk)
    try:
        services.survey_delete(survey=survey)
    except services.SurveyError as exc:
        _error(request, exc)
        return _to_survey(survey)
    messages.success(request, _("The draft “%(title)s” was deleted.") % {"title": survey.title})
    return _to_list(program)


@coordinator_required
@require_POST
def survey_send(request, org_slug, pk, survey_pk):
    """Open the survey and email the link to everyone eligible not emailed yet."""
    program, survey = coordinator_survey(request, pk, survey_pk)
    was_draft = survey.is_draft
    try:
        sent = services.survey_send(survey=survey, request=request)
    except services.SurveyError as exc:
        _error(request, exc)
    else:
        if sent:
            messages.success(
                request,
                ngettext(
                    "The survey is open. Its link was emailed to %(n)d person.",
                    "The survey is open. Its link was emailed to %(n)d people.",
                    sent,
                )
                % {"n": sent},
            )
        elif was_draft:
            messages.success(
                request, _("The survey is open; nobody had an email address to send to.")
            )
        else:
            messages.info(request, _("Everyone who may answer has already been sent the link."))
    return _to_survey(survey, "send-heading")


@coordinator_required
@require_POST
def survey_close(request, org_slug, pk, survey_pk):
    program, survey = coordinator_survey(request, pk, survey_pk)
    try:
        services.survey_close(survey=survey)
    except services.SurveyError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("The survey is closed: it takes no more answers."))
    return _to_survey(survey)


@coordinator_required
def results(request, org_slug, pk, survey_pk):
    """Aggregates and text answers without names, once enough people answered."""
    program, survey = coordinator_survey(request, pk, survey_pk)
    return render(
        request,
        "surveys/results.html",
        {
            "program": program,
            "survey": survey,
            "results": survey_results(survey=survey),
            "reach": survey_reach(survey=survey),
        },
    )


# --- Questions (drafts only) ---------------------------------------------------------------


def _question(survey, question_pk):
    question = get_object_or_404(
        Question, pk=question_pk, survey=survey, organization=survey.organization
    )
    question.survey = survey
    return question


def _after_question_change(request, program, survey, question=None):
    """The refreshed question list for HTMX; a redirect to the builder otherwise."""
    if request.htmx:
        return render(request, "surveys/detail.html#questions", _detail_context(program, survey))
    return _to_survey(survey, f"question-{question.pk}" if question else "questions-heading")


def _kind(request):
    kind = request.POST.get("kind") if request.method == "POST" else request.GET.get("kind")
    return kind if kind in Question.Kind.values else None


def _question_page(request, program, survey, form, kind, question):
    return render(
        request,
        "surveys/question_form.html",
        {
            "program": program,
            "survey": survey,
            "form": form,
            "kind": kind,
            "kind_label": Question.Kind(kind).label,
            "kind_help": KIND_HELP[kind],
            "question": question,
        },
        status=400 if form.errors else 200,
    )


@coordinator_required
def question_create(request, org_slug, pk, survey_pk):
    """GET ?kind=...: the form for that kind of question; without a kind, the kinds."""
    program, survey = coordinator_survey(request, pk, survey_pk)
    if not survey.is_draft:
        messages.error(
            request, _("This survey has been sent: its questions stay as people saw them.")
        )
        return _to_survey(survey)
    kind = _kind(request)
    if kind is None:
        kinds = [(value, label, KIND_HELP[value]) for value, label in Question.Kind.choices]
        return render(
            request,
            "surveys/question_kind.html",
            {"program": program, "survey": survey, "kinds": kinds},
        )
    form = QuestionForm(request.POST or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        try:
            question = services.question_create(survey=survey, kind=kind, **form.service_fields())
        except services.SurveyError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("The question was added."))
            return _to_survey(survey, f"question-{question.pk}")
    return _question_page(request, program, survey, form, kind, None)


@coordinator_required
def question_edit(request, org_slug, pk, survey_pk, question_pk):
    program, survey = coordinator_survey(request, pk, survey_pk)
    question = _question(survey, question_pk)
    if not survey.is_draft:
        messages.error(
            request, _("This survey has been sent: its questions stay as people saw them.")
        )
        return _to_survey(survey)
    form = QuestionForm(
        request.POST or None, kind=question.kind, initial=QuestionForm.initial_for(question)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.question_update(question=question, **form.service_fields())
        except services.SurveyError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("The question was saved."))
            return _to_survey(survey, f"question-{question.pk}")
    return _question_page(request, program, survey, form, question.kind, question)


@coordinator_required
@require_POST
def question_delete(request, org_slug, pk, survey_pk, question_pk):
    program, survey = coordinator_survey(request, pk, survey_pk)
    question = _question(survey, question_pk)
    try:
        services.question_delete(question=question)
    except services.SurveyError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("“%(label)s” was removed.") % {"label": question.label})
    return _after_question_change(request, program, survey)


@coordinator_required
@require_POST
def question_move(request, org_slug, pk, survey_pk, question_pk):
    program, survey = coordinator_survey(request, pk, survey_pk)
    question = _question(survey, question_pk)
    try:
        services.question_move(question=question, direction=request.POST.get("direction", ""))
    except services.SurveyError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("“%(label)s” was moved.") % {"label": question.label})
    return _after_question_change(request, program, survey, question)
