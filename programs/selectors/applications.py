"""Reads for the application pages."""

from django.db.models import Count, Q

from ..models import Application, Question


def applications_for_program(*, program, status=None):
    qs = Application.objects.filter(
        organization=program.organization, program=program
    ).select_related("user")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("submitted_at", "id")


def application_counts(*, program):
    """{status: count} and "all", in one query."""
    counts = Application.objects.filter(
        organization=program.organization, program=program
    ).aggregate(
        all=Count("pk"),
        **{s: Count("pk", filter=Q(status=s)) for s in Application.Status.values},
    )
    return counts


def form_questions(*, program):
    return list(
        Question.objects.filter(organization=program.organization, program=program).order_by(
            "position", "id"
        )
    )
