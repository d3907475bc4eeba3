"""Setting a program up (coordinators) and the program pages its members see.

Coordinator views carry `coordinator_required` first, so a participant gets 403 before
anything else (405 included), then look the program up with `coordinator_program`
(another tenant's: 404). Objects below a program are looked up by program and
organisation together: an id from another program or tenant answers 404.
"""

from datetime import timedelta
from os.path import basename

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peercoach.audit.models import Action
from peercoach.audit.services import audit_record, changed_fields_text
from peercoach.tenancy.access import coordinator_required
from peercoach.tenancy.pages import render_cached
from peercoach.web.views import form_error, redirect_to

from ..access import coordinator_program, program_for_request
from ..forms.applications import ApplicationForm
from ..forms.setup import (
    KIND_HELP,
    EventForm,
    ProgramCopyForm,
    ProgramForm,
    QuestionForm,
    QuestionKindForm,
    ResourceForm,
    detached,
)
from ..models import Application, ProgramEvent, Question, Resource
from ..selectors.participant import (
    my_active_matches,
    my_application,
    my_applications,
    programs_visible,
)
from ..selectors.setup import (
    events_for_program,
    form_questions,
    form_warnings,
    program_overview,
    programs_for_coordinator,
    resources_for_program,
)
from ..services import questions
from ..services import setup as services


def _to_program(program, anchor=""):
    return redirect_to("programs:detail", anchor, org_slug=program.organization.slug, pk=program.pk)


def _to_form_builder(program):
    return redirect("programs:form", org_slug=program.organization.slug, pk=program.pk)


# --- Programs ----------------------------------------------------------------------------


def program_list(request, org_slug):
    """Every member: coordinators see all programs with their counts; participants the
    programs past the draft stage with their own application."""
    organization = request.organization
    if request.membership.is_coordinator:
        programs = programs_for_coordinator(organization=organization)
    else:
        programs = list(programs_visible(organization=organization, membership=request.membership))
        applications = my_applications(organization=organization, user=request.user)
        for program in programs:
            program.my_application = applications.get(program.pk)
    return render(request, "programs/program_list.html", {"programs": programs})


@coordinator_required
def program_create(request, org_slug):
    form = ProgramForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                program = services.program_create(
                    organization=request.organization, **form.cleaned_data
                )
                audit_record(
                    organization=request.organization,
                    action=Action.PROGRAM_CREATED,
                    request=request,
                    target=program,
                    program=program,
                    summary=program.get_format_display(),
                )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(
                request,
                _("The program was created as a draft. Next: its application form."),
            )
            return _to_program(program)
    return render(request, "programs/setup/program_form.html", {"form": form, "program": None})


def program_detail(request, org_slug, pk):
    """The coordinator's set-up overview, or the participant's program page.

    A coordinator can see the participant page with `?view=participant`.
    """
    if request.membership.is_coordinator and request.GET.get("view") != "participant":
        program = program_for_request(request, pk)
        return render(
            request,
            "programs/program_detail_coordinator.html",
            {"program": program, **program_overview(program=program)},
        )

    def build():
        program = program_for_request(request, pk)
        return {
            "program": program,
            "events": events_for_program(program=program),
            "resources": resources_for_program(program=program),
            "application": my_application(program=program, user=request.user),
            "matches": my_active_matches(
                organization=request.organization, user=request.user, program=program
            ),
            "preview": request.membership.is_coordinator,
        }

    # Cached for this person until the organisation's next write, the access check with it
    # (peercoach.tenancy.pages).
    return render_cached(
        request, "programs/program_detail_participant.html", build, name="program", vary=(pk,)
    )


@coordinator_required
def program_edit(request, org_slug, pk):
    program = coordinator_program(request, pk)
    form = ProgramForm(request.POST or None, instance=detached(program))
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.program_update(program=program, **form.cleaned_data)
                audit_record(
                    organization=request.organization,
                    action=Action.PROGRAM_CHANGED,
                    request=request,
                    target=program,
                    program=program,
                    summary=changed_fields_text(form),
                )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("The program's settings were saved."))
            return _to_program(program)
    return render(request, "programs/setup/program_form.html", {"form": form, "program": program})


