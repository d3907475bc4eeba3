"""The coordinators' side of agreements: the template builder and the status list.

Every view carries `coordinator_required` first (a participant gets 403 before anything
else, 405 included), then finds the program with `coordinator_program` (another
tenant's: 404). Item ids are looked up within the program and organisation: another
program's item answers 404. Services refuse bad input with ValidationError, shown next
to the field or as a message; a change to a version someone signed makes the next
version, and the page says so.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from peercoach.tenancy.access import coordinator_required
from peercoach.tenancy.languages import language_of
from peercoach.web.views import form_error, redirect_to
from programs.access import coordinator_program

from .. import fields as field_kinds
from ..forms.builder import (
    KIND_HELP,
    ItemForm,
    StarterForm,
    TemplateSettingsForm,
    kind_choices,
)
from ..models import AgreementItem
from ..selectors.templates import (
    agreement_status_rows,
    builder_page,
    preview_items,
    status_summary,
)
from ..services import templates as services
from ..services.create import agreements_move_to_current, agreements_start_missing
from ..services.versions import template_current
from ..starters import STARTERS, starter_for_program

Kind = AgreementItem.Kind


def _to_builder(program, anchor=""):
    return redirect_to(
        "agreements:template", anchor, org_slug=program.organization.slug, pk=program.pk
    )


def _back(request, program):
    """Back to the page the coordinator acted from: the pairing page's publish step or the
    program page (named by a fixed token, never a URL taken from the request), else the
    builder."""
    then = request.POST.get("then", "")
    if then == "pairing":
        return redirect("programs:pairing", org_slug=program.organization.slug, pk=program.pk)
    if then == "program":
        return redirect("programs:detail", org_slug=program.organization.slug, pk=program.pk)
    return _to_builder(program)


def _item(request, program, item_pk):
    """An item of any version of this program's template, else 404."""
    return get_object_or_404(
        AgreementItem.objects.select_related("template"),
        pk=item_pk,
        organization=request.organization,
        template__program=program,
    )


def _current_counterpart(item, program):
    """The current version's item with `item`'s key (what an edit will change), or `item`
    itself when the current version no longer has it (the save then says so)."""
    current = template_current(program)
    if current is None or current.pk == item.template_id:
        return item
    return (
        AgreementItem.objects.filter(
            organization=item.organization, template=current, key=item.key
        ).first()
        or item
    )


def _version_note(request, before, after):
    """Tell the coordinator when their change started a new version."""
    if before is not None and after.version != before.version:
        messages.info(
            request,
            _(
                "Someone had signed version %(old)s, so your change made version %(new)s. "
                "Agreements already made keep version %(old)s, unless you move those nobody "
                "has signed; new agreements and amendments use version %(new)s."
            )
            % {"old": before.version, "new": after.version},
        )


def _builder(request, program, *, settings_form=None, starter_form=None, status=200):
    page = builder_page(program=program)
    template = page["template"]
    if settings_form is None:
        settings_form = TemplateSettingsForm(initial=TemplateSettingsForm.initial_for(template))
    if starter_form is None:
        starter_form = StarterForm(
            initial={
                "starter": starter_for_program(program),
                "language": language_of(None, program.organization),
            }
        )
    context = {
        "program": program,
        **page,
        "settings_form": settings_form,
        "starter_form": starter_form,
        "starters": list(STARTERS.values()),
        "suggested_starter": starter_for_program(program),
        "kinds": kind_choices(),
    }
    return render(request, "agreements/builder/builder.html", context, status=status)


@coordinator_required
def template_builder(request, org_slug, pk):
    """The program's agreement template: its items in order, settings, starters."""
    program = coordinator_program(request, pk)
    return _builder(request, program)


@coordinator_required
def template_settings(request, org_slug, pk):
    program = coordinator_program(request, pk)
    if request.method != "POST":
        return _to_builder(program, "settings-heading")
    form = TemplateSettingsForm(request.POST)
    if form.is_valid():
        before = template_current(program)
        try:
            template = services.template_settings_update(
                program=program, user=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("The agreement's settings were saved."))
            _version_note(request, before, template)
            return _to_builder(program, "settings-heading")
    return _builder(request, program, settings_form=form)


@coordinator_required
@require_POST
def template_starter(request, org_slug, pk):
    program = coordinator_program(request, pk)
    form = StarterForm(request.POST)
    if form.is_valid():
        before = template_current(program)
        try:
            template = services.template_from_starter(
                program=program,
                starter_key=form.cleaned_data["starter"],
                user=request.user,
                replace=form.cleaned_data["replace"],
                language=form.cleaned_data["language"],
            )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(
                request,
                _(
                    "The template now follows “%(starter)s”. Read every item through and "
                    "adapt it to your program before pairs start filling it in."
                )
                % {"starter": STARTERS[form.cleaned_data["starter"]].label},
            )
            _version_note(request, before, template)
            return _back(request, program)
    return _builder(request, program, starter_form=form)


