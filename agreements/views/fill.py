"""The parties' pages: fill the agreement together, review and sign it, its history.

Only the parties reach these pages (`agreement_for_party`: anyone else gets 404).
Fields save one at a time: over HTMX on change (the answer is the field's status
fragment, with its new revision swapped in out of band), or by a plain form post.
Nothing a person typed is dropped: a conflicting or invalid save shows their text again
next to the message.
"""

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from peercoach.tenancy.pages import render_cached
from peercoach.web.forms import object_id
from peercoach.web.views import redirect_to

from .. import fields
from ..access import agreement_for_party
from ..models import AgreementItem
from ..selectors.agreement import agreement_in_force
from ..selectors.fill import agreement_history, agreement_page, cell_for
from ..services.amend import agreement_amend
from ..services.amend import amendment_withdraw as services_withdraw
from ..services.common import Actor, AgreementError
from ..services.fill import value_save
from ..services.sign import agreement_sign, signing_texts


def _actor(request):
    return Actor(
        user=request.user,
        ip=get_adapter(request).get_client_ip(request) or None,
        user_agent=request.headers.get("User-Agent", "").replace("\x00", "")[:500],
    )


def _to_detail(agreement, anchor=""):
    return redirect_to(
        "agreements:detail", anchor, org_slug=agreement.organization.slug, pk=agreement.pk
    )


@never_cache
def detail(request, org_slug, pk):
    def build():
        agreement = agreement_for_party(request, pk)
        return agreement_page(agreement=agreement, user=request.user)

    # Cached for this person until the organisation's next write, the party check with it
    # (peercoach.tenancy.pages).
    return render_cached(request, "agreements/detail.html", build, name="agreement", vary=(pk,))


def _seen_revision(data):
    """The revision a save may overwrite.

    Normally the one the form was showing (`revision`). After a conflict the warning shows
    the partner's text with a "Replace theirs with mine" button: its `replace` carries the
    revision of the text it showed, and is the only way a form gets to overwrite a revision
    it was not loaded with. Any other save (the change event, the Save button, a plain
    post) still carries the old revision and is refused again, however many are sent.
    """
    replace = data.get("replace", "")
    if replace:
        return object_id(replace) or 0
    return object_id(data.get("revision", "")) or 0


@require_POST
def field_save(request, org_slug, pk, item_pk):
    agreement = agreement_for_party(request, pk)
    # The page may predate a change of template version: find the field by its key in
    # the agreement's version, so what the person typed still lands in the right place.
    posted = get_object_or_404(
        AgreementItem,
        organization=agreement.organization,
        template__program_id=agreement.program_id,
        pk=item_pk,
    )
    item = (
        posted
        if posted.template_id == agreement.template_id
        else AgreementItem.objects.filter(
            organization=agreement.organization, template=agreement.template, key=posted.key
        ).first()
    )
    if item is None or not item.is_field or item.kind != posted.kind:
        message = _(
            "The program team changed this agreement and “%(field)s” is no longer in it. "
            "Reload the page; copy what you typed first if you want to keep it."
        ) % {"field": posted.title}
        if request.htmx:
            stale = cell_for(agreement=agreement, item=posted, user=request.user, row=None)
            stale.error = message
            return render(
                request,
                "agreements/detail.html#cell_status",
                {"cell": stale, "oob": False, "agreement": agreement},
            )
        messages.error(request, message)
        return _to_detail(agreement)
    cell = cell_for(agreement=agreement, item=item, user=request.user)
    cell.data = request.POST
    seen = _seen_revision(request.POST)
    # Until the save goes through, the form stays on the revision it was showing.
    cell.seen = object_id(request.POST.get("revision", "")) or 0
    try:
        value = fields.parse(item, request.POST)
        result = value_save(
            agreement=agreement, item=item, actor=_actor(request), value=value, seen_revision=seen
        )
    except ValidationError as exc:
        cell.error = " ".join(exc.messages)
    except AgreementError as exc:
        if not request.htmx:
            # Locked, replaced or ended: nothing can be saved here, the page says why.
            messages.error(request, str(exc))
            return _to_detail(agreement)
        cell.error = str(exc)
    else:
        cell.row = result.row
        cell.conflict = result.conflict
        cell.saved = result.changed
        cell.voided = result.voided
        if not result.conflict:
            # Saved, or the stored text already is theirs: the form moves on with it.
            cell.data = None
            cell.seen = None
    if request.htmx:
        # The field's status, its new revision and, out of band, the signatures panel:
        # filling the last required field shows "Review and sign" without a reload.
        status = render_to_string(
            "agreements/detail.html#cell_status",
            {"cell": cell, "oob": True, "agreement": agreement},
            request,
        )
        page = agreement_page(agreement=agreement, user=request.user)
        panel = render_to_string(
            "agreements/detail.html#signatures", {**page, "oob": True}, request
        )
        return HttpResponse(status + panel)
    if cell.error or cell.conflict:
        # Show the whole page again with what they typed, so nothing is lost.
        context = agreement_page(agreement=agreement, user=request.user)
        for view in context["items"]:
            view.cells = [cell if c.dom_id == cell.dom_id else c for c in view.cells]
        return render(
            request, "agreements/detail.html", context, status=409 if cell.conflict else 400
        )
    if cell.saved:
        messages.success(request, _("Saved “%(field)s”.") % {"field": item.title})
        if cell.voided:
            messages.warning(
                request, _("Your change cancelled the signatures: everyone needs to sign again.")
            )
    return _to_detail(agreement, f"item-{item.pk}")


