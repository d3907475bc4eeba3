"""The coordinators' audit log page and its CSV file: columns, filters, pages, time zone,
bad input, who may see it, and a query count that does not grow with the log."""

import csv
import io
import zoneinfo
from datetime import UTC, timedelta

import pytest
from django.utils import timezone
from django_scopes import scope
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peercoach.audit.models import Action, AuditEvent
from peercoach.tenancy.models import Membership
from sessions.models import Concern
from tests.audit.conftest import aware, events, export_url, log_url, plant
from tests.conftest import _member
from tests.factories import ProgramFactory, UserFactory, match_make
from tests.test_query_counts import count_queries, describe

pytestmark = pytest.mark.django_db

AUCKLAND = zoneinfo.ZoneInfo("Pacific/Auckland")


@pytest.fixture
def auckland(org):
    org.time_zone = "Pacific/Auckland"
    org.save()
    return org


def rows_of(response):
    return response.context["rows"]


def read_csv(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# --- The page -------------------------------------------------------------------------


def test_the_log_shows_who_what_when_and_where_newest_first(
    org, named_coordinator, participant, client_for
):
    with scope(organization=org):
        program = ProgramFactory(organization=org, name="Spring term")
        match = match_make(program=program, users=[participant, UserFactory()], status="active")
    plant(org, Action.PROGRAM_CREATED, actor=named_coordinator, program=program, target=program)
    plant(
        org,
        Action.MATCH_ENDED,
        actor=named_coordinator,
        program=program,
        target=match,
        summary="Members free to be paired again",
        ip="198.51.100.7",
    )
    plant(org, Action.AGREEMENT_VOIDED, summary="1 signature(s) voided")

    response = client_for(named_coordinator).get(log_url(org))
    assert response.status_code == 200
    text = response.content.decode()
    voided, ended, created = rows_of(response)
    assert voided.who == "System" and voided.action_label == "Agreement voided"
    assert ended.who == "Cora Ortiz" and ended.target == f"Pair {match.pk}"
    # The coordinators' page for one pair (its activity, never its content).
    assert ended.target_url == f"/o/acme/programs/{program.pk}/pairs/{match.pk}/"
    assert ended.program_url == f"/o/acme/programs/{program.pk}/"
    assert ended.ip == "198.51.100.7" and "198.51.100.7" in text
    # The program as target is the program's own link, not "Program 3" beside it.
    assert created.target == "" and created.program_name == "Spring term"
    assert "Members free to be paired again" in text and "Spring term" in text


def test_circles_and_other_targets_are_named_and_linked(org, coordinator, participant, client_for):
    from agreements.models import Agreement  # noqa: F401 - the label needs no row

    with scope(organization=org):
        circles = ProgramFactory(organization=org, format="circle")
        circle = match_make(
            program=circles, users=[participant, UserFactory(), UserFactory()], status="active"
        )
    plant(org, Action.MATCH_ENDED, program=circles, target=circle)
    event = plant(org, Action.AGREEMENT_SIGNED, program=circles)
    with scope(organization=org):
        AuditEvent.objects.filter(pk=event.pk).update(
            target_type="agreements.agreement", target_id=77
        )
    signed, ended = rows_of(client_for(coordinator).get(log_url(org)))
    assert ended.target == f"Circle {circle.pk}"
    assert signed.target == "Agreement 77"
    assert signed.target_url == f"/o/acme/programs/{circles.pk}/agreements/"


def test_concern_rows_are_shown_only_to_those_who_handle_concerns(
    org, coordinator, participant, client_for
):
    """Coordinators who do not handle concerns get no hint that one exists: the rows
    about concerns are left out of their log and their CSV, not just unlinked."""
    with scope(organization=org):
        concern = Concern.objects.create(
            organization=org, author=participant, category="other", body="x"
        )
    plant(org, Action.CONCERN_READ, actor=coordinator, target=concern, summary="read")
    plant(org, Action.EXPORT, actor=coordinator, summary="pairs.csv")
    client = client_for(coordinator)
    assert [row.action_label for row in rows_of(client.get(log_url(org)))] == ["Data exported"]
    assert rows_of(client.get(log_url(org, action=Action.CONCERN_READ))) == []
    assert [line[3] for line in read_csv(client.get(export_url(org)))[1:]] == ["Data exported"]

    with scope(organization=org):
        Membership.objects.filter(user=coordinator).update(handles_concerns=True)
    rows = rows_of(client.get(log_url(org)))
    # Newest first: the CSV download above (itself logged), the export, the reading.
    assert [row.action_label for row in rows] == [
        "Data exported",
        "Data exported",
        "Confidential concern read",
    ]
    assert rows[-1].target == f"Concern {concern.pk}"
    assert rows[-1].target_url == f"/o/acme/concerns/{concern.pk}/"
    assert [line[3] for line in read_csv(client.get(export_url(org)))[1:]][-1] == (
        "Confidential concern read"
    )


def test_times_are_in_the_organisations_time_zone(auckland, coordinator, client_for):
    coordinator.time_zone = "America/New_York"  # the person's own zone does not apply here
    coordinator.save()
    plant(auckland, Action.EXPORT, at=aware(UTC, 2026, 3, 1, 22, 30))
    response = client_for(coordinator).get(log_url(auckland))
    text = response.content.decode()
    # 22:30 UTC on 1 March is 11:30 on 2 March in Auckland (daylight saving, +13).
    assert "2 Mar 2026, 11:30" in text
    assert "Pacific/Auckland" in text
    rows = read_csv(client_for(coordinator).get(export_url(auckland)))
    assert rows[1][:2] == ["2026-03-02 11:30:00", "Pacific/Auckland"]


def test_times_read_in_the_coordinators_language(org, coordinator, client_for):
    """Spanish writes the month abbreviation in lower case ("3 dic", not Django's "3 Dic");
    English is as it always was."""
    plant(org, Action.EXPORT, at=aware(UTC, 2026, 12, 3, 9, 5))
    english = client_for(coordinator).get(log_url(org)).content.decode()
    assert "3 Dec 2026, 10:05" in english  # Berlin
    coordinator.language = "es"
    coordinator.save(update_fields=["language"])
    spanish = client_for(coordinator).get(log_url(org)).content.decode()
    assert '<html lang="es">' in spanish
    assert "3 dic 2026, 10:05" in spanish and "Dic" not in spanish


def test_dates_filter_by_whole_days_in_the_organisations_zone(auckland, coordinator, client_for):
    # Local days in Auckland: the first late on 1 March, the second early on 2 March.
    plant(auckland, Action.EXPORT, summary="late first", at=aware(AUCKLAND, 2026, 3, 1, 23, 30))
    plant(auckland, Action.EXPORT, summary="early second", at=aware(AUCKLAND, 2026, 3, 2, 0, 30))
    client = client_for(coordinator)

    def summaries(**query):
        return [row.summary for row in rows_of(client.get(log_url(auckland, **query)))]

    assert summaries(date_from="2026-03-02") == ["early second"]
    assert summaries(date_to="2026-03-01") == ["late first"]
    assert summaries(date_from="2026-03-01", date_to="2026-03-01") == ["late first"]
    assert summaries(date_from="2026-03-01", date_to="2026-03-02") == ["early second", "late first"]


def test_filters_by_action_person_search_and_program(
    org, named_coordinator, participant, client_for
):
    other = _member(org, Membership.Role.COORDINATOR, "second@acme.example.org")
    with scope(organization=org):
        spring = ProgramFactory(organization=org, name="Spring")
        autumn = ProgramFactory(organization=org, name="Autumn")
    plant(org, Action.PROGRAM_CREATED, actor=named_coordinator, program=spring, summary="one")
    plant(org, Action.PROGRAM_STATUS, actor=other, program=autumn, summary="two")
    plant(org, Action.OPT_OUT, actor=participant, program=spring, summary="three")
    plant(org, Action.AGREEMENT_VOIDED, summary="four")
    client = client_for(named_coordinator)

    def summaries(**query):
        response = client.get(log_url(org, **query))
        assert response.status_code == 200
        return sorted(row.summary for row in rows_of(response))

    assert summaries(action=Action.OPT_OUT) == ["three"]
    assert summaries(who=named_coordinator.pk) == ["one"]
    assert summaries(who="system") == ["four"]
    assert summaries(q="ORTIZ") == ["one"]  # part of the name, any case
    assert summaries(q="pat@acme") == ["three"]  # part of the email
    assert summaries(program=spring.pk) == ["one", "three"]
    assert summaries(program=spring.pk, who=named_coordinator.pk) == ["one"]
    # The "who" list holds the coordinators and the system, not participants.
    choices = dict(client.get(log_url(org)).context["form"].fields["who"].choices)
    assert set(choices) == {"", str(named_coordinator.pk), str(other.pk), "system"}


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"date_from": "yesterday"}, "date_from", "year-month-day"),
        ({"date_to": "2026-02-30"}, "date_to", "year-month-day"),
        ({"date_from": "0001-01-01"}, "date_from", "between 1900 and 2999"),
        ({"date_to": "9999-12-31"}, "date_to", "between 1900 and 2999"),
        ({"date_from": "2026-03-05", "date_to": "2026-03-01"}, "date_to", "before the start"),
        ({"who": "999999"}, "who", "valid choice"),
        ({"program": "abc"}, "program", "valid choice"),
        ({"action": "drop_table"}, "action", "valid choice"),
        ({"q": "x" * 300}, "q", "at most 200"),
    ],
)
def test_bad_filters_give_a_message_and_are_left_out(
    org, coordinator, client_for, query, field, message
):
    plant(org, Action.EXPORT, summary="still listed")
    response = client_for(coordinator).get(log_url(org, **query))
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    assert "left out of the filter" in response.content.decode()
    assert [row.summary for row in rows_of(response)] == ["still listed"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    query=st.dictionaries(
        st.sampled_from(["action", "who", "q", "program", "date_from", "date_to", "page"]),
        st.text(max_size=30),
    )
)
def test_no_query_string_gives_a_500(org, coordinator, client_for, query):
    client = client_for(coordinator)
    assert client.get(log_url(org), query).status_code == 200
    assert client.get(export_url(org), query).status_code == 200


