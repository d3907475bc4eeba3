"""Writes for development plans: the plan, its goals, their steps and dated updates.

Only the plan's owner writes; the views make sure of that before calling these (they
look goals up through `selectors.goals.goal_for_owner`). Every write runs in a
transaction.

The primary objective is prefilled once, when the plan is created (the owner's first
save of anything on it), from their pair's signed agreement; from then on it is the
person's own text, and later agreements or amendments never overwrite it.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Goal, GoalStep, GoalUpdate, Plan


def plan_ensure(*, organization, program, user, prefill=""):
    """The person's plan in `program`, created with `prefill` as its objective when it
    does not exist yet. Idempotent, and safe when two requests create it at once."""
    plan = Plan.objects.filter(organization=organization, program=program, user=user).first()
    if plan is None:
        try:
            with transaction.atomic():
                plan = Plan.objects.create(
                    organization=organization,
                    program=program,
                    user=user,
                    primary_objective=prefill,
                )
        except IntegrityError:
            plan = Plan.objects.get(organization=organization, program=program, user=user)
    plan.organization, plan.program, plan.user = organization, program, user
    return plan


def plan_objective_set(*, plan, primary_objective):
    """Replace the plan's primary objective with the owner's text."""
    with transaction.atomic():
        plan.primary_objective = primary_objective
        plan.save(update_fields=["primary_objective", "updated_at"])
    return plan


def _status_note(status):
    return _("Status changed to “%(status)s”.") % {"status": Goal.Status(status).label}


def goal_create(*, plan, title, description="", target_date=None, status=Goal.Status.NOT_STARTED):
    """A new goal at the end of the plan."""
    with transaction.atomic():
        last = (
            Goal.objects.filter(organization=plan.organization, plan=plan)
            .order_by("-position")
            .values_list("position", flat=True)
            .first()
        )
        return Goal.objects.create(
            organization=plan.organization,
            plan=plan,
            title=title,
            description=description,
            target_date=target_date,
            status=status,
            position=0 if last is None else last + 1,
        )


def goal_edit(*, goal, author, title, description, target_date, status):
    """Save the goal's fields. A change of status is also recorded as a dated update, so
    the goal's history shows when it moved. Goals are never deleted: "Dropped" ends one."""
    with transaction.atomic():
        moved = status != goal.status
        goal.title = title
        goal.description = description
        goal.target_date = target_date
        goal.status = status
        goal.save(update_fields=["title", "description", "target_date", "status", "updated_at"])
        if moved:
            GoalUpdate.objects.create(
                organization=goal.organization,
                goal=goal,
                author=author,
                body=_status_note(status),
                status=status,
            )
    return goal


def goal_update_add(*, goal, author, body, status=""):
    """A dated note on the goal; a `status` (optional) becomes the goal's status."""
    with transaction.atomic():
        update = GoalUpdate.objects.create(
            organization=goal.organization, goal=goal, author=author, body=body, status=status
        )
        if status and status != goal.status:
            goal.status = status
            goal.save(update_fields=["status", "updated_at"])
    return update


def goal_step_add(*, goal, text, due_date=None):
    """A new step at the end of the goal's list, not done."""
    with transaction.atomic():
        last = (
            GoalStep.objects.filter(organization=goal.organization, goal=goal)
            .order_by("-position")
            .values_list("position", flat=True)
            .first()
        )
        return GoalStep.objects.create(
            organization=goal.organization,
            goal=goal,
            text=text,
            due_date=due_date,
            position=0 if last is None else last + 1,
        )


def goal_step_toggle(*, step, done=None):
    """Mark the step done (now) or not done. `done=None` flips it; an explicit value
    makes a repeated request (a double click) harmless."""
    if done is None:
        done = step.done_at is None
    with transaction.atomic():
        if done and step.done_at is None:
            step.done_at = timezone.now()
        elif not done:
            step.done_at = None
        step.save(update_fields=["done_at"])
    return step
