"""Pairing pages for coordinators: run the matcher, adjust the proposal, publish, end."""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from peercoach.audit.models import Action
from peercoach.audit.services import audit_record
from peercoach.hooks import hooks_run
from peercoach.tenancy.access import coordinator_required
from peercoach.web.forms import object_id

from ..access import coordinator_program
from ..models import Match, MatchingRun
from ..selectors.pairing import (
    held_apart_names,
    latest_run,
    match_counts,
    matches_for_program,
    run_method_text,
    waiting_people,
)
from ..services import pairing as services
from ..services import proposals
from ..services.applications import ApplicationError, applications_decide


def _proposal_context(program):
    run = latest_run(program=program)
    proposed = matches_for_program(program=program, statuses=[Match.Status.PROPOSED])
    return {
        "program": program,
        "run": run,
        "run_text": run_method_text(run) if run else "",
        "proposed": proposed,
        "kept": sum(1 for m in proposed if m.locked),
        "held_apart": held_apart_names(program=program),
        "waiting": waiting_people(program=program, run=run),
        "counts": match_counts(program=program),
    }


def _back_to_proposal(request, program):
    """After an edit: the proposal fragment for HTMX, a redirect to the page otherwise.

    The fragment also carries the action bar out of band, so every count an edit changes
    (the publish button's among them) is current without a reload.
    """
    if request.htmx:
        program.refresh_from_db(fields=["held_apart", "status"])
        # Only the fragment: a whole page would bring a <style> with a nonce the page refuses.
        return render(
            request,
            "programs/pairing/proposal.html#proposal",
            {**_proposal_context(program), "oob": True},
        )
    return redirect("programs:pairing", org_slug=program.organization.slug, pk=program.pk)


def proposal(request, org_slug, pk):
    program = coordinator_program(request, pk)
    return render(request, "programs/pairing/proposal.html", _proposal_context(program))


@coordinator_required
@require_POST
def run_start(request, org_slug, pk):
    program = coordinator_program(request, pk)
    try:
        run = services.matching_run_start(program=program, started_by=request.user)
    except services.PairingError as exc:
        messages.error(request, exc.messages[0])
    else:
        run.refresh_from_db()
        if run.status == MatchingRun.Status.DONE:
            messages.success(request, _("Matching finished: review the proposal below."))
        elif run.status == MatchingRun.Status.FAILED:
            messages.error(request, run.error)
        else:
            messages.info(request, _("Matching started; this page shows its progress."))
    return redirect("programs:pairing", org_slug=org_slug, pk=program.pk)


def run_progress(request, org_slug, pk, run_pk):
    """The progress fragment HTMX polls while a run works; a finished run reloads the page."""
    program = coordinator_program(request, pk)
    run = get_object_or_404(
        MatchingRun, pk=run_pk, program=program, organization=request.organization
    )
    response = render(request, "programs/pairing/_progress.html", {"program": program, "run": run})
    if (run.is_finished or run.is_stale) and request.htmx:
        response["HX-Refresh"] = "true"
    return response


def _slot(value):
    """("member", match_id, application_id) or ("pool", application_id) from a form value."""
    kind, *ids = value.split(":")
    ids = [object_id(i) for i in ids]
    if None in ids:
        return None
    if kind == "m" and len(ids) == 2:
        return ("member", *ids)
    if kind == "p" and len(ids) == 1:
        return ("pool", ids[0])
    return None


def _edit(program, action, slots, user):
    """Apply one edit of the proposal; returns the success message or raises PairingError."""
    verb, _sep, target = action.partition(":")
    if verb in {"lock", "unlock"} and object_id(target):
        proposals.match_lock(program=program, match_id=object_id(target), locked=verb == "lock")
        return _("Locked: a new run keeps it.") if verb == "lock" else _("Unlocked.")
    if verb == "swap":
        if len(slots) != 2:
            raise services.PairingError(_("Select exactly two people to swap or pair."))
        proposals.proposal_swap(program=program, first=slots[0], second=slots[1])
        return _("Done: the scores were recalculated, and the changed proposals are locked.")
    if verb == "add":
        pool = [s for s in slots if s[0] == "pool"]
        members = [s for s in slots if s[0] == "member"]
        if len(pool) != 1 or len(members) != 1:
            raise services.PairingError(
                _("Select one waiting person and one member of the group to join.")
            )
        proposals.proposal_add(program=program, match_id=members[0][1], application_id=pool[0][1])
        return _("Added to the group, which is now locked.")
    if verb == "remove":
        members = [s for s in slots if s[0] == "member"]
        if len(members) != 1:
            raise services.PairingError(_("Select one person to take out of their group."))
        proposals.proposal_remove(
            program=program, match_id=members[0][1], application_id=members[0][2]
        )
        return _(
            "Taken out; they are waiting again. A new run will not put them back with the "
            "people they were taken from."
        )
    if verb == "waitlist":
        pool = [s[1] for s in slots if s[0] == "pool"]
        if not pool or len(pool) != len(slots):
            raise services.PairingError(_("Select waiting people only to wait-list them."))
        try:
            changed = applications_decide(
                program=program, application_ids=pool, decision="waitlist", decided_by=user
            )
        except ApplicationError as exc:
            raise services.PairingError(exc.messages) from None
        return ngettext(
            "%(n)d person wait-listed and emailed.",
            "%(n)d people wait-listed and emailed.",
            changed,
        ) % {"n": changed}
    raise services.PairingError(_("Choose what to do with the selection."))


