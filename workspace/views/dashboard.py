"""A program's dashboard for its coordinators, and the one-click nudge of a pair at risk."""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from peercoach.formats import fixed_text
from peercoach.notifications.rules import names_text
from peercoach.tenancy.access import coordinator_required
from programs.access import coordinator_program
from programs.models import Match
from sessions.selectors.risk import LOW_RATING, LOW_RATING_DAYS
from sessions.services.nudge import NudgeError, pair_nudge

from .. import charts
from ..selectors.dashboard import Filters, dashboard_read, filter_options, nudged_today

RISK_PAGE_SIZE = 25


class FilterForm(forms.Form):
    group = forms.ChoiceField(
        label=gettext_lazy("Group"),
        required=False,
        error_messages={
            "invalid_choice": gettext_lazy(
                "No application of this program names the group “%(value)s”."
            )
        },
    )
    community = forms.ChoiceField(
        label=gettext_lazy("Community"),
        required=False,
        error_messages={
            "invalid_choice": gettext_lazy(
                "No application of this program names the community “%(value)s”."
            )
        },
    )

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [("", _("All groups"))] + [(g, g) for g in options.groups]
        self.fields["community"].choices = [("", _("All communities"))] + [
            (c, c) for c in options.communities
        ]


def _filters(request, options):
    """(form, Filters) from the query string; a value no application names is dropped
    (the form says so) and the rest still applies."""
    form = FilterForm(request.GET, options=options)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    return form, Filters(group=data.get("group", ""), community=data.get("community", ""))


def _charts(data):
    sessions = data.sessions
    unit_pairs = data.program.is_pairs
    return {
        "sessions": charts.column_chart(
            [(b.label, b.per_pair, b.future) for b in sessions.buckets],
            target=sessions.expected,
            decimals=2,
        ),
        "opt_outs": charts.row_chart([(r.short, r.count) for r in data.opt_outs], width=440),
        "ratings": (
            charts.line_chart(
                [(_("Report %(n)s") % {"n": r.period}, r.average) for r in data.ratings],
                low=1,
                high=5,
                width=440,
                x_labels=6,
            )
            if data.ratings
            else None
        ),
        "unit_pairs": unit_pairs,
    }


def _texts(data, busiest, opt_out_total):
    """The charts' titles and descriptions (the SVG's <title> and <desc>, the captions),
    worded for pairs or for circles."""
    sessions, pairs = data.sessions, data.program.is_pairs
    if sessions.weekly:
        title = (
            _("Held sessions per pair, week by week")
            if pairs
            else _("Held sessions per circle, week by week")
        )
    else:
        title = (
            _("Held sessions per pair, month by month")
            if pairs
            else _("Held sessions per circle, month by month")
        )
    values = {
        "total": sessions.total,
        "n": sessions.pairs,
        "expected": fixed_text(sessions.expected, 2),
    }
    if busiest:
        values.update(start=busiest.label, busiest=fixed_text(busiest.per_pair, 2))
        desc = (
            ngettext(
                "%(total)s sessions held by %(n)s pair so far; the busiest period starts on "
                "%(start)s, with %(busiest)s per pair. The dashed line is what the "
                "program's rhythm asks for: %(expected)s.",
                "%(total)s sessions held by %(n)s pairs so far; the busiest period starts on "
                "%(start)s, with %(busiest)s per pair. The dashed line is what the "
                "program's rhythm asks for: %(expected)s.",
                sessions.pairs,
            )
            if pairs
            else ngettext(
                "%(total)s sessions held by %(n)s circle so far; the busiest period starts "
                "on %(start)s, with %(busiest)s per circle. The dashed line is what the "
                "program's rhythm asks for: %(expected)s.",
                "%(total)s sessions held by %(n)s circles so far; the busiest period starts "
                "on %(start)s, with %(busiest)s per circle. The dashed line is what the "
                "program's rhythm asks for: %(expected)s.",
                sessions.pairs,
            )
        ) % values
    else:
        desc = _("No session has been held yet.")
    if opt_out_total:
        opt_outs = ngettext(
            "%(n)s opt-out, by the reason its author chose.",
            "%(n)s opt-outs, by the reason each author chose.",
            opt_out_total,
        ) % {"n": opt_out_total}
    else:
        opt_outs = _("Nobody has opted out.")
    ratings = ""
    if len(data.ratings) == 1:
        only = data.ratings[0]
        ratings = ngettext(
            "Report %(period)s: %(average)s out of 5 (%(n)s report).",
            "Report %(period)s: %(average)s out of 5 on average (%(n)s reports).",
            only.reports,
        ) % {
            "period": only.period,
            "average": fixed_text(only.average, 1),
            "n": only.reports,
        }
    elif data.ratings:
        first, last = data.ratings[0], data.ratings[-1]
        ratings = _(
            "From %(first)s out of 5 in the first report to %(last)s in report %(period)s."
        ) % {
            "first": fixed_text(first.average, 1),
            "last": fixed_text(last.average, 1),
            "period": last.period,
        }
    return {
        "sessions_title": title,
        "sessions_desc": desc,
        "per_unit": _("Per pair") if pairs else _("Per circle"),
        "opt_outs_desc": opt_outs,
        "ratings_title": _("Average overall rating of the progress reports, by report (1 to 5)"),
        "ratings_desc": ratings,
    }


