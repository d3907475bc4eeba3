"""Writes for progress reports.

A report is written to the program team, not to the partner. Each answer is shared with
the team only when its author ticks it; the overall rating always is, as a signal.

Goal statuses: the status given for a goal in a report becomes the goal's status. The
change is also recorded as a dated update on the goal, with a neutral note that names
the report's period and none of the report's text: the plan is read by the partner,
the report is not.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ..models import Goal, GoalProgress, GoalUpdate, ProgressReport
from ..selectors.reports import allowed_periods, local_today, schedule_for


class ReportError(Exception):
    """The report cannot be recorded; the message says why, for the person."""


@dataclass(frozen=True)
class GoalAnswer:
    goal: Goal
    progress: str
    status: str
    shared: bool


def report_submit(
    *,
    match,
    author,
    period,
    working,
    working_shared,
    beneficial,
    beneficial_shared,
    change,
    change_shared,
    rating,
    goals=(),
    today=None,
):
    """Record `author`'s report for `period` of `match`, with their goals' progress.

    All or nothing: raises ReportError when the period is not open (only due periods and
    the upcoming one are), when a goal is not the author's in this program, or when the
    author already reported on this period: the unique constraint decides (a double
    click or two tabs included), and nothing of the refused attempt is kept.
    """
    if not 1 <= rating <= 5:
        raise ReportError(_("Choose a rating from 1 to 5."))
    if {working, beneficial} - set(ProgressReport.Answer.values):
        raise ReportError(_("Answer “yes”, “partly” or “no”."))
    for answer in goals:
        if answer.status not in Goal.Status.values:
            raise ReportError(_("Choose a status for each goal."))
    schedule = schedule_for(match)
    if period not in allowed_periods(schedule, local_today(match.organization, today)):
        raise ReportError(_("This report form was for a period that is not open. Reload the page."))
    for answer in goals:
        plan = answer.goal.plan
        if plan.user_id != author.pk or plan.program_id != match.program_id:
            raise ReportError(_("One of the goals is not yours in this program."))
    already = _("You already submitted your report for period %(period)s.") % {"period": period}
    try:
        with transaction.atomic():
            report = ProgressReport.objects.create(
                organization=match.organization,
                match=match,
                program_id=match.program_id,
                author=author,
                period=period,
                period_end=schedule.period_end(period),
                working=working,
                working_shared=working_shared,
                beneficial=beneficial,
                beneficial_shared=beneficial_shared,
                change=change,
                change_shared=change_shared,
                rating=rating,
            )
            for answer in goals:
                _goal_progress(report, answer, author)
    except IntegrityError as exc:
        raise ReportError(already) from exc
    return report


def _goal_progress(report, answer, author):
    goal = answer.goal
    GoalProgress.objects.create(
        organization=report.organization,
        report=report,
        goal=goal,
        goal_title=goal.title,
        progress=answer.progress,
        status=answer.status,
        shared=answer.shared,
    )
    if answer.status != goal.status:
        goal.status = answer.status
        goal.save(update_fields=["status", "updated_at"])
        GoalUpdate.objects.create(
            organization=report.organization,
            goal=goal,
            author=author,
            body=_("Status set in the progress report for period %(period)s.")
            % {"period": report.period},
            status=answer.status,
        )