@coordinator_required
def program_copy(request, org_slug, pk):
    program = coordinator_program(request, pk)
    length = program.term_end - program.term_start
    next_start = program.term_end + timedelta(days=1)
    form = ProgramCopyForm(
        request.POST or None,
        initial={"name": program.name, "term_start": next_start, "term_end": next_start + length},
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                copy = services.program_copy(program=program, **form.cleaned_data)
                audit_record(
                    organization=request.organization,
                    action=Action.PROGRAM_CREATED,
                    request=request,
                    target=copy,
                    program=copy,
                    summary=f"Copy of {program.name}",
                )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(
                request,
                _(
                    "The copy was created as a draft with the same settings, form, events "
                    "and resources. Check its events' dates before opening applications."
                ),
            )
            return _to_program(copy)
    return render(request, "programs/setup/program_copy.html", {"form": form, "program": program})


@coordinator_required
@require_POST
def program_status(request, org_slug, pk):
    """Move the program on (or back); the rules are `services.program_status_problem`'s."""
    program = coordinator_program(request, pk)
    before = program.get_status_display()
    try:
        with transaction.atomic():
            services.program_status_set(program=program, status=request.POST.get("status", ""))
            audit_record(
                organization=request.organization,
                action=Action.PROGRAM_STATUS,
                request=request,
                target=program,
                program=program,
                summary=f"{before} → {program.get_status_display()}",
            )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(
            request,
            _("The program's status is now “%(status)s”.")
            % {"status": program.get_status_display()},
        )
    return _to_program(program)


# --- Events ------------------------------------------------------------------------------


def _event(request, program, event_pk):
    return get_object_or_404(
        ProgramEvent, pk=event_pk, program=program, organization=request.organization
    )


@coordinator_required
def event_create(request, org_slug, pk):
    program = coordinator_program(request, pk)
    form = EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.event_create(program=program, **form.cleaned_data)
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("The event was added."))
            return _to_program(program, "events-heading")
    return render(
        request, "programs/setup/event_form.html", {"form": form, "program": program, "event": None}
    )


@coordinator_required
def event_edit(request, org_slug, pk, event_pk):
    program = coordinator_program(request, pk)
    event = _event(request, program, event_pk)
    form = EventForm(request.POST or None, instance=detached(event))
    if request.method == "POST" and form.is_valid():
        try:
            services.event_update(event=event, **form.cleaned_data)
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("The event was saved."))
            return _to_program(program, "events-heading")
    return render(
        request,
        "programs/setup/event_form.html",
        {"form": form, "program": program, "event": event},
    )


@coordinator_required
@require_POST
def event_delete(request, org_slug, pk, event_pk):
    program = coordinator_program(request, pk)
    event = _event(request, program, event_pk)
    services.event_delete(event=event)
    messages.success(request, _("“%(title)s” was deleted.") % {"title": event.title})
    return _to_program(program, "events-heading")


# --- Resources ---------------------------------------------------------------------------


def _resource(request, program, resource_pk):
    return get_object_or_404(
        Resource, pk=resource_pk, program=program, organization=request.organization
    )


@coordinator_required
def resource_create(request, org_slug, pk):
    program = coordinator_program(request, pk)
    form = ResourceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        if fields["file"] is None:
            fields.pop("file")
        try:
            services.resource_create(program=program, **fields)
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("The resource was added."))
            return _to_program(program, "resources-heading")
    return render(
        request,
        "programs/setup/resource_form.html",
        {"form": form, "program": program, "resource": None},
    )


def resource_detail(request, org_slug, pk, resource_pk):
    """A resource's page, for everyone who may see the program."""
    program = program_for_request(request, pk)
    resource = _resource(request, program, resource_pk)
    return render(
        request,
        "programs/setup/resource_detail.html",
        {"program": program, "resource": resource, "file_name": basename(resource.file.name)},
    )


def resource_file(request, org_slug, pk, resource_pk):
    """The resource's file as a download, for everyone who may see the program (media is
    not served publicly)."""
    program = program_for_request(request, pk)
    resource = _resource(request, program, resource_pk)
    if not resource.file:
        raise Http404("This resource has no file.")
    try:
        handle = resource.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing.") from None
    return FileResponse(handle, as_attachment=True, filename=basename(resource.file.name))