@never_cache
@coordinator_required
def dashboard(request, org_slug, pk):
    """The program's health at a glance: funnel, pairs at risk (with a nudge), sessions
    over the term, opt-outs by reason and report ratings, filtered by group/community."""
    program = coordinator_program(request, pk)
    form, filters = _filters(request, filter_options(program=program))
    now = timezone.now()
    data = dashboard_read(program=program, filters=filters, now=now)
    page = Paginator(data.risks, RISK_PAGE_SIZE).get_page(request.GET.get("page"))
    nudged = nudged_today(program=program, match_ids=[risk.match.pk for risk in page], now=now)
    busiest = max(data.sessions.buckets, key=lambda b: b.sessions, default=None)
    busiest = busiest if busiest and busiest.sessions else None
    opt_out_total = sum(r.count for r in data.opt_outs)
    return render(
        request,
        "workspace/dashboard/dashboard.html",
        {
            "program": program,
            "data": data,
            "form": form,
            "filters": filters,
            "page": page,
            "nudged": nudged,
            "charts": _charts(data),
            "texts": _texts(data, busiest, opt_out_total),
            "opt_out_total": opt_out_total,
            "filter_query": urlencode(filters.query()),
            "low_rating": LOW_RATING,
            "low_rating_weeks": LOW_RATING_DAYS // 7,
        },
    )


def _back(request, program):
    """The dashboard as the coordinator left it (filter and page kept), at the list."""
    kept = [
        (key, request.POST[key][:300])
        for key in ("group", "community", "page")
        if request.POST.get(key)
    ]
    url = reverse(
        "workspace:dashboard", kwargs={"org_slug": program.organization.slug, "pk": program.pk}
    )
    return f"{url}?{urlencode(kept)}#at-risk" if kept else f"{url}#at-risk"


@coordinator_required
@require_POST
def nudge(request, org_slug, pk, match_pk):
    """Email the pair's members a nudge now (once a day at most); back to the dashboard."""
    program = coordinator_program(request, pk)
    match = get_object_or_404(
        Match, pk=match_pk, program=program, organization=request.organization
    )
    try:
        result = pair_nudge(
            organization=request.organization, match=match, by=request.user, request=request
        )
    except NudgeError as exc:
        messages.error(request, str(exc))
        return redirect(_back(request, program))
    if result.queued:
        messages.success(
            request,
            _("Nudge sent to %(names)s. They will get an email in a few minutes.")
            % {"names": names_text(result.queued)},
        )
    if result.already:
        messages.info(
            request,
            _("%(names)s already got a nudge today: one a day is enough.")
            % {"names": names_text(result.already)},
        )
    if result.turned_off:
        messages.warning(
            request,
            _("%(names)s turned these emails off, so no nudge was sent to them.")
            % {"names": names_text(result.turned_off)},
        )
    if result.unreachable:
        messages.warning(
            request,
            _("%(names)s cannot be emailed (the account is closed or has left).")
            % {"names": names_text(result.unreachable)},
        )
    return redirect(_back(request, program))
