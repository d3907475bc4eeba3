"""Reads for the program set-up pages: lists with their counts, a program's overview.

Counts come from correlated subqueries, one per figure, in the same query as the
programs: a query count that does not grow with the programs, and no row explosion
from joining applications and matches at once (Count(..., distinct=True) over two joins
would multiply thousands of applications by hundreds of pairs before counting).
"""

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Application, Match, Program, ProgramEvent, Question, Resource
from ..services.questions import example_groups
from ..services.setup import STATUS_NEXT, program_status_problem


def _count(model, **filters):
    rows = (
        model.objects.filter(
            organization=OuterRef("organization"), program=OuterRef("pk"), **filters
        )
        .order_by()
        .values("program")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def _application_counts():
    counts = {"application_count": _count(Application)}
    for status in Application.Status.values:
        counts[f"{status}_count"] = _count(Application, status=status)
    return counts


COUNT_NAMES = (
    "application_count",
    *(f"{status}_count" for status in Application.Status.values),
    "active_match_count",
    "proposed_match_count",
    "question_count",
)


def with_counts(qs):
    """Annotate programs with application counts (total and per status), active and
    proposed pairs or circles, and questions on the form."""
    return qs.annotate(
        **_application_counts(),
        active_match_count=_count(Match, status=Match.Status.ACTIVE),
        proposed_match_count=_count(Match, status=Match.Status.PROPOSED),
        question_count=_count(Question),
    )


def programs_for_coordinator(*, organization, current_only=False):
    """Every program of the organisation with its counts, newest term first.

    `current_only` leaves closed programs out (the coordinator's home).
    """
    qs = Program.objects.filter(organization=organization)
    if current_only:
        qs = qs.exclude(status=Program.Status.CLOSED)
    return list(with_counts(qs).order_by("-term_start", "name"))


def program_overview(*, program):
    """What the coordinator's program page shows: counts, events, resources, status moves."""
    counted = (
        with_counts(Program.objects.filter(organization=program.organization, pk=program.pk))
        .values(*COUNT_NAMES)
        .get()
    )
    application_counts = [
        {"status": status, "label": label, "count": counted[f"{status}_count"]}
        for status, label in Application.Status.choices
    ]
    moves = [
        {
            "status": status,
            "label": STATUS_ACTION_LABELS[(program.status, status)],
            "primary": index == 0,
            "problem": program_status_problem(
                program=program,
                status=status,
                question_count=counted["question_count"],
                application_count=counted["application_count"],
            ),
        }
        for index, status in enumerate(STATUS_NEXT[program.status])
    ]
    return {
        "counts": counted,
        "application_counts": application_counts,
        "status_moves": moves,
        "events": events_for_program(program=program),
        "resources": resources_for_program(program=program),
    }


STATUS_ACTION_LABELS = {
    (Program.Status.DRAFT, Program.Status.OPEN): gettext_lazy("Open applications"),
    (Program.Status.DRAFT, Program.Status.MATCHING): gettext_lazy(
        "Skip applications: go to matching"
    ),
    (Program.Status.OPEN, Program.Status.MATCHING): gettext_lazy(
        "Close applications and start matching"
    ),
    (Program.Status.OPEN, Program.Status.DRAFT): gettext_lazy("Back to draft"),
    (Program.Status.OPEN, Program.Status.CLOSED): gettext_lazy("Close the program"),
    (Program.Status.MATCHING, Program.Status.RUNNING): gettext_lazy("Start the program"),
    (Program.Status.MATCHING, Program.Status.OPEN): gettext_lazy("Reopen applications"),
    (Program.Status.MATCHING, Program.Status.CLOSED): gettext_lazy("Close the program"),
    (Program.Status.RUNNING, Program.Status.CLOSED): gettext_lazy("Close the program"),
    (Program.Status.RUNNING, Program.Status.MATCHING): gettext_lazy("Back to matching (re-pair)"),
    (Program.Status.CLOSED, Program.Status.RUNNING): gettext_lazy("Reopen the program"),
}


def events_for_program(*, program):
    return list(ProgramEvent.objects.filter(organization=program.organization, program=program))


def resources_for_program(*, program):
    return list(Resource.objects.filter(organization=program.organization, program=program))


def form_questions(*, program):
    """The program's questions in order, each with `scale_points` (scale traits) and
    `option_rows` [(option, community or "")] for the templates."""
    questions = list(Question.objects.filter(organization=program.organization, program=program))
    for question in questions:
        question.scale_points = (
            list(range(question.scale_low, question.scale_high + 1)) if question.is_scale else []
        )
        question.option_rows = [(o, question.communities.get(o, "")) for o in question.options]
    return questions


def form_warnings(*, program, questions):
    """Things on the form the coordinator probably wants to fix, as messages."""
    warnings = []
    group = next((q for q in questions if q.kind == Question.Kind.GROUP), None)
    if group is not None and set(group.options) & example_groups():
        warnings.append(
            _(
                "The group question still lists the example groups (Group A, B, C). "
                "Edit it to list your own."
            )
        )
    if program.cross_community and (group is None or not group.communities):
        warnings.append(
            _(
                "This program pairs people across communities, but the group question names "
                "no communities. Edit it and write each line as “Group | Community”."
            )
        )
    if program.different_group and group is None:
        warnings.append(
            _("Partners must come from different groups, but the form does not ask for a group.")
        )
    return warnings