def test_fifty_a_page_with_the_filters_kept_in_the_links(org, coordinator, client_for):
    start = timezone.now() - timedelta(days=1)
    with scope(organization=org):
        AuditEvent.objects.bulk_create(
            AuditEvent(organization=org, action=Action.EXPORT, summary=f"export {i:02}")
            for i in range(51)
        )
        for i, pk in enumerate(
            AuditEvent.objects.filter(organization=org).order_by("id").values_list("pk", flat=True)
        ):
            AuditEvent.objects.filter(pk=pk).update(created_at=start + timedelta(minutes=i))
    plant(org, Action.OPT_OUT, summary="another action")
    client = client_for(coordinator)
    first = client.get(log_url(org, action="export"))
    rows = rows_of(first)
    assert len(rows) == 50 and rows[0].summary == "export 50" and rows[-1].summary == "export 01"
    assert "?action=export&amp;page=2" in first.content.decode()
    second = client.get(log_url(org, action="export", page=2))
    assert [row.summary for row in rows_of(second)] == ["export 00"]
    assert "?action=export&amp;page=1" in second.content.decode()
    # A page past the end shows the last one.
    assert [r.summary for r in rows_of(client.get(log_url(org, action="export", page=9)))] == [
        "export 00"
    ]


def test_the_log_is_the_organisations_own(org, other_org, coordinator, client_for):
    plant(org, Action.EXPORT, summary="ours")
    plant(other_org, Action.EXPORT, summary="theirs")
    client = client_for(coordinator)
    assert [row.summary for row in rows_of(client.get(log_url(org)))] == ["ours"]
    assert "theirs" not in client.get(export_url(org)).content.decode()


