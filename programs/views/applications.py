"""Applying (participants, and newcomers through the open link) and reviewing (coordinators)."""

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_scopes import scope

from peercoach.audit.models import Action
from peercoach.audit.services import audit_record
from peercoach.web.csvio import CsvImportError, csv_response
from peercoach.web.forms import object_id

from ..access import coordinator_program, program_for_request
from ..forms.applications import (
    ApplicationForm,
    ApplicationsCsvForm,
    DecisionForm,
    LateJoinerForm,
    OpenLinkForm,
)
from ..models import Application
from ..selectors.applications import (
    application_counts,
    applications_for_program,
    applications_table,
    form_questions,
)
from ..selectors.participant import my_application
from ..services import applications as services
from ..services import joining, open_link

PAGE_SIZE = 50


def apply(request, org_slug, pk):
    """The participant's own application: first submission, or changes until matching."""
    program = program_for_request(request, pk)
    application = my_application(program=program, user=request.user)
    questions = form_questions(program=program)
    # Added late by the program team: the invitation's link carries their admission.
    admitted_by = (
        joining.late_admission_check(
            program=program, user=request.user, token=request.GET.get("admit", "")
        )
        if application is None
        else None
    )
    can_edit = (
        program.accepts_applications or admitted_by is not None
        if application is None or application.status == Application.Status.WITHDRAWN
        else program.applications_editable and application.status != Application.Status.DECLINED
    )
    # Bound on every POST, even an empty one, so errors can be attached to it.
    data = request.POST if request.method == "POST" else None
    form = ApplicationForm(data, questions=questions, application=application)
    if request.method == "POST" and can_edit:
        try:
            services.application_submit(
                program=program,
                user=request.user,
                raw_answers=form.raw_answers(),
                admitted_by=admitted_by,
            )
        except services.ApplicationError as exc:
            if hasattr(exc, "error_dict"):
                form.add_service_errors(
                    {k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()}
                )
            else:
                messages.error(request, exc.messages[0])
        else:
            messages.success(
                request,
                _("Your application was saved.")
                if application
                else _("Welcome: you are in, and the program team will pair you soon.")
                if admitted_by
                else _("Thank you: your application was submitted."),
            )
            return redirect("programs:detail", org_slug=org_slug, pk=program.pk)
    status = 400 if request.method == "POST" else 200
    # Read-only answers instead of a form nobody can send once changes have ended.
    answers = (
        [(q, services.answer_display(q, application.answers)) for q in questions]
        if application is not None and not can_edit
        else []
    )
    return render(
        request,
        "programs/applications/apply.html",
        {
            "program": program,
            "form": form,
            "application": application,
            "can_edit": can_edit,
            "answers": answers,
            "admitted": admitted_by is not None,
        },
        status=status,
    )


@require_POST
def withdraw(request, org_slug, pk):
    program = program_for_request(request, pk)
    application = my_application(program=program, user=request.user)
    if application is None:
        raise Http404
    try:
        services.application_withdraw(application=application)
    except services.ApplicationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Your application was withdrawn."))
    return redirect("programs:detail", org_slug=org_slug, pk=program.pk)


@require_POST
def new_partner(request, org_slug, pk):
    """After an opt-out, the person's own answer to "pair me again?" (their consent)."""
    program = program_for_request(request, pk)
    application = my_application(program=program, user=request.user)
    if application is None:
        raise Http404
    wants = request.POST.get("wants_new_partner") == "yes"
    try:
        services.application_new_partner_choose(application=application, wants_new_partner=wants)
    except services.ApplicationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(
            request,
            _("Noted: the program team can pair you with someone new.")
            if wants
            else _("Noted: you will not be paired again in this program."),
        )
    return redirect("programs:detail", org_slug=org_slug, pk=program.pk)


