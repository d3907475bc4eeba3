"""Progress reports: periods at the agreed frequency (falling back to the program's
cadence), what is due and when a pause lifts it, one report per period, goals moved by a
report, and what the program team reads: the rating and the answers marked shared,
never the rest."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from programs.models import Match, MatchMember, Program
from sessions.models import Goal, GoalProgress, GoalUpdate, Pause, ProgressReport
from sessions.selectors.reports import report_period, reports_due, schedule_for
from sessions.services.reports import GoalAnswer, ReportError, report_submit
from tests.sessions.conftest import pair_make, person
from tests.sessions.test_goals import agreement_make, goal_make
from tests.test_query_counts import count_queries, describe

pytestmark = pytest.mark.django_db

# 10:00 in Berlin (the test organisation's zone): the pair's first day is 1 January.
PUBLISHED = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
DAY0 = date(2030, 1, 1)


def publish(pair, at=PUBLISHED):
    with scope(organization=pair.program.organization):
        Match.objects.filter(pk=pair.match.pk).update(published_at=at)
    pair.match.refresh_from_db()
    return pair.match


def published_days_ago(pair, days):
    return publish(pair, timezone.now() - timedelta(days=days))


def report_url(org, match, name="report"):
    return reverse(f"sessions:{name}", kwargs={"org_slug": org.slug, "pk": match.pk})


def answers(period, **overrides):
    data = {
        "period": str(period),
        "working": "yes",
        "beneficial": "partly",
        "change": "",
        "rating": "4",
    }
    data.update(overrides)
    return data


def due(org, pair, today, user=None):
    with scope(organization=org):
        return [
            (d.match.pk, d.period, d.period_end)
            for d in reports_due(
                organization=org, user=user or pair.me, matches=[pair.match], today=today
            )
        ]


def submit(pair, period, user=None, today=None, goals=(), **kwargs):
    fields = {
        "working": "yes",
        "working_shared": False,
        "beneficial": "yes",
        "beneficial_shared": False,
        "change": "",
        "change_shared": False,
        "rating": 3,
    }
    fields.update(kwargs)
    with scope(organization=pair.program.organization):
        return report_submit(
            match=pair.match,
            author=user or pair.me,
            period=period,
            goals=goals,
            today=today,
            **fields,
        )


# --- Periods -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("agreed", "cadence", "every", "source"),
    [
        ("weekly", Program.Cadence.MONTHLY, 7, "agreement"),
        ("monthly", Program.Cadence.WEEKLY, 30, "agreement"),
        # Without an agreed frequency, monthly: a pair meeting every two weeks does not
        # write a report every two weeks (issue 15, the ATC demo's pairs "at risk").
        (None, Program.Cadence.FORTNIGHTLY, 30, "default"),
        (None, Program.Cadence.WEEKLY, 30, "default"),
        (None, Program.Cadence.PAIR_CHOOSES, 30, "default"),
    ],
)
def test_the_reporting_frequency_comes_from_the_agreement_else_monthly(
    org, participant, agreed, cadence, every, source
):
    pair = pair_make(org, participant, cadence_days=cadence)
    if agreed:
        agreement_make(pair, reporting=agreed)
    publish(pair)

    with scope(organization=org):
        schedule = schedule_for(pair.match)

    assert (schedule.start, schedule.every, schedule.source) == (DAY0, every, source)
    assert due(org, pair, DAY0 + timedelta(days=every - 1)) == []
    assert due(org, pair, DAY0 + timedelta(days=every)) == [
        (pair.match.pk, 1, DAY0 + timedelta(days=every))
    ]


def test_an_unsigned_agreement_does_not_set_the_frequency(org, pair):
    agreement_make(pair, reporting="weekly", signed=False)
    publish(pair)

    with scope(organization=org):
        assert schedule_for(pair.match).every == 30  # the program's monthly cadence


def test_the_start_is_the_publication_day_in_the_organisations_zone(org, pair):
    # 23:30 UTC on 31 December is already 1 January in Berlin.
    publish(pair, datetime(2029, 12, 31, 23, 30, tzinfo=UTC))

    with scope(organization=org):
        assert schedule_for(pair.match).start == DAY0


def test_what_is_due_moves_on_with_each_report(org, pair):
    publish(pair)
    assert due(org, pair, DAY0 + timedelta(days=29)) == []
    assert due(org, pair, DAY0 + timedelta(days=30)) == [(pair.match.pk, 1, date(2030, 1, 31))]

    submit(pair, 1, today=DAY0 + timedelta(days=30))

    assert due(org, pair, DAY0 + timedelta(days=59)) == []
    assert due(org, pair, DAY0 + timedelta(days=60)) == [(pair.match.pk, 2, date(2030, 3, 2))]
    # The partner's reports are theirs: their period 1 is still due.
    assert due(org, pair, DAY0 + timedelta(days=60), user=pair.partner)[0][1] == 1


def test_missed_periods_come_oldest_first(org, pair):
    publish(pair)
    today = DAY0 + timedelta(days=95)  # three periods due

    assert due(org, pair, today)[0][1] == 1
    submit(pair, 1, today=today)
    submit(pair, 3, today=today)
    assert due(org, pair, today)[0][1] == 2
    with scope(organization=org):
        pair.match.organization = org
        when = report_period(match=pair.match, user=pair.me, today=today)
    assert (when.period, when.due, when.start, when.end) == (
        2,
        True,
        date(2030, 1, 31),
        date(2030, 3, 2),
    )


def test_the_form_offers_the_upcoming_period_then_nothing(org, pair):
    publish(pair)
    today = DAY0 + timedelta(days=3)
    with scope(organization=org):
        pair.match.organization = org
        first = report_period(match=pair.match, user=pair.me, today=today)
        submit(pair, 1, today=today)
        after = report_period(match=pair.match, user=pair.me, today=today)

    assert (first.period, first.due) == (1, False)
    assert (after.period, after.next_opens) == (None, date(2030, 1, 31))
    with pytest.raises(ReportError, match="not open"):
        submit(pair, 2, today=today)


@pytest.mark.parametrize(
    ("starts", "ends", "ended_early", "paused"),
    [
        (25, 40, None, True),  # on hold today
        (31, 40, None, False),  # starts tomorrow
        (10, 29, None, False),  # over yesterday
        (25, 40, 29, False),  # resumed early, yesterday
        (25, 40, 30, True),  # resuming today: today is its last day
    ],
)
def test_no_report_is_due_while_a_pause_is_active(org, pair, starts, ends, ended_early, paused):
    publish(pair)
    today = DAY0 + timedelta(days=30)
    with scope(organization=org):
        Pause.objects.create(
            organization=org,
            match=pair.match,
            starts_on=DAY0 + timedelta(days=starts),
            ends_on=DAY0 + timedelta(days=ends),
            ended_early_on=DAY0 + timedelta(days=ended_early) if ended_early else None,
        )

    assert (due(org, pair, today) == []) is paused
    # A pause shifts nothing: after it the same period is due, on the same dates.
    assert due(org, pair, DAY0 + timedelta(days=41)) == [(pair.match.pk, 1, date(2030, 1, 31))]


def test_reports_are_due_only_to_current_members_of_active_pairs(org, pair):
    publish(pair)
    today = DAY0 + timedelta(days=40)
    with scope(organization=org):
        MatchMember.objects.filter(match=pair.match, user=pair.partner).update(is_current=False)
    assert due(org, pair, today, user=pair.partner) == []
    assert len(due(org, pair, today)) == 1

    with scope(organization=org):
        Match.objects.filter(pk=pair.match.pk).update(status=Match.Status.ENDED)
    pair.match.refresh_from_db()
    assert due(org, pair, today) == []


def test_reports_due_queries_do_not_grow_with_pairs(org, participant, django_assert_num_queries):
    pairs = [pair_make(org, participant, cadence_days=cadence) for cadence in (7, 14, 30, 0)]
    for pair in pairs:
        publish(pair)
    agreement_make(pairs[0], reporting="fortnightly")
    submit(pairs[1], 1, today=DAY0 + timedelta(days=20))
    with scope(organization=org):
        Pause.objects.create(
            organization=org, match=pairs[3].match, starts_on=DAY0, ends_on=date(2030, 12, 31)
        )
        matches = list(Match.objects.filter(pk__in=[p.match.pk for p in pairs]))

        with django_assert_num_queries(5):
            found = reports_due(
                organization=org, user=participant, matches=matches, today=DAY0 + timedelta(20)
            )

    # Agreed fortnightly: period 1 due. Program fortnightly: reported. Monthly: not yet.
    # Paused: nothing.
    assert [(d.match.pk, d.period) for d in found] == [(pairs[0].match.pk, 1)]


# --- Writing a report --------------------------------------------------------------------


def test_a_report_is_recorded_and_moves_the_goals(org, pair, client_for):
    published_days_ago(pair, 31)
    first = goal_make(org, pair.program, pair.me, "Run the retro")
    second = goal_make(org, pair.program, pair.me, "Write the plan", status="in_progress")
    dropped = goal_make(org, pair.program, pair.me, "Old idea", status="dropped")
    client = client_for(pair.me)

    page = client.get(report_url(org, pair.match)).content.decode()
    assert "Period 1" in page and "due" in page
    assert "Run the retro" in page and "Write the plan" in page
    assert "Old idea" not in page
    assert "always reaches the program team" in page

    response = client.post(
        report_url(org, pair.match),
        answers(
            1,
            change="Meet in the mornings",
            change_shared="on",
            **{
                f"goal_{first.pk}_progress": "Private progress words",
                f"goal_{first.pk}_status": "in_progress",
                f"goal_{second.pk}_progress": "Done and dusted",
                f"goal_{second.pk}_status": "achieved",
                f"goal_{second.pk}_shared": "on",
                f"goal_{dropped.pk}_status": "achieved",  # not in the form: ignored
            },
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == report_url(org, pair.match, "reports")
    with scope(organization=org):
        report = ProgressReport.objects.get()
        rows = {p.goal_id: p for p in GoalProgress.objects.all()}
        updates = list(GoalUpdate.objects.values_list("goal_id", "status", "body"))
    assert (report.period, report.period_end, report.rating) == (1, report.period_end, 4)
    assert (report.change, report.change_shared, report.working_shared) == (
        "Meet in the mornings",
        True,
        False,
    )
    assert set(rows) == {first.pk, second.pk}
    assert rows[first.pk].shared is False and rows[second.pk].shared is True
    assert rows[first.pk].goal_title == "Run the retro"
    for goal, status in ((first, "in_progress"), (second, "achieved"), (dropped, "dropped")):
        goal.refresh_from_db()
        assert goal.status == status
    # The plan's history records the move, without the report's words (the partner
    # reads the plan; the report is for the program team).
    assert {(g, s) for g, s, _ in updates} == {(first.pk, "in_progress"), (second.pk, "achieved")}
    assert not any("Private progress words" in body for _, _, body in updates)
    partner_view = client_for(pair.partner).get(
        reverse(
            "sessions:partner_plan",
            kwargs={"org_slug": org.slug, "pk": pair.match.pk, "user_pk": pair.me.pk},
        )
    )
    assert "Private progress words" not in partner_view.content.decode()


def test_a_second_report_for_the_same_period_is_refused(org, pair, client_for):
    published_days_ago(pair, 31)
    goal = goal_make(org, pair.program, pair.me)
    client = client_for(pair.me)
    data = answers(1, **{f"goal_{goal.pk}_status": "in_progress"})

    assert client.post(report_url(org, pair.match), data).status_code == 302
    second = client.post(
        report_url(org, pair.match),
        {**data, "rating": "1", f"goal_{goal.pk}_status": "achieved"},
        follow=True,
    )

    assert "already submitted your report for period 1" in second.content.decode()
    with scope(organization=org):
        assert list(ProgressReport.objects.values_list("period", "rating")) == [(1, 4)]
        assert GoalProgress.objects.count() == 1
        assert GoalUpdate.objects.count() == 1
    goal.refresh_from_db()
    assert goal.status == Goal.Status.IN_PROGRESS


def test_the_constraint_refuses_a_duplicate_and_keeps_nothing_of_it(org, pair):
    publish(pair)
    today = DAY0 + timedelta(days=31)
    goal = goal_make(org, pair.program, pair.me)
    submit(pair, 1, today=today)
    with scope(organization=org):
        goal = Goal.objects.select_related("plan").get(pk=goal.pk)

    with pytest.raises(ReportError, match="already submitted"):
        submit(
            pair,
            1,
            today=today,
            goals=[GoalAnswer(goal=goal, progress="x", status="achieved", shared=True)],
        )

    with scope(organization=org):
        assert ProgressReport.objects.count() == 1
        assert GoalProgress.objects.count() == 0
        assert GoalUpdate.objects.count() == 0
        assert Goal.objects.get(pk=goal.pk).status == Goal.Status.NOT_STARTED


def test_the_service_refuses_someone_elses_goal(org, pair):
    publish(pair)
    theirs = goal_make(org, pair.program, pair.partner)
    with scope(organization=org):
        theirs = Goal.objects.select_related("plan").get(pk=theirs.pk)

    with pytest.raises(ReportError, match="not yours"):
        submit(
            pair,
            1,
            today=DAY0,
            goals=[GoalAnswer(goal=theirs, progress="", status="achieved", shared=False)],
        )
    with scope(organization=org):
        assert not ProgressReport.objects.exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"rating": "0"},
        {"rating": "6"},
        {"rating": "x"},
        {"rating": ""},
        {"working": "maybe"},
        {"beneficial": ""},
        {"change": "w" * 5001},
        {"change": "nul\x00byte"},
        {"period": "abc"},
        {"period": "-1"},
        {"period": "99999999999999999999"},
    ],
)
def test_bad_input_is_explained_and_writes_nothing(org, pair, client_for, overrides):
    published_days_ago(pair, 31)

    response = client_for(pair.me).post(report_url(org, pair.match), {**answers(1), **overrides})

    assert response.status_code == 400
    assert "is-invalid" in response.content.decode() or "alert-danger" in response.content.decode()
    with scope(organization=org):
        assert not ProgressReport.objects.exists()


def test_huge_goal_progress_is_refused(org, pair, client_for):
    goal = goal_make(org, pair.program, pair.me)

    response = client_for(pair.me).post(
        report_url(org, pair.match), answers(1, **{f"goal_{goal.pk}_progress": "p" * 5001})
    )

    assert response.status_code == 400
    with scope(organization=org):
        assert not ProgressReport.objects.exists()


def test_unknown_and_foreign_goal_ids_are_ignored(org, pair, client_for):
    theirs = goal_make(org, pair.program, pair.partner, "Partner goal")

    response = client_for(pair.me).post(
        report_url(org, pair.match),
        answers(
            1,
            **{
                "goal_999999_progress": "ghost",
                "goal_999999_status": "achieved",
                f"goal_{theirs.pk}_status": "dropped",
                "goal_x_status": "dropped",
            },
        ),
    )

    assert response.status_code == 302
    with scope(organization=org):
        assert ProgressReport.objects.count() == 1
        assert not GoalProgress.objects.exists()
    theirs.refresh_from_db()
    assert theirs.status == Goal.Status.NOT_STARTED


def test_a_period_not_open_yet_is_refused(org, pair, client_for):
    response = client_for(pair.me).post(report_url(org, pair.match), answers(2), follow=True)

    assert "not open" in response.content.decode()
    with scope(organization=org):
        assert not ProgressReport.objects.exists()


def test_the_form_walks_through_the_periods(org, pair, client_for):
    published_days_ago(pair, 65)  # monthly: two periods due
    client = client_for(pair.me)

    for period, state in ((1, "due"), (2, "due"), (3, "early")):
        page = client.get(report_url(org, pair.match)).content.decode()
        assert f"Period {period}:" in page and f">{state}<" in page
        assert f'name="period" value="{period}"' in page
        assert client.post(report_url(org, pair.match), answers(period)).status_code == 302

    page = client.get(report_url(org, pair.match)).content.decode()
    assert "reported on every period so far" in page
    assert 'name="rating"' not in page


def test_paused_pairs_may_still_report(org, pair, client_for):
    published_days_ago(pair, 31)
    today = timezone.localdate(timezone=org.tzinfo)
    with scope(organization=org):
        Pause.objects.create(
            organization=org,
            match=pair.match,
            starts_on=today - timedelta(days=2),
            ends_on=today + timedelta(days=10),
        )
    client = client_for(pair.me)

    page = client.get(report_url(org, pair.match)).content.decode()
    response = client.post(report_url(org, pair.match), answers(1))

    assert "no report is due meanwhile" in page
    assert response.status_code == 302
    with scope(organization=org):
        assert ProgressReport.objects.count() == 1


def test_an_ended_pair_is_read_only(org, pair, client_for):
    with scope(organization=org):
        ProgressReport.objects.create(
            organization=org,
            match=pair.match,
            program=pair.program,
            author=pair.me,
            period=1,
            period_end=DAY0,
            working="yes",
            beneficial="yes",
            rating=5,
        )
        Match.objects.filter(pk=pair.match.pk).update(status=Match.Status.ENDED)
    client = client_for(pair.me)

    response = client.post(report_url(org, pair.match), answers(2), follow=True)
    mine = client.get(report_url(org, pair.match, "reports"))

    assert "read-only" in response.content.decode()
    assert mine.status_code == 200 and mine.content.decode().count('data-testid="report"') == 1
    assert report_url(org, pair.match) not in mine.content.decode()
    with scope(organization=org):
        assert ProgressReport.objects.count() == 1


# --- Who reads a report ------------------------------------------------------------------


def test_my_reports_are_mine(org, pair, client_for, coordinator, stranger, other_participant):
    publish(pair)
    submit(pair, 1, today=DAY0, change="Only for me and maybe the team")
    mine = client_for(pair.me).get(report_url(org, pair.match, "reports"))
    assert "Only for me and maybe the team" in mine.content.decode()
    assert "kept private" in mine.content.decode()

    partners = client_for(pair.partner).get(report_url(org, pair.match, "reports"))
    assert partners.status_code == 200
    assert "Only for me and maybe the team" not in partners.content.decode()
    for user in (coordinator, stranger, other_participant):
        client = client_for(user)
        for name in ("report", "reports"):
            assert client.get(report_url(org, pair.match, name)).status_code == 404, user.email


def _program_reports_url(org, program, slug=None):
    return reverse(
        "sessions:program_reports", kwargs={"org_slug": slug or org.slug, "pk": program.pk}
    )


def test_the_team_reads_only_what_was_shared(org, pair, client_for, coordinator):
    publish(pair)
    mine = goal_make(org, pair.program, pair.me, "SECRET-GOAL-TITLE")
    theirs = goal_make(org, pair.program, pair.partner, "Shared goal title")
    with scope(organization=org):
        mine = Goal.objects.select_related("plan").get(pk=mine.pk)
        theirs = Goal.objects.select_related("plan").get(pk=theirs.pk)
    submit(
        pair,
        1,
        today=DAY0,
        working="no",
        working_shared=True,
        beneficial="partly",
        change="SECRET-CHANGE-TEXT",
        rating=2,
        goals=[
            GoalAnswer(goal=mine, progress="SECRET-GOAL-PROGRESS", status="achieved", shared=False)
        ],
    )
    submit(
        pair,
        1,
        user=pair.partner,
        today=DAY0,
        beneficial="yes",
        beneficial_shared=True,
        change="Shared change text",
        change_shared=True,
        rating=5,
        goals=[
            GoalAnswer(
                goal=theirs, progress="Shared goal progress", status="in_progress", shared=True
            )
        ],
    )

    response = client_for(coordinator).get(_program_reports_url(org, pair.program))

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('data-testid="report-row"') == 2
    for secret in ("SECRET-CHANGE-TEXT", "SECRET-GOAL-PROGRESS", "SECRET-GOAL-TITLE", "Partly"):
        assert secret not in page
    for shared in ("Shared change text", "Shared goal progress", "Shared goal title"):
        assert shared in page
    assert "2/5" in page and "5/5" in page  # ratings always
    assert page.count("not shared") >= 3
    assert "Progress on 1 goal: not shared" in page
    assert pair.me.display_name in page and pair.partner.display_name in page


def test_the_team_page_is_for_coordinators_of_this_organisation(
    org, pair, client_for, other_coordinator, other_org
):
    url = _program_reports_url(org, pair.program)

    assert client_for(pair.me).get(url).status_code == 403
    assert client_for(other_coordinator).get(url).status_code == 404
    foreign = _program_reports_url(org, pair.program, slug=other_org.slug)
    assert client_for(other_coordinator).get(foreign).status_code == 404


# --- Query counts ------------------------------------------------------------------------


def _grow_reports(org, program, n):
    """Reports from n pairs of the program, each with two goal answers."""
    with scope(organization=org):
        have = ProgressReport.objects.filter(program=program).count()
    for i in range(have, n):
        other = pair_make(org, person(org, f"reporter{i:02}@acme.example.org"), program=program)
        author = other.people[0]
        goals = [goal_make(org, program, author, f"Goal {i}-{g}") for g in range(2)]
        with scope(organization=org):
            report = ProgressReport.objects.create(
                organization=org,
                match=other.match,
                program=program,
                author=author,
                period=1,
                period_end=DAY0,
                working="yes",
                working_shared=bool(i % 2),
                beneficial="no",
                change=f"Change {i}",
                change_shared=True,
                rating=1 + i % 5,
            )
            for g, goal in enumerate(goals):
                GoalProgress.objects.create(
                    organization=org,
                    report=report,
                    goal=goal,
                    goal_title=goal.title,
                    progress="p",
                    status="in_progress",
                    shared=bool(g),
                )


def test_team_page_queries_do_not_grow_with_reports(org, participant, client_for, coordinator):
    program = pair_make(org, participant).program
    client = client_for(coordinator)
    url = _program_reports_url(org, program)

    _grow_reports(org, program, 1)
    small, _ = count_queries(client, url)
    _grow_reports(org, program, 20)
    large, response = count_queries(client, url)

    assert response.content.decode().count('data-testid="report-row"') == 20
    assert len(large) == len(small), describe(large)


def test_my_reports_page_queries_do_not_grow(org, pair, client_for):
    publish(pair, timezone.now() - timedelta(days=400))
    client = client_for(pair.me)
    url = report_url(org, pair.match, "reports")
    goal = goal_make(org, pair.program, pair.me)
    with scope(organization=org):
        goal = Goal.objects.select_related("plan").get(pk=goal.pk)

    def grow(n):
        with scope(organization=org):
            have = ProgressReport.objects.count()
        for period in range(have + 1, n + 1):
            answer = GoalAnswer(goal=goal, progress="p", status="in_progress", shared=False)
            submit(pair, period, goals=[answer])

    grow(1)
    small, _ = count_queries(client, url)
    grow(12)
    large, response = count_queries(client, url)

    assert response.content.decode().count('data-testid="report"') == 12
    assert len(large) == len(small), describe(large)
