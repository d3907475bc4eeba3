"""Development plans: my plan in a program, its goals, steps and updates; a partner's
plan, read-only.

Who reaches what:
- `plan` and `goal_create`: the person, for a program where they are or were in a
  published pair or circle; anyone else (coordinators included) gets 404.
- The goal pages: only the owner of the goal's plan; anyone else gets 404, the partner
  included (they read the plan on `partner_plan`, they never write it).
- `partner_plan`: the current or former members of that pair or circle; 404 otherwise.
Once the program is closed the plan is read-only.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from peercoach.web.views import redirect_to
from programs.models import Program

from ..access import match_for_member
from ..forms.goals import GoalForm, GoalUpdateForm, ObjectiveForm, StepForm
from ..models import GoalStep
from ..selectors.goals import (
    goal_for_owner,
    goal_updates,
    goals_of_plan,
    plan_matches,
    plan_member,
    plan_or_draft,
    plan_readers,
)
from ..services import goals as services

# --- Lookups -----------------------------------------------------------------------------


def _my_program(request, pk):
    """The program `pk` and the requester's pairs in it; 404 unless they were matched."""
    program = get_object_or_404(Program, pk=pk, organization=request.organization)
    program.organization = request.organization
    matches = plan_matches(organization=request.organization, user=request.user, program=program)
    if not matches:
        raise Http404("No plan here.")
    return program, matches


def _my_goal(request, pk):
    goal = goal_for_owner(organization=request.organization, user=request.user, pk=pk)
    if goal is None:
        raise Http404("No such goal.")
    goal.organization = goal.plan.organization = goal.plan.program.organization = (
        request.organization
    )
    return goal


def _writable(program):
    return program.status != Program.Status.CLOSED


def _closed(request, program):
    messages.error(request, _("This program has closed: its plans are read-only."))
    response = _to_plan(program)
    if request.htmx:
        # Reload the whole page (with the message) rather than swap it into a fragment.
        return HttpResponseClientRedirect(response["Location"])
    return response


def _to_plan(program, anchor=""):
    return redirect_to("sessions:plan", anchor, org_slug=program.organization.slug, pk=program.pk)


def _my_plan(request, program, matches):
    """My saved plan, or the draft `plan_or_draft` makes (not stored)."""
    return plan_or_draft(
        organization=request.organization, user=request.user, program=program, matches=matches
    )


def _stored(request, program, plan):
    """`plan`, stored now if it is still a draft: its prefilled objective is kept."""
    if plan.pk is not None:
        return plan
    return services.plan_ensure(
        organization=request.organization,
        program=program,
        user=request.user,
        prefill=plan.primary_objective,
    )


def _plan_context(*, plan, program, owner, is_mine, writable):
    return {
        "program": program,
        "plan": plan,
        "goals": goals_of_plan(plan),
        "owner": owner,
        "is_mine": is_mine,
        "writable": is_mine and writable,
    }


# --- My plan -----------------------------------------------------------------------------


@never_cache
def plan(request, org_slug, pk):
    """My plan: the objective (saved here) and the goals on their timeline."""
    program, matches = _my_program(request, pk)
    writable = _writable(program)
    current = _my_plan(request, program, matches)
    form = ObjectiveForm(
        request.POST if request.method == "POST" else None,
        initial={"primary_objective": current.primary_objective},
    )
    if request.method == "POST":
        if not writable:
            return _closed(request, program)
        if form.is_valid():
            saved = _stored(request, program, current)
            services.plan_objective_set(
                plan=saved, primary_objective=form.cleaned_data["primary_objective"]
            )
            messages.success(request, _("Your primary objective was saved."))
            return _to_plan(program, "objective")
    context = _plan_context(
        plan=current, program=program, owner=request.user, is_mine=True, writable=writable
    )
    context.update(
        {
            "objective_form": form,
            "step_form": StepForm(),
            "readers": plan_readers(matches=matches, user=request.user),
            "prefilled": current.pk is None and bool(current.primary_objective),
        }
    )
    return render(request, "sessions/goals/plan.html", context, status=400 if form.errors else 200)


