"""Coordinators' CSV exports of a program: the page that lists them, and the download.

A download is streamed (the rows are read in chunks while the file is sent), written as
UTF-8 with a byte-order mark so that spreadsheet programs read accents, with every cell
a spreadsheet would run as a formula neutralised, and recorded in the audit log.
"""

import csv
from urllib.parse import urlencode

from django import forms
from django.db import transaction
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_safe

from peercoach.audit.models import Action
from peercoach.audit.services import audit_record
from peercoach.tenancy.access import coordinator_required
from peercoach.tenancy.zones import zone_of
from peercoach.web.csvio import csv_safe_cell
from programs.access import coordinator_program

from ..selectors.exports import (
    APPLICATIONS,
    KINDS,
    OPT_OUTS,
    PAIRS,
    SESSIONS,
    Filters,
    export_counts,
    export_filename,
    export_table,
    filter_choices,
)

ROWS_PER_CHUNK = 500


class FilterForm(forms.Form):
    group = forms.ChoiceField(label=gettext_lazy("Group"), required=False)
    community = forms.ChoiceField(label=gettext_lazy("Community"), required=False)

    def __init__(self, data, *, groups, communities):
        super().__init__(data)
        self.fields["group"].choices = [("", _("All groups"))] + [(g, g) for g in groups]
        self.fields["community"].choices = [("", _("All communities"))] + [
            (c, c) for c in communities
        ]
        self.fields["group"].error_messages["invalid_choice"] = _(
            "No application of this program names the group “%(value)s”. Choose one from the list."
        )
        self.fields["community"].error_messages["invalid_choice"] = _(
            "No application of this program names the community “%(value)s”. Choose one "
            "from the list."
        )

    def filters(self):
        return Filters(
            group=self.cleaned_data.get("group") or "",
            community=self.cleaned_data.get("community") or "",
        )


def _filter_form(request, program):
    groups, communities = filter_choices(program=program)
    data = {key: request.GET[key] for key in ("group", "community") if request.GET.get(key)}
    form = FilterForm(data, groups=groups, communities=communities)
    form.is_valid()
    return form


# What the page says of each file: its name, what it holds and what it leaves out.
EXPORTS = (
    (
        APPLICATIONS,
        gettext_lazy("Applications"),
        gettext_lazy(
            "One row per application: email, names, status, when it was submitted, and "
            "the answer to each question of the application form. The file imports back "
            "into a program (for the next term, say)."
        ),
        gettext_lazy(
            "Who decided on each application and when. The answers are those applicants "
            "wrote for the program team; nothing written later, in a pair, is added."
        ),
    ),
    (
        PAIRS,
        gettext_lazy("Pairs"),
        gettext_lazy(
            "One row per published pair or circle: its members' names, emails and roles, "
            "status, when it was made, published and ended, why it ended as a category "
            "(opt-out with its reason, program team, account deleted), whether the "
            "agreement is signed and when, how many sessions were held and the last one's "
            "date, and how many progress reports were submitted."
        ),
        gettext_lazy(
            "The text written when a pair ended, the agreement's content, and the "
            "progress reports' answers."
        ),
    ),
    (
        SESSIONS,
        gettext_lazy("Session activity"),
        gettext_lazy(
            "One row per session, scheduled, cancelled or held: the pair, start time, "
            "length, how they met, status, who logged it and, for circles, how many "
            "members attended."
        ),
        gettext_lazy(
            "Everything the pairs write about a session: notes, topics, next steps, "
            "preparation, feedback and its ratings, private notes and self-reflections; "
            "and where they met."
        ),
    ),
    (
        OPT_OUTS,
        gettext_lazy("Opt-outs"),
        gettext_lazy(
            "One row per opt-out: the date, the pair, who opted out, the reason category, "
            "whether they shared their written notice with the program team, and whether "
            "someone in the team has handled it."
        ),
        gettext_lazy(
            "The written notice itself, even when it was shared (read it on the opt-out "
            "page), and confidential concerns."
        ),
    ),
)


def _page(request, program, form, *, status=200):
    filters = form.filters() if form.is_valid() else Filters()
    query = urlencode({k: v for k, v in vars(filters).items() if v})
    counts = export_counts(program=program, filters=filters)
    return render(
        request,
        "workspace/exports/exports.html",
        {
            "program": program,
            "form": form,
            "filtered": bool(filters),
            "zone": zone_of(None, program.organization).key,
            "exports": [
                {
                    "kind": kind,
                    "name": name,
                    "contains": contains,
                    "leaves_out": leaves_out,
                    "count": counts[kind],
                    "query": query,
                }
                for kind, name, contains, leaves_out in EXPORTS
            ],
        },
        status=status,
    )


@coordinator_required
@require_safe
def exports(request, org_slug, pk):
    """Coordinators: the program's four CSV files, with what each holds and leaves out."""
    program = coordinator_program(request, pk)
    form = _filter_form(request, program)
    return _page(request, program, form, status=200 if form.is_valid() else 400)


class _Echo:
    """A file-like object whose `write` hands the line back, for csv.writer."""

    def write(self, value):
        return value


def _stream(header, rows):
    writer = csv.writer(_Echo())
    # The byte-order mark makes spreadsheet programs read the file as UTF-8.
    yield "\ufeff" + writer.writerow([csv_safe_cell(cell) for cell in header])
    lines = []
    for row in rows:
        lines.append(writer.writerow([csv_safe_cell(cell) for cell in row]))
        if len(lines) == ROWS_PER_CHUNK:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


@coordinator_required
@require_GET  # not HEAD: a download is audited, a HEAD request downloads nothing
def export(request, org_slug, pk, kind):
    """One of the program's CSV files, streamed; each download is in the audit log."""
    program = coordinator_program(request, pk)
    if kind not in KINDS:
        raise Http404("No such export.")
    form = _filter_form(request, program)
    if not form.is_valid():
        return _page(request, program, form, status=400)
    filters = form.filters()
    today = timezone.now().astimezone(zone_of(None, program.organization)).date()
    filename = export_filename(program=program, kind=kind, today=today)
    with transaction.atomic():
        table = export_table(program=program, kind=kind, filters=filters)
        summary = f"{kind}.csv, {table.count} row{'' if table.count == 1 else 's'}"
        if filters.group:
            summary += f", group {filters.group}"
        if filters.community:
            summary += f", community {filters.community}"
        audit_record(
            organization=request.organization,
            action=Action.EXPORT,
            request=request,
            target=program,
            program=program,
            summary=summary,
        )
    response = StreamingHttpResponse(
        _stream(table.header, table.rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Personal data: no shared or browser cache keeps a copy.
    response["Cache-Control"] = "private, no-store"
    return response