@coordinator_required
def resource_edit(request, org_slug, pk, resource_pk):
    program = coordinator_program(request, pk)
    resource = _resource(request, program, resource_pk)
    form = ResourceForm(request.POST or None, request.FILES or None, instance=detached(resource))
    if request.method == "POST" and form.is_valid():
        try:
            services.resource_update(resource=resource, **form.service_fields())
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("The resource was saved."))
            return _to_program(program, "resources-heading")
    return render(
        request,
        "programs/setup/resource_form.html",
        {"form": form, "program": program, "resource": resource},
    )


@coordinator_required
@require_POST
def resource_delete(request, org_slug, pk, resource_pk):
    program = coordinator_program(request, pk)
    resource = _resource(request, program, resource_pk)
    services.resource_delete(resource=resource)
    messages.success(request, _("“%(title)s” was deleted.") % {"title": resource.title})
    return _to_program(program, "resources-heading")


# --- Application form --------------------------------------------------------------------


def _question(request, program, question_pk):
    return get_object_or_404(
        Question, pk=question_pk, program=program, organization=request.organization
    )


def _kind_form(questions, data=None):
    return QuestionKindForm(data, taken={q.kind for q in questions})


@coordinator_required
def form_builder(request, org_slug, pk):
    """The application form: questions in order, add, edit, move, and a preview."""
    program = coordinator_program(request, pk)
    questions = form_questions(program=program)
    return render(
        request,
        "programs/setup/form_builder.html",
        {
            "program": program,
            "questions": questions,
            "warnings": form_warnings(program=program, questions=questions),
            "kind_form": _kind_form(questions),
            "preferred_roles": Application.PreferredRole.choices,
            # The applicants' own form, so the preview cannot drift from what they see.
            "preview_form": ApplicationForm(questions=questions, auto_id="preview_%s"),
        },
    )


@coordinator_required
def question_create(request, org_slug, pk):
    """GET ?kind=...: the question form for that kind (no kind: the kind picker).

    POST with `starter=1` fills an empty form with the standard questions.
    """
    program = coordinator_program(request, pk)
    if request.method == "POST" and request.POST.get("starter"):
        try:
            questions.program_form_starter(program=program)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(
                request,
                _(
                    "The standard questions were added. Read them through, and replace the "
                    "example groups with your own."
                ),
            )
        return _to_form_builder(program)

    kind = request.POST.get("kind") if request.method == "POST" else request.GET.get("kind")
    if kind not in Question.Kind.values:
        kind_form = _kind_form(form_questions(program=program))
        kinds = [(v, label, KIND_HELP[v]) for v, label in kind_form.fields["kind"].choices]
        return render(
            request, "programs/setup/question_kind.html", {"program": program, "kinds": kinds}
        )
    form = QuestionForm(request.POST or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        try:
            questions.question_create(program=program, kind=kind, **form.service_fields())
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("The question was added."))
            return _to_form_builder(program)
    return render(
        request,
        "programs/setup/question_form.html",
        {
            "program": program,
            "form": form,
            "kind": kind,
            "kind_label": Question.Kind(kind).label,
            "kind_help": KIND_HELP[kind],
            "question": None,
        },
    )


@coordinator_required
def question_edit(request, org_slug, pk, question_pk):
    program = coordinator_program(request, pk)
    question = _question(request, program, question_pk)
    form = QuestionForm(
        request.POST or None, kind=question.kind, initial=QuestionForm.initial_for(question)
    )
    if request.method == "POST" and form.is_valid():
        try:
            questions.question_update(question=question, **form.service_fields())
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("The question was saved."))
            return _to_form_builder(program)
    return render(
        request,
        "programs/setup/question_form.html",
        {
            "program": program,
            "form": form,
            "kind": question.kind,
            "kind_label": question.get_kind_display(),
            "kind_help": KIND_HELP[question.kind],
            "question": question,
        },
    )


@coordinator_required
@require_POST
def question_delete(request, org_slug, pk, question_pk):
    program = coordinator_program(request, pk)
    question = _question(request, program, question_pk)
    try:
        questions.question_delete(question=question)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("“%(label)s” was removed.") % {"label": question.label})
    return _to_form_builder(program)


@coordinator_required
@require_POST
def question_move(request, org_slug, pk, question_pk):
    program = coordinator_program(request, pk)
    question = _question(request, program, question_pk)
    try:
        questions.question_move(question=question, direction=request.POST.get("direction", ""))
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("“%(label)s” was moved.") % {"label": question.label})
    response = _to_form_builder(program)
    response["Location"] += f"#question-{question.pk}"
    return response