@never_cache
def goal_create(request, org_slug, pk):
    program, matches = _my_program(request, pk)
    if not _writable(program):
        return _closed(request, program)
    form = GoalForm(request.POST or None, creating=True)
    if request.method == "POST" and form.is_valid():
        saved = _stored(request, program, _my_plan(request, program, matches))
        goal = services.goal_create(plan=saved, **form.cleaned_data)
        messages.success(request, _("Goal added."))
        return _to_plan(program, f"goal-{goal.pk}")
    return render(
        request,
        "sessions/goals/goal_form.html",
        {"form": form, "program": program, "goal": None},
        status=400 if form.errors else 200,
    )


@never_cache
def goal_edit(request, org_slug, pk):
    goal = _my_goal(request, pk)
    program = goal.plan.program
    if not _writable(program):
        return _closed(request, program)
    form = GoalForm(
        request.POST or None,
        initial={
            "title": goal.title,
            "description": goal.description,
            "target_date": goal.target_date,
            "status": goal.status,
        },
    )
    if request.method == "POST" and form.is_valid():
        services.goal_edit(goal=goal, author=request.user, **form.cleaned_data)
        messages.success(request, _("Goal saved."))
        return _to_plan(program, f"goal-{goal.pk}")
    return render(
        request,
        "sessions/goals/goal_form.html",
        {"form": form, "program": program, "goal": goal},
        status=400 if form.errors else 200,
    )


@require_POST
def goal_step_add(request, org_slug, pk):
    goal = _my_goal(request, pk)
    program = goal.plan.program
    if not _writable(program):
        return _closed(request, program)
    form = StepForm(request.POST)
    if form.is_valid():
        services.goal_step_add(goal=goal, **form.cleaned_data)
    if request.htmx:
        return render(
            request,
            "sessions/goals/plan.html#steps",
            {
                "goal": goal,
                "writable": True,
                "is_mine": True,
                "step_form": StepForm() if form.is_valid() else form,
            },
            # 200 even for an error: htmx does not swap 4xx answers, and the person
            # must see the message in place.
            status=200,
        )
    if form.is_valid():
        messages.success(request, _("Step added."))
    else:
        messages.error(
            request,
            _("The step was not added: %(problem)s")
            % {"problem": " ".join(e for errors in form.errors.values() for e in errors)},
        )
    return _to_plan(program, f"goal-{goal.pk}")


@require_POST
def goal_step_toggle(request, org_slug, pk, step_pk):
    goal = _my_goal(request, pk)
    program = goal.plan.program
    step = get_object_or_404(GoalStep, pk=step_pk, goal=goal, organization=request.organization)
    if not _writable(program):
        return _closed(request, program)
    wanted = {"1": True, "0": False}.get(request.POST.get("done", ""))
    services.goal_step_toggle(step=step, done=wanted)
    if request.htmx:
        return render(
            request,
            "sessions/goals/plan.html#step",
            {"goal": goal, "step": step, "writable": True, "is_mine": True},
        )
    return _to_plan(program, f"goal-{goal.pk}")


@never_cache
def goal_update(request, org_slug, pk):
    """A goal's dated updates: add one (optionally moving the status), read them all."""
    goal = _my_goal(request, pk)
    program = goal.plan.program
    writable = _writable(program)
    form = GoalUpdateForm(request.POST or None)
    if request.method == "POST":
        if not writable:
            return _closed(request, program)
        if form.is_valid():
            services.goal_update_add(goal=goal, author=request.user, **form.cleaned_data)
            messages.success(request, _("Update added."))
            return _to_plan(program, f"goal-{goal.pk}")
    return render(
        request,
        "sessions/goals/goal_update.html",
        {
            "form": form,
            "goal": goal,
            "program": program,
            "updates": goal_updates(goal),
            "writable": writable,
        },
        status=400 if form.errors else 200,
    )


# --- A partner's plan --------------------------------------------------------------------


@never_cache
def partner_plan(request, org_slug, pk, user_pk):
    """The plan of a member of my pair or circle, read-only."""
    match = match_for_member(request, pk)
    member = plan_member(match=match, user_pk=user_pk)
    if member is None:
        raise Http404("No such member.")
    program = match.program
    if member.user_id == request.user.pk:
        return redirect("sessions:plan", org_slug=request.organization.slug, pk=program.pk)
    owner = member.user
    matches = plan_matches(organization=request.organization, user=owner, program=program)
    current = plan_or_draft(
        organization=request.organization, user=owner, program=program, matches=matches
    )
    context = _plan_context(
        plan=current, program=program, owner=owner, is_mine=False, writable=False
    )
    context["match"] = match
    return render(request, "sessions/goals/plan.html", context)
