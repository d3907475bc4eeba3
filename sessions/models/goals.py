"""Development plans, goals and progress reports."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from peercoach.tenancy.models import TenantModel
from programs.models import Match, Program

from ._base import org_id_unique

USER = settings.AUTH_USER_MODEL


class Plan(TenantModel):
    """A participant's development plan in one program.

    The primary objective starts from their agreement's per-party field. The person and
    their current partners read the plan; the program team sees only counts and statuses.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    primary_objective = models.TextField(_("primary objective"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            org_id_unique("plan_org_id"),
            models.UniqueConstraint(fields=["organization", "program", "user"], name="plan_one"),
        ]


class Goal(TenantModel):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("Not started")
        IN_PROGRESS = "in_progress", _("In progress")
        ACHIEVED = "achieved", _("Achieved")
        DROPPED = "dropped", _("Dropped")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="goals")
    title = models.CharField(_("goal"), max_length=300)
    description = models.TextField(_("what success looks like"), blank=True)
    target_date = models.DateField(_("target date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NOT_STARTED
    )
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [org_id_unique("goal_org_id")]
        indexes = [models.Index(fields=["organization", "plan"], name="goal_org_plan")]

    def __str__(self):
        # Not the title: Django's admin names related objects by `str()` (e.g. on an
        # organisation's or a user's delete page), and a goal is the participant's
        # writing, none of the operators' business.
        return f"Goal {self.pk}"


class GoalStep(TenantModel):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="steps")
    text = models.CharField(_("step"), max_length=500)
    due_date = models.DateField(_("by"), null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [org_id_unique("goal_step_org_id")]
        indexes = [models.Index(fields=["organization", "goal"], name="goal_step_org_goal")]


class GoalUpdate(TenantModel):
    """A dated note on a goal's progress, with the status it moved to (if it moved)."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(_("update"))
    status = models.CharField(max_length=20, choices=Goal.Status.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [org_id_unique("goal_update_org_id")]
        indexes = [models.Index(fields=["organization", "goal"], name="goal_update_org_goal")]


class ProgressReport(TenantModel):
    """One person's progress report for one reporting period of their pair or circle.

    Periods are counted from the day the pair was published, at the agreed reporting
    frequency. The rating is always shared with the program team as a signal; every
    other answer is shared only if the author ticked it.
    """

    class Answer(models.TextChoices):
        YES = "yes", _("Yes")
        PARTLY = "partly", _("Partly")
        NO = "no", _("No")

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="reports")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    period = models.PositiveIntegerField()  # 1 for the first period, 2 for the next...
    period_end = models.DateField()
    working = models.CharField(_("is it working?"), max_length=10, choices=Answer.choices)
    working_shared = models.BooleanField(default=False)
    beneficial = models.CharField(
        _("is it mutually beneficial?"), max_length=10, choices=Answer.choices
    )
    beneficial_shared = models.BooleanField(default=False)
    change = models.TextField(_("what should change?"), blank=True)
    change_shared = models.BooleanField(default=False)
    rating = models.PositiveSmallIntegerField(
        _("overall rating"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["period", "id"]
        constraints = [
            org_id_unique("report_org_id"),
            models.UniqueConstraint(
                fields=["organization", "match", "author", "period"], name="report_one_per_period"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "program", "submitted_at"], name="report_org_prog")
        ]


class GoalProgress(TenantModel):
    """Progress on one goal in a report; shared with the program team only if ticked."""

    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="goals")
    goal = models.ForeignKey(Goal, null=True, on_delete=models.SET_NULL, related_name="+")
    goal_title = models.CharField(max_length=300)  # as it was when reported
    progress = models.TextField(_("progress"), blank=True)
    status = models.CharField(max_length=20, choices=Goal.Status.choices)
    shared = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            org_id_unique("goal_progress_org_id"),
            models.UniqueConstraint(
                fields=["organization", "report", "goal"], name="goal_progress_one"
            ),
        ]