def test_participants_may_not_see_the_log(org, participant, client_for):
    client = client_for(participant)
    assert client.get(log_url(org)).status_code == 403
    assert client.get(export_url(org)).status_code == 403
    assert events(org) == []


# --- The CSV file ---------------------------------------------------------------------


def test_the_csv_has_the_filtered_log_neutralised_and_its_download_is_recorded(
    org, named_coordinator, client_for
):
    with scope(organization=org):
        program = ProgramFactory(organization=org, name='=HYPERLINK("http://evil")')
    plant(org, Action.PROGRAM_CREATED, actor=named_coordinator, program=program, target=program)
    plant(org, Action.OPT_OUT, summary="@SUM(1+1)", ip="192.0.2.1")
    client = client_for(named_coordinator)

    response = client.get(export_url(org, action=Action.OPT_OUT), REMOTE_ADDR="203.0.113.5")
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-acme-')
    header, *rows = read_csv(response)
    assert header == [
        "When",
        "Time zone",
        "Who",
        "Action",
        "Program",
        "Target",
        "Summary",
        "IP address",
    ]
    assert len(rows) == 1
    assert rows[0][2:] == ["System", "Opted out", "", "", "'@SUM(1+1)", "192.0.2.1"]

    everything = read_csv(client.get(export_url(org)))
    assert '\'=HYPERLINK("http://evil")' in [row[4] for row in everything]

    exports = events(org, action=Action.EXPORT)
    assert [e.summary for e in exports] == [
        "Audit log CSV, 1 row (filtered)",
        "Audit log CSV, 3 rows",
    ]
    assert exports[0].actor == named_coordinator and exports[0].ip == "203.0.113.5"