def application_list(request, org_slug, pk):
    """Coordinators: every application, filtered by status, with bulk decisions."""
    program = coordinator_program(request, pk)
    if request.method == "POST":
        form = DecisionForm(request.POST)
        ids = [i for i in map(object_id, request.POST.getlist("application")) if i]
        if not form.is_valid():
            messages.error(request, _("Choose a decision."))
        elif not ids:
            messages.error(request, _("Select at least one application."))
        else:
            try:
                changed = services.applications_decide(
                    program=program,
                    application_ids=ids,
                    decision=form.cleaned_data["decision"],
                    decided_by=request.user,
                )
            except services.ApplicationError as exc:
                messages.error(request, exc.messages[0])
            else:
                messages.success(
                    request,
                    _("%(n)d application(s) updated; each applicant was emailed.") % {"n": changed},
                )
        return redirect(request.get_full_path())
    status = request.GET.get("status") or ""
    if status not in Application.Status.values:
        status = ""
    page = Paginator(applications_for_program(program=program, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "programs/applications/list.html",
        {
            "program": program,
            "page": page,
            "counts": application_counts(program=program),
            "status": status,
            "statuses": Application.Status.choices,
            "decision_form": DecisionForm(),
        },
    )


def application_detail(request, org_slug, pk, application_pk):
    program = coordinator_program(request, pk)
    application = get_object_or_404(
        Application.objects.select_related("user", "decided_by"),
        pk=application_pk,
        program=program,
        organization=request.organization,
    )
    if request.method == "POST":
        form = DecisionForm(request.POST)
        if form.is_valid():
            try:
                services.applications_decide(
                    program=program,
                    application_ids=[application.pk],
                    decision=form.cleaned_data["decision"],
                    decided_by=request.user,
                )
            except services.ApplicationError as exc:
                messages.error(request, exc.messages[0])
            else:
                messages.success(request, _("Decision saved; the applicant was emailed."))
        else:
            messages.error(request, _("Choose a decision."))
        return redirect(
            "programs:application", org_slug=org_slug, pk=program.pk, application_pk=application.pk
        )
    questions = form_questions(program=program)
    answers = [(q, services.answer_display(q, application.answers)) for q in questions]
    return render(
        request,
        "programs/applications/detail.html",
        {"program": program, "application": application, "answers": answers},
    )


def application_add(request, org_slug, pk):
    """Coordinators: add one late joiner to a program that has closed its applications."""
    program = coordinator_program(request, pk)
    questions = form_questions(program=program)
    form = LateJoinerForm(
        request.POST if request.method == "POST" else None,
        questions=questions,
        email=request.GET.get("email", "")[:254],
    )
    if request.method == "POST" and form.is_valid():
        try:
            joined = joining.application_add_late(
                program=program,
                email=form.cleaned_data["email"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                raw_answers=form.raw_answers(),
                added_by=request.user,
            )
        except services.ApplicationError as exc:
            if hasattr(exc, "error_dict"):
                errors = {k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()}
                for message in errors.pop("email", []):
                    form.add_error("email", message)
                form.add_service_errors(errors)
            else:
                form.add_error(None, exc.messages[0])
        else:
            if joined.application is not None:
                messages.success(
                    request,
                    _("%(name)s is in: accepted and waiting on the pairing page.")
                    % {"name": joined.application.user.display_name},
                )
                return redirect(
                    "programs:application",
                    org_slug=org_slug,
                    pk=program.pk,
                    application_pk=joined.application.pk,
                )
            messages.success(
                request,
                _(
                    "%(email)s is not a member yet: an invitation is on its way. Their "
                    "application is accepted as soon as they fill in the form."
                )
                % {"email": joined.invitation.email},
            )
            return redirect("programs:applications", org_slug=org_slug, pk=program.pk)
    return render(
        request,
        "programs/applications/add.html",
        {"program": program, "form": form, "can_add": program.takes_late_joiners},
        status=400 if request.method == "POST" else 200,
    )


def applications_import(request, org_slug, pk):
    program = coordinator_program(request, pk)
    form = ApplicationsCsvForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                created = services.applications_import_csv(
                    program=program, data=form.cleaned_data["file"].read()
                )
                audit_record(
                    organization=request.organization,
                    action=Action.APPLICATIONS_IMPORTED,
                    request=request,
                    target=program,
                    program=program,
                    summary=f"{len(created)} applications from a CSV file",
                )
        except CsvImportError as exc:
            errors = exc.errors
        else:
            messages.success(request, _("%(n)d applications imported.") % {"n": len(created)})
            return redirect("programs:applications", org_slug=org_slug, pk=program.pk)
    return render(
        request,
        "programs/applications/import.html",
        {
            "program": program,
            "form": form,
            "errors": errors,
            "questions": form_questions(program=program),
        },
        status=400 if request.method == "POST" else 200,
    )


def applications_export(request, org_slug, pk):
    """The applications CSV (the coordinators' exports page offers the same file)."""
    program = coordinator_program(request, pk)
    header, rows = applications_table(program=program)
    rows = list(rows)
    audit_record(
        organization=request.organization,
        action=Action.EXPORT,
        request=request,
        target=program,
        program=program,
        summary=f"applications.csv, {len(rows)} row{'' if len(rows) == 1 else 's'}",
    )
    stamp = timezone.localdate().isoformat()
    return csv_response(filename=f"applications-{program.pk}-{stamp}.csv", header=header, rows=rows)


def join(request, token):
    """Public: a program's open application link."""
    program = open_link.program_for_open_link(token=token)
    if program is None:
        return render(request, "programs/applications/join_closed.html", status=404)
    organization = program.organization
    if request.user.is_authenticated:
        if request.method == "POST":
            open_link.open_link_join(program=program, user=request.user)
            return redirect("programs:apply", org_slug=organization.slug, pk=program.pk)
        with scope(organization=organization):
            from peercoach.tenancy.models import Membership

            is_member = Membership.objects.filter(
                organization=organization, user=request.user
            ).exists()
        if is_member:
            return redirect("programs:apply", org_slug=organization.slug, pk=program.pk)
        return render(
            request,
            "programs/applications/join.html",
            {"program": program, "join_org": organization, "form": None},
        )
    form = OpenLinkForm(request.POST or None)
    sent = False
    if request.method == "POST" and form.is_valid():
        try:
            open_link.open_link_request(
                program=program,
                email=form.cleaned_data["email"],
                # The client's address, through the proxies we trust (TRUSTED_PROXY_COUNT).
                ip=get_adapter(request).get_client_ip(request) or "",
            )
        except services.ApplicationError as exc:
            form.add_error("email", exc)
        else:
            sent = True
    return render(
        request,
        "programs/applications/join.html",
        {"program": program, "join_org": organization, "form": form, "sent": sent},
        status=400 if request.method == "POST" and not sent else 200,
    )