@coordinator_required
def template_preview(request, org_slug, pk):
    """The current version as a pair sees it, read-only."""
    program = coordinator_program(request, pk)
    template = template_current(program)
    return render(
        request,
        "agreements/builder/preview.html",
        {
            "program": program,
            "template": template,
            "items": preview_items(template) if template else [],
            "frequencies": [(key, label) for key, label, _days in field_kinds.FREQUENCIES],
        },
    )


def _item_page(request, program, form, kind, item=None):
    return render(
        request,
        "agreements/builder/item_form.html",
        {
            "program": program,
            "form": form,
            "kind": kind,
            "kind_label": Kind(kind).label,
            "kind_help": KIND_HELP[kind],
            "item": item,
        },
    )


@coordinator_required
def item_create(request, org_slug, pk):
    """GET ?kind=...: the form for a new clause or field of that kind; no kind: the
    kind picker."""
    program = coordinator_program(request, pk)
    kind = request.POST.get("kind") if request.method == "POST" else request.GET.get("kind")
    if kind not in Kind.values:
        return render(
            request,
            "agreements/builder/item_form.html",
            {"program": program, "kinds": kind_choices(), "form": None, "item": None},
        )
    form = ItemForm(request.POST or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        before = template_current(program)
        try:
            item = services.item_create(
                program=program, user=request.user, kind=kind, **form.service_fields()
            )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("“%(title)s” was added.") % {"title": item.title})
            _version_note(request, before, item.template)
            return _to_builder(program, f"item-{item.pk}")
    return _item_page(request, program, form, kind)


@coordinator_required
def item_edit(request, org_slug, pk, item_pk):
    program = coordinator_program(request, pk)
    item = _current_counterpart(_item(request, program, item_pk), program)
    form = ItemForm(request.POST or None, kind=item.kind, initial=ItemForm.initial_for(item))
    if request.method == "POST" and form.is_valid():
        before = template_current(program)
        try:
            changed = services.item_update(
                program=program, item=item, user=request.user, **form.service_fields()
            )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("“%(title)s” was saved.") % {"title": changed.title})
            _version_note(request, before, changed.template)
            return _to_builder(program, f"item-{changed.pk}")
    return _item_page(request, program, form, item.kind, item)


@coordinator_required
@require_POST
def item_delete(request, org_slug, pk, item_pk):
    program = coordinator_program(request, pk)
    item = _item(request, program, item_pk)
    before = template_current(program)
    try:
        template = services.item_delete(program=program, item=item, user=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("“%(title)s” was removed.") % {"title": item.title})
        _version_note(request, before, template)
    return _to_builder(program, "items-heading")


@coordinator_required
@require_POST
def item_move(request, org_slug, pk, item_pk):
    program = coordinator_program(request, pk)
    item = _item(request, program, item_pk)
    before = template_current(program)
    try:
        moved = services.item_move(
            program=program,
            item=item,
            user=request.user,
            direction=request.POST.get("direction", ""),
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return _to_builder(program, "items-heading")
    messages.success(request, _("“%(title)s” was moved.") % {"title": moved.title})
    _version_note(request, before, moved.template)
    return _to_builder(program, f"item-{moved.pk}")


@coordinator_required
@require_POST
def agreements_start(request, org_slug, pk):
    """Give every active pair or circle without an agreement one from the current version."""
    program = coordinator_program(request, pk)
    template = template_current(program)
    if (
        template is None
        or not AgreementItem.objects.filter(
            organization=program.organization, template=template
        ).exists()
    ):
        messages.error(request, _("Write the template first: it has no items yet."))
        return _back(request, program)
    created = agreements_start_missing(program=program)
    if created:
        messages.success(
            request,
            ngettext(
                "%(n)d agreement was started; its parties can fill it in now.",
                "%(n)d agreements were started; the parties can fill them in now.",
                created,
            )
            % {"n": created},
        )
    else:
        messages.info(request, _("Every active pair or circle already has an agreement."))
    return _back(request, program)


@coordinator_required
@require_POST
def agreements_upgrade(request, org_slug, pk):
    """Move the agreements nobody has signed yet to the current template version."""
    program = coordinator_program(request, pk)
    moved = agreements_move_to_current(program=program, user=request.user)
    if moved:
        messages.success(
            request,
            ngettext(
                "%(n)d agreement now uses the current version; its answers were kept.",
                "%(n)d agreements now use the current version; their answers were kept.",
                moved,
            )
            % {"n": moved},
        )
    else:
        messages.info(request, _("Every unsigned agreement already uses the current version."))
    return _to_builder(program)


@coordinator_required
def status_list(request, org_slug, pk):
    """Where each pair's or circle's agreement stands: status only, never its content."""
    program = coordinator_program(request, pk)
    rows = agreement_status_rows(program=program)
    return render(
        request,
        "agreements/builder/status_list.html",
        {"program": program, "rows": rows, "summary": status_summary(rows)},
    )