# --- Query count ----------------------------------------------------------------------


def grow(org, n, *, actor):
    """n audit rows of every kind of target, spread over programs and people."""
    from agreements.models import Agreement  # noqa: F401

    with scope(organization=org):
        have = AuditEvent.objects.filter(organization=org, summary__startswith="Event").count()
        for i in range(have, n):
            program = ProgramFactory(organization=org, name=f"Program {i:02}")
            person = UserFactory(first_name="Person", last_name=f"{i:02}")
            match = match_make(program=program, users=[person, UserFactory()], status="active")
            action, target = [
                (Action.MATCH_ENDED, match),
                (Action.PROGRAM_CHANGED, program),
                (Action.OPT_OUT, None),
            ][i % 3]
            plant(
                org,
                action,
                actor=person if i % 2 else actor,
                program=program,
                target=target,
                summary=f"Event {i:02}",
            )


def test_the_page_runs_as_many_queries_for_50_events_as_for_1(org, coordinator, client_for):
    client = client_for(coordinator)
    url = log_url(org)
    grow(org, 1, actor=coordinator)
    count_queries(client, url)  # warm-up
    small, _ = count_queries(client, url)
    grow(org, 50, actor=coordinator)
    large, response = count_queries(client, url)
    assert b"Event 49" in response.content and len(rows_of(response)) == 50
    assert len(large) == len(small), describe(large)
    # Session, user, membership, two-factor check, coordinators, programs, count, the page,
    # the organisation switcher.
    assert len(large) <= 10, describe(large)


def test_the_csv_runs_as_many_queries_for_50_events_as_for_1(org, coordinator, client_for):
    client = client_for(coordinator)
    url = export_url(org)
    grow(org, 1, actor=coordinator)
    count_queries(client, url)
    small, _ = count_queries(client, url)
    grow(org, 50, actor=coordinator)
    large, response = count_queries(client, url)
    assert len(read_csv(response)) == 1 + 50 + 2  # header, events, the two earlier downloads
    assert len(large) == len(small), describe(large)


# --- Targets other areas record -------------------------------------------------------


@pytest.mark.parametrize(
    ("target_type", "program_id", "label", "url"),
    [
        ("tenancy.organization", None, "Organisation settings", "/o/acme/settings/"),
        ("tenancy.membership", None, "Membership 5", "/o/acme/people/"),
        ("surveys.survey", 3, "Survey 5", "/o/acme/programs/3/surveys/5/"),
        ("programs.application", 3, "Application 5", "/o/acme/programs/3/applications/5/"),
        ("coaching_sessions.optout", 3, "Opt-out 5", "/o/acme/programs/3/opt-outs/"),
        ("coaching_sessions.optout", None, "Opt-out 5", None),  # its program was deleted
        ("sessions.nosuchthing", None, "Sessions.nosuchthing 5", None),
    ],
)
def test_each_kind_of_target_is_named_and_linked(target_type, program_id, label, url):
    from workspace.audit_targets import target_label, target_url

    event = AuditEvent(target_type=target_type, target_id=5, program_id=program_id)
    assert target_label(event) == label
    assert target_url(event, "acme") == url