@never_cache
def sign(request, org_slug, pk):
    agreement = agreement_for_party(request, pk)
    error = ""
    typed_name = request.user.get_full_name()
    if request.method == "POST":
        typed_name = request.POST.get("typed_name", "")
        try:
            agreement_sign(
                agreement=agreement,
                actor=_actor(request),
                typed_name=typed_name,
                consent=request.POST.get("consent") == "on",
                intent=request.POST.get("intent") == "on",
                seen_sha256=request.POST.get("sha256", ""),
            )
        except AgreementError as exc:
            error = str(exc)
        else:
            messages.success(request, _("You signed the agreement."))
            return _to_detail(agreement, "signatures")
    # What is signed reads the same for every party: the document and the two boxes in
    # the language the agreement is issued in, the rest of the page in the person's own.
    with translation.override(agreement.issued_language):
        context = agreement_page(agreement=agreement, user=request.user)
    consent_text, intent_text = signing_texts(agreement)
    context.update(
        {
            "error": error,
            "typed_name": typed_name[:200],
            # Shown exactly as recorded with the signature.
            "consent_text": consent_text,
            "intent_text": intent_text,
            "issued_language": agreement.issued_language,
        }
    )
    return render(request, "agreements/sign.html", context, status=400 if error else 200)


@never_cache
def history(request, org_slug, pk):
    agreement = agreement_for_party(request, pk)
    return render(
        request,
        "agreements/history.html",
        {"agreement": agreement, "events": agreement_history(agreement=agreement)},
    )


@require_POST
def amendment_withdraw(request, org_slug, pk):
    agreement = agreement_for_party(request, pk)
    try:
        services_withdraw(agreement=agreement, actor=_actor(request))
    except AgreementError as exc:
        messages.error(request, str(exc))
        return _to_detail(agreement)
    in_force = agreement_in_force(agreement)
    messages.success(request, _("Amendment withdrawn. The signed agreement stays in force."))
    return _to_detail(in_force or agreement)


@require_POST
def amend(request, org_slug, pk):
    agreement = agreement_for_party(request, pk)
    try:
        amendment = agreement_amend(agreement=agreement, actor=_actor(request))
    except AgreementError as exc:
        messages.error(request, str(exc))
        return _to_detail(agreement)
    amendment.organization = agreement.organization
    messages.success(
        request,
        _(
            "Amendment started. Change what you need; everyone signs it again. "
            "Until then the signed agreement stays in force."
        ),
    )
    return _to_detail(amendment)
