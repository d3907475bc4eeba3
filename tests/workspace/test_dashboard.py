"""The program dashboard: funnel numbers on a built program, the filter by group and
community, the charts' data and markup, and the page itself.

`built` is a running reciprocal program whose term started 60 days ago:

- pair A: `participant` (Engineering, North) and Ana (Design, South), agreement signed;
- pair B: Ben (Engineering, North) and Bea (Sales, South), no agreement;
- pair C: Cai (Design, South) and Cleo (Sales, South): Cai opted out (no time), so C ended;
- the stranger's application (Engineering) was declined, Wes withdrew his;
- one invitation is open, one expired, one revoked.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation
from django_scopes import scope

from programs.models import Application, Match, Program
from sessions.models import OptOut, ProgressReport, Session
from sessions.services.endings import opt_out_give
from tests.factories import ApplicationFactory, InvitationFactory, ProgramFactory, match_make
from tests.notifications.test_rules import agreement_for
from tests.sessions.conftest import Pair, person
from workspace import charts
from workspace.selectors.dashboard import (
    Filters,
    dashboard_read,
    funnel,
    opt_outs_by_reason,
    report_ratings,
    sessions_over_time,
)

pytestmark = pytest.mark.django_db


@dataclass
class Built:
    program: Program
    a: object
    b: object
    c: object
    people: dict


def _apply(program, user, group, community, status=Application.Status.ACCEPTED):
    return ApplicationFactory(
        program=program, user=user, group=group, community=community, status=status
    )


def held_session(pair, starts_at):
    org = pair.program.organization
    with scope(organization=org):
        return Session.objects.create(
            organization=org,
            program=pair.program,
            match=pair.match,
            status=Session.Status.HELD,
            starts_at=starts_at,
            time_zone=org.time_zone,
            duration_minutes=60,
            shared_notes="session-notes-sentinel",
            next_steps="next-steps-sentinel",
        )


def report(pair, author, period, rating):
    org = pair.program.organization
    with scope(organization=org):
        return ProgressReport.objects.create(
            organization=org,
            match=pair.match,
            program=pair.program,
            author=author,
            period=period,
            period_end=timezone.localdate(),
            working="yes",
            beneficial="no",
            change="unshared-change-sentinel",
            rating=rating,
        )


def pair_of(program, users):
    """An active pair of `users` in `program`, published now."""
    with scope(organization=program.organization):
        match = match_make(program=program, users=users, status=Match.Status.ACTIVE)
        match.published_at = timezone.now()
        match.save(update_fields=["published_at"])
    return Pair(program=program, match=match, people=list(users))


def build(org, participant, stranger, *, term_days=(-60, 120)):
    today = timezone.localdate(timezone=org.tzinfo)
    with scope(organization=org):
        program = ProgramFactory(
            organization=org,
            name="Dashboard Term",
            status=Program.Status.RUNNING,
            format=Program.Format.RECIPROCAL,
            cadence_days=14,
            term_start=today + timedelta(days=term_days[0]),
            term_end=today + timedelta(days=term_days[1]),
        )
    ana = person(org, "ana@acme.example.org")
    ben, bea = person(org, "ben@acme.example.org"), person(org, "bea@acme.example.org")
    cai, cleo = person(org, "cai@acme.example.org"), person(org, "cleo@acme.example.org")
    wes = person(org, "wes@acme.example.org")
    a = pair_of(program, [participant, ana])
    b = pair_of(program, [ben, bea])
    c = pair_of(program, [cai, cleo])
    with scope(organization=org):
        for user, group, community in (
            (participant, "Engineering", "North"),
            (ana, "Design", "South"),
            (ben, "Engineering", "North"),
            (bea, "Sales", "South"),
            (cai, "Design", "South"),
            (cleo, "Sales", "South"),
        ):
            _apply(program, user, group, community)
        _apply(program, stranger, "Engineering", "North", Application.Status.DECLINED)
        _apply(program, wes, "Sales", "South", Application.Status.WITHDRAWN)
        InvitationFactory(organization=org, email="open@example.org")
        InvitationFactory(
            organization=org,
            email="expired@example.org",
            expires_at=timezone.now() - timedelta(days=1),
        )
        InvitationFactory(organization=org, email="revoked@example.org", revoked_at=timezone.now())
    agreement_for(a, created=today - timedelta(days=20))
    with scope(organization=org):
        opt_out_give(
            match=c.match,
            user=cai,
            reason=OptOut.Reason.NO_TIME,
            notice="opt-out-notice-sentinel",
            notice_shared=False,
        )
    people = {
        "ana": ana,
        "ben": ben,
        "bea": bea,
        "cai": cai,
        "cleo": cleo,
        "wes": wes,
    }
    return Built(program=program, a=a, b=b, c=c, people=people)


@pytest.fixture
def built(org, participant, stranger):
    return build(org, participant, stranger)


EVERYONE = Filters()


def stages(org, program, filters=EVERYONE, today=None):
    today = today or timezone.localdate(timezone=org.tzinfo)
    with scope(organization=org):
        program.organization = org
        found = funnel(program=program, filters=filters, today=today)
    return {stage.key: (stage.people, stage.pairs) for stage in found}


# --- The funnel --------------------------------------------------------------------------


def test_funnel_numbers(org, coordinator, built):
    found = stages(org, built.program)

    # Participants: the fixture's two, Ana, Ben, Bea, Cai, Cleo, Wes; one open invitation.
    assert found["invited"] == (8 + 1, None)
    assert found["applied"] == (8, None)
    assert found["accepted"] == (6, None)
    assert found["paired"] == (6, 3)
    assert found["signed"] == (2, 1)
    assert found["active"] == (4, 2)
    assert found["completed"] == (None, None)  # the term is still running
    assert found["opted_out"] == (1, 1)


def test_completed_once_the_term_is_over(org, coordinator, built):
    program = built.program
    later = program.term_end + timedelta(days=1)

    found = stages(org, program, today=later)
    # A and B were still together when the term ended; C had ended before.
    assert found["completed"] == (4, 2)
    with scope(organization=org):
        Match.objects.filter(pk=built.b.match.pk).update(
            status=Match.Status.ENDED,
            ended_at=timezone.now() + timedelta(days=130),  # ended after the term
        )
    assert stages(org, program, today=later)["completed"] == (4, 2)


def test_funnel_filtered_by_group_and_by_community(org, coordinator, built):
    engineering = stages(org, built.program, Filters(group="Engineering"))
    # The participant (A), Ben (B) and the declined stranger.
    assert engineering["applied"] == (3, None)
    assert engineering["accepted"] == (2, None)
    assert engineering["paired"] == (2, 2)
    assert engineering["signed"] == (1, 1)
    assert engineering["active"] == (2, 2)
    assert engineering["opted_out"] == (0, 0)
    assert engineering["invited"] == (9, None)  # not narrowed: groups come from applications

    south = stages(org, built.program, Filters(community="South"))
    assert south["paired"] == (4, 3)
    assert south["opted_out"] == (1, 1)
    both = stages(org, built.program, Filters(group="Design", community="South"))
    assert both["paired"] == (2, 2)  # Ana (A) and Cai (C)


def test_each_number_links_to_its_list(org, coordinator, built):
    with scope(organization=org):
        built.program.organization = org
        links = {
            s.key: s.url
            for s in funnel(program=built.program, filters=Filters(), today=timezone.localdate())
        }
    base = f"/o/acme/programs/{built.program.pk}/"
    assert links == {
        "invited": "/o/acme/people/",
        "applied": base + "applications/",
        "accepted": base + "applications/?status=accepted",
        "paired": base + "matches/",
        "signed": base + "agreements/",
        "active": base + "matches/",
        "completed": base + "matches/",
        "opted_out": base + "opt-outs/",
    }


# --- Sessions, opt-outs, ratings ---------------------------------------------------------


def test_sessions_per_pair_week_by_week(org, coordinator, built):
    start = built.program.term_start
    zone = org.tzinfo

    def moment(day, hour=10):
        return datetime.combine(day, time(hour), tzinfo=zone)

    held_session(built.a, moment(start + timedelta(days=1)))
    held_session(built.b, moment(start + timedelta(days=6), 23))  # late evening, same week
    held_session(built.a, moment(start + timedelta(days=15)))
    held_session(built.c, moment(start - timedelta(days=3)))  # before the term: first week
    with scope(organization=org):
        Session.objects.create(  # scheduled, not held: not counted
            organization=org,
            program=built.program,
            match=built.a.match,
            status=Session.Status.SCHEDULED,
            starts_at=moment(start + timedelta(days=2)),
            time_zone=org.time_zone,
            duration_minutes=60,
        )
        built.program.organization = org
        today = timezone.localdate(timezone=zone)
        found = sessions_over_time(program=built.program, filters=Filters(), today=today, pairs=3)
        engineering = sessions_over_time(
            program=built.program, filters=Filters(group="Engineering"), today=today, pairs=2
        )

    assert found.weekly
    assert found.total == 4
    assert [b.sessions for b in found.buckets[:4]] == [3, 0, 1, 0]
    assert found.buckets[0].per_pair == pytest.approx(1.0)
    assert found.buckets[2].per_pair == pytest.approx(1 / 3)
    assert found.buckets[0].start == start and found.buckets[0].end == start + timedelta(days=6)
    assert found.buckets[-1].end == built.program.term_end
    assert [b.future for b in found.buckets] == [b.start > today for b in found.buckets]
    assert any(b.future for b in found.buckets) and not found.buckets[0].future
    assert found.expected == pytest.approx(0.5)  # every two weeks
    assert engineering.total == 3  # A and B, not C


def test_long_terms_are_charted_by_month(org, coordinator, participant, stranger):
    built = build(org, participant, stranger, term_days=(-30, 300))
    with scope(organization=org):
        built.program.organization = org
        found = sessions_over_time(
            program=built.program, filters=Filters(), today=timezone.localdate(), pairs=3
        )
    assert not found.weekly
    assert found.buckets[0].start == built.program.term_start
    assert all(b.start.day == 1 for b in found.buckets[1:])
    assert 10 <= len(found.buckets) <= 12


def test_opt_outs_by_reason_and_report_ratings_by_period(org, coordinator, built):
    report(built.a, built.a.me, 1, 4)
    report(built.a, built.a.partner, 1, 2)
    report(built.a, built.a.me, 2, 5)
    report(built.b, built.b.me, 1, 3)
    with scope(organization=org):
        program = built.program
        program.organization = org
        reasons = opt_outs_by_reason(program=program, filters=EVERYONE)
        ratings = report_ratings(program=program, filters=EVERYONE)
        north = report_ratings(program=program, filters=Filters(community="North"))

    assert {r.reason: r.count for r in reasons} == {
        value: int(value == OptOut.Reason.NO_TIME) for value in OptOut.Reason.values
    }
    assert [(r.period, r.average, r.reports) for r in ratings] == [(1, 3.0, 3), (2, 5.0, 1)]
    assert [(r.period, r.average) for r in north] == [(1, pytest.approx(3.5)), (2, 5.0)]


def test_pairs_at_risk_within_the_filter(org, coordinator, built):
    # Nobody met since the pairs started 60 days ago (every two weeks + a week's grace).
    with scope(organization=org):
        Match.objects.filter(program=built.program).update(
            published_at=timezone.now() - timedelta(days=60)
        )
        built.program.organization = org
        everyone = dashboard_read(program=built.program, filters=Filters(), now=timezone.now())
        sales = dashboard_read(
            program=built.program, filters=Filters(group="Sales"), now=timezone.now()
        )
    assert {r.match.pk for r in everyone.risks} == {built.a.match.pk, built.b.match.pk}
    assert {r.match.pk for r in sales.risks} == {built.b.match.pk}  # Bea; C has ended
    assert everyone.risk_summary.total == 2


# --- The page ----------------------------------------------------------------------------


def url(program, **query):
    path = reverse("workspace:dashboard", kwargs={"org_slug": "acme", "pk": program.pk})
    return f"{path}?{urlencode(query)}" if query else path


def test_the_page_shows_the_funnel_charts_and_tables(org, coordinator, built, client_for):
    held_session(built.a, timezone.now() - timedelta(days=3))
    report(built.a, built.a.me, 1, 4)

    response = client_for(coordinator).get(url(built.program))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="funnel-applied-people">8<' in html
    assert 'data-testid="funnel-paired-pairs">3 pairs<' in html
    assert 'data-testid="funnel-completed-people">—<' in html
    for chart in ("sessions-chart", "opt-outs-chart", "ratings-chart"):
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in html
        assert f'<title id="{chart}-title">' in html and f'<desc id="{chart}-desc">' in html
    assert html.count('role="img"') == 3
    for table in ("sessions-table", "opt-outs-table", "ratings-table"):
        assert f'<details data-testid="{table}">' in html
    assert "style=" not in html.split("<main", 1)[1]  # CSS classes only, for the CSP
    assert "<script" not in html.split("<main", 1)[1]
    exports = reverse("workspace:exports", kwargs={"org_slug": "acme", "pk": built.program.pk})
    assert f'href="{exports}"' in html


def test_figures_and_dates_in_the_coordinators_language(org, coordinator, built, client_for):
    """Spanish: a decimal comma ("0,50 per pair", "4,0 out of 5") and lower-case month
    abbreviations in the chart labels; English as before."""
    held_session(built.a, timezone.now() - timedelta(days=3))
    report(built.a, built.a.me, 1, 4)
    english = client_for(coordinator).get(url(built.program)).content.decode()
    assert ": 0.50." in english  # the rhythm the program asks for, in the chart description
    assert "4.0 out of 5" in english
    coordinator.language = "es"
    coordinator.save(update_fields=["language"])
    spanish = client_for(coordinator).get(url(built.program)).content.decode()
    assert '<html lang="es">' in spanish
    assert "0,50" in spanish and "0.50" not in spanish
    assert "<td>4,0</td>" in spanish and "<td>4.0</td>" not in spanish  # the ratings table
    assert " 4,0 " in spanish and " 4.0 " not in spanish  # its chart's description
    with translation.override("es"):
        label = formats.date_format(built.program.term_start, "SHORT_DAY_MONTH_FORMAT")
    day, month = label.split()
    assert month.islower() and label in spanish
    assert f"{day} {month.title()}" not in spanish


def test_the_filter_is_kept_in_the_exports_link(org, coordinator, built, client_for):
    response = client_for(coordinator).get(url(built.program, group="Engineering"))

    html = response.content.decode()
    assert 'data-testid="funnel-applied-people">3<' in html
    assert "?group=Engineering" in html
    assert '<option value="Engineering" selected>' in html


def test_an_unknown_group_is_said_and_everyone_shown(org, coordinator, built, client_for):
    response = client_for(coordinator).get(url(built.program, group="Nowhere", page="x"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "No application of this program names the group “Nowhere”." in html
    assert 'data-testid="funnel-applied-people">8<' in html


def test_an_empty_program_has_a_dashboard_too(org, coordinator, client_for):
    with scope(organization=org):
        program = ProgramFactory(organization=org, status=Program.Status.DRAFT)

    response = client_for(coordinator).get(url(program))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="no-risk"' in html and 'data-testid="no-ratings"' in html


def test_other_tenants_and_participants_do_not_get_it(
    org, coordinator, participant, other_coordinator, built, client
):
    client.force_login(other_coordinator)
    assert client.get(url(built.program)).status_code == 404
    client.force_login(participant)
    assert client.get(url(built.program)).status_code == 403


# --- Chart geometry ----------------------------------------------------------------------


def test_nice_axis_tops():
    assert charts.nice_ceiling(0) == (1.0, 0.25)
    assert charts.nice_ceiling(0.67) == (0.8, 0.2)
    assert charts.nice_ceiling(7) == (8, 2)
    assert charts.nice_ceiling(10) == (10, 2.5)
    assert charts.number_text(0.80, 2) == "0.8" and charts.number_text(3.0) == "3"


def test_column_chart_geometry():
    chart = charts.column_chart(
        [("1 Jun", 1.0, False), ("8 Jun", 0.5, False), ("15 Jun", 0.0, True)], target=0.5
    )
    full, half, empty = chart.columns
    assert full.height == pytest.approx(chart.bottom - chart.top)  # 1.0 is the top
    assert half.height == pytest.approx(full.height / 2, abs=0.1)
    assert empty.height == 0 and empty.muted
    assert chart.target_y == pytest.approx(half.y, abs=0.1)
    assert chart.muted_x is not None and chart.muted_x <= empty.x
    assert [t.label for t in chart.y_ticks] == ["0", "0.25", "0.5", "0.75", "1"]


def test_line_chart_on_a_fixed_scale():
    chart = charts.line_chart([("Report 1", 1.0), ("Report 2", 5.0)], low=1, high=5)
    low, high = chart.points
    assert low.y == chart.bottom and high.y == chart.top
    assert chart.path == f"{low.x},{low.y} {high.x},{high.y}"


def test_a_term_ending_in_the_last_year_a_date_can_hold_has_a_dashboard(
    org, coordinator, client_for
):
    from datetime import date

    from programs.services.setup import program_update

    with scope(organization=org):
        program = ProgramFactory(organization=org, status=Program.Status.DRAFT)
        # What the program form accepts: any date, e.g. a mistyped year.
        program_update(program=program, term_end=date(9999, 12, 31))

    response = client_for(coordinator).get(url(program))

    assert response.status_code == 200