@coordinator_required
@require_POST
def proposal_edit(request, org_slug, pk):
    """Swap, pair by hand, add to a group, remove, lock or unlock (HTMX or plain POST)."""
    program = coordinator_program(request, pk)
    slots = [s for s in (_slot(v) for v in request.POST.getlist("slot")) if s is not None]
    try:
        message = _edit(program, request.POST.get("action", ""), slots, request.user)
    except services.PairingError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, message)
    return _back_to_proposal(request, program)


@coordinator_required
@require_POST
def exclusion_create(request, org_slug, pk):
    """Never pair the two selected people (in any program of the organisation)."""
    program = coordinator_program(request, pk)
    slots = [s for s in (_slot(v) for v in request.POST.getlist("slot")) if s is not None]
    application_ids = [s[-1] for s in slots]
    users = dict(
        program.applications.filter(
            organization=request.organization, pk__in=application_ids
        ).values_list("pk", "user_id")
    )
    if len(slots) != 2 or len(users) != 2:
        messages.error(request, _("Select exactly two people who should never be paired."))
    else:
        first, second = users.values()
        proposals.exclusion_create(
            organization=request.organization,
            first_user_id=first,
            second_user_id=second,
            created_by=request.user,
        )
        messages.success(
            request,
            _("Noted: these two will never be paired. Run matching again to apply it."),
        )
    return _back_to_proposal(request, program)


@coordinator_required
@require_POST
def publish(request, org_slug, pk):
    program = coordinator_program(request, pk)
    try:
        count = proposals.proposal_publish(program=program, published_by=request.user)
    except services.PairingError as exc:
        messages.error(request, exc.messages[0])
        return redirect("programs:pairing", org_slug=org_slug, pk=program.pk)
    messages.success(
        request,
        (
            ngettext(
                "%(n)d pair published; its members were emailed.",
                "%(n)d pairs published; every member was emailed.",
                count,
            )
            if program.is_pairs
            else ngettext(
                "%(n)d circle published; its members were emailed.",
                "%(n)d circles published; every member was emailed.",
                count,
            )
        )
        % {"n": count},
    )
    if count:
        for warnings in hooks_run("publish_readiness", program=program):
            for warning in warnings:
                messages.warning(request, warning)
    return redirect("programs:matches", org_slug=org_slug, pk=program.pk)


def match_list(request, org_slug, pk):
    program = coordinator_program(request, pk)
    return render(
        request,
        "programs/pairing/matches.html",
        {
            "program": program,
            "active": matches_for_program(program=program, statuses=[Match.Status.ACTIVE]),
            "ended": matches_for_program(program=program, statuses=[Match.Status.ENDED]),
            "counts": match_counts(program=program),
        },
    )


@coordinator_required
@require_POST
def match_end(request, org_slug, pk, match_pk):
    program = coordinator_program(request, pk)
    match = get_object_or_404(
        Match, pk=match_pk, program=program, organization=request.organization
    )
    try:
        with transaction.atomic():
            proposals.match_end(
                match=match, ended_by=request.user, reason=request.POST.get("reason", "")
            )
            if match.status != Match.Status.ENDED:  # not a repeated click
                audit_record(
                    organization=request.organization,
                    action=Action.MATCH_ENDED,
                    request=request,
                    target=match,
                    program=program,
                    summary="Members free to be paired again",
                )
    except services.PairingError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(
            request,
            _("Ended. Its members are waiting for new partners on the pairing page."),
        )
    return redirect("programs:matches", org_slug=org_slug, pk=program.pk)
