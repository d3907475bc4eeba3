"""Reads for the application pages, and the applications CSV file."""

from django.db.models import Count, Q

from peercoach.tenancy.zones import zone_of
from peercoach.web.csvio import csv_titles

from ..models import Application, Question
from ..services.applications import CSV_COLUMNS, answer_display


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


def applications_table(*, program, group="", community=""):
    """The applications CSV of `program` as (header, rows), optionally only one group
    and/or community: what the coordinators' exports write and the CSV import reads back.

    The questions are read now; `rows` is a generator that reads the applications in
    chunks when iterated (the query is built now, in the tenant's scope, so a streamed
    response may read it later): two queries whatever their number.
    Times are in the organisation's time zone; the fixed columns' titles are in the
    active language (the import reads them in any).
    """
    questions = form_questions(program=program)
    header = csv_titles(CSV_COLUMNS) + [q.label for q in questions]
    applications = applications_for_program(program=program)
    if group:
        applications = applications.filter(group=group)
    if community:
        applications = applications.filter(community=community)
    zone = zone_of(None, program.organization)

    def rows():
        for a in applications.iterator(chunk_size=1000):
            yield [
                a.user.email,
                a.user.first_name,
                a.user.last_name,
                a.status,
                a.submitted_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                *(answer_display(q, a.answers) for q in questions),
            ]

    return header, rows()
