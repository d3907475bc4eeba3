"""The coordinators' CSV exports: what each file holds, its form, filters, access and
the audit row of each download.

The helpers at the top (download, read, held, report, signed_agreement) serve the other
export test modules too.
"""

import codecs
import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django_scopes import scope

from agreements.models import Agreement
from peercoach.audit.models import Action, AuditEvent
from peercoach.tenancy.zones import zone_of
from programs.models import Match, Program
from programs.services.applications import CSV_COLUMNS as APPLICATION_COLUMNS
from programs.services.proposals import match_end
from sessions.models import OptOut, ProgressReport, Session, SessionPart
from sessions.services.endings import opt_out_give, opt_out_handle
from tests.agreements.conftest import template_make
from tests.factories import ApplicationFactory, ProgramFactory
from tests.sessions.conftest import pair_make, person
from workspace.selectors.exports import OPT_OUT_HEADER, PAIR_HEADER, SESSION_HEADER


def page_url(program):
    return reverse(
        "workspace:exports",
        kwargs={"org_slug": program.organization.slug, "pk": program.pk},
    )


def export_url(program, kind):
    return reverse(
        "workspace:export",
        kwargs={"org_slug": program.organization.slug, "pk": program.pk, "kind": kind},
    )


def download(client, program, kind, **params):
    """(response, body bytes) of one export, read to the end."""
    response = client.get(export_url(program, kind), params)
    assert response.status_code == 200, response.status_code
    body = b"".join(response.streaming_content)
    return response, body


# Every export's fixed columns, (code, title): the header is written in the person's
# language; `read` gives each column's code for an English title.
ALL_COLUMNS = (*PAIR_HEADER, *SESSION_HEADER, *OPT_OUT_HEADER, *APPLICATION_COLUMNS)


def titles(body):
    """The header row of a downloaded file, as written."""
    assert body.startswith(codecs.BOM_UTF8)
    return next(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def read(body):
    """(header as column codes, rows as dicts keyed by code) of a downloaded file in
    English, which must start with a BOM. A column that is no fixed one (a question)
    keeps its title."""
    assert body.startswith(codecs.BOM_UTF8)
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    with translation.override("en"):
        codes = {str(title): code for code, title in ALL_COLUMNS}
    header = [codes.get(title, title) for title in lines[0]]
    return header, [dict(zip(header, line, strict=True)) for line in lines[1:]]


def held(match, *, at=None, minutes=60, logged_by=None, **fields):
    """A held session of `match` (needs the scope)."""
    at = at or timezone.now() - timedelta(days=1)
    return Session.objects.create(
        organization=match.organization,
        program=match.program,
        match=match,
        status=fields.pop("status", Session.Status.HELD),
        starts_at=at,
        time_zone="UTC",
        duration_minutes=minutes,
        logged_by=logged_by,
        logged_at=at if logged_by else None,
        **fields,
    )


def report(match, author, *, period=1, change="", change_shared=False):
    return ProgressReport.objects.create(
        organization=match.organization,
        match=match,
        program=match.program,
        author=author,
        period=period,
        period_end=date(2025, 2, 1),
        working=ProgressReport.Answer.YES,
        beneficial=ProgressReport.Answer.PARTLY,
        change=change,
        change_shared=change_shared,
        rating=4,
    )


def signed_agreement(match, *, template=None, at=None):
    template = template or template_make(match.program)
    return Agreement.objects.create(
        organization=match.organization,
        match=match,
        program=match.program,
        template=template,
        status=Agreement.Status.SIGNED,
        signed_at=at or datetime(2025, 1, 20, 23, 30, tzinfo=UTC),
    )


def open_agreement(match, *, template):
    return Agreement.objects.create(
        organization=match.organization,
        match=match,
        program=match.program,
        template=template,
        status=Agreement.Status.OPEN,
    )


def active(program):
    return Match.objects.filter(program=program, status=Match.Status.ACTIVE)


pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(org, participant):
    """An active reciprocal pair in a running program: `participant` and a partner."""
    return pair_make(org, participant)


@pytest.fixture
def circle(org, participant):
    """An active circle of four with `participant` first."""
    return pair_make(org, participant, format=Program.Format.CIRCLE, size=4)


KINDS = [
    ("applications", "Applications (CSV)"),
    ("pairs", "Pairs (CSV)"),
    ("sessions", "Session activity (CSV)"),
    ("opt-outs", "Opt-outs (CSV)"),
]


def org_today(org):
    return timezone.now().astimezone(zone_of(None, org)).date().isoformat()


def test_page_lists_the_four_files_with_what_each_holds(pair, coordinator, client_for):
    response = client_for(coordinator).get(page_url(pair.program))

    assert response.status_code == 200
    html = response.content.decode()
    for kind, text in KINDS:
        assert f'href="{export_url(pair.program, kind)}" download>{text}</a>' in html
    assert html.count("Left out:") == 4
    assert "Europe/Berlin" in html  # the organisation's zone, which the files use


def test_pairs_file(org, pair, coordinator, client_for):
    program = pair.program
    with scope(organization=org):
        a = pair.match
        template = template_make(program)
        held(a, at=datetime(2025, 1, 10, 12, 0, tzinfo=UTC), logged_by=pair.me)
        # 23:30 UTC is already the next day in Berlin.
        held(a, at=datetime(2025, 1, 17, 23, 30, tzinfo=UTC), logged_by=pair.partner)
        held(a, at=datetime(2025, 2, 1, 9, 0, tzinfo=UTC), status=Session.Status.CANCELLED)
        signed_agreement(a, template=template, at=datetime(2025, 1, 20, 23, 30, tzinfo=UTC))
        report(a, pair.me)
        b = pair_make(org, person(org, "bea@acme.example.org"), program=program)
        open_agreement(b.match, template=template)
        opt_out_give(match=b.match, user=b.partner, reason="no_time", notice="Too busy now.")
        c = pair_make(org, person(org, "cem@acme.example.org"), program=program)
        match_end(match=c.match, ended_by=coordinator, reason="Both moved to another site.")
        # A proposal that was never published is no pair yet.
        proposed = pair_make(org, person(org, "dan@acme.example.org"), program=program).match
        Match.objects.filter(pk=proposed.pk).update(status=Match.Status.PROPOSED)

    response, body = download(client_for(coordinator), program, "pairs")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    expected_name = f"{slugify(program.name)}-pairs-{org_today(org)}.csv"
    assert response["Content-Disposition"] == f'attachment; filename="{expected_name}"'
    header, rows = read(body)
    assert header[:4] == ["pair_id", "format", "status", "member_names"]
    assert [row["pair_id"] for row in rows] == [str(a.pk), str(b.match.pk), str(c.match.pk)]
    first, second, third = rows
    today = org_today(org)
    assert first == {
        "pair_id": str(a.pk),
        "format": "reciprocal",
        "status": "active",
        "member_names": f"{pair.me.display_name}; {pair.partner.display_name}",
        "member_emails": f"{pair.me.email}; {pair.partner.email}",
        "member_roles": "partner; partner",
        "members_who_left": "",
        "created_on": today,
        "published_on": today,
        "ended_on": "",
        "end_reason": "",
        "opt_out_reason": "",
        "agreement_status": "signed",
        "agreement_signed_on": "2025-01-21",
        "sessions_held": "2",
        "last_session_on": "2025-01-18",
        "progress_reports": "1",
    }
    assert (second["status"], second["ended_on"], second["end_reason"]) == (
        "ended",
        today,
        "opt_out",
    )
    assert (second["opt_out_reason"], second["agreement_status"]) == ("no_time", "open")
    assert (second["sessions_held"], second["last_session_on"]) == ("0", "")
    assert (third["end_reason"], third["opt_out_reason"], third["agreement_status"]) == (
        "program_team",
        "",
        "none",
    )


def test_pairs_file_names_who_left_a_circle_that_goes_on(org, circle, coordinator, client_for):
    leaver = circle.people[3]
    with scope(organization=org):
        opt_out_give(match=circle.match, user=leaver, reason="leaving", notice="New job.")

    _, body = download(client_for(coordinator), circle.program, "pairs")

    (row,) = read(body)[1]
    assert (row["format"], row["status"], row["end_reason"]) == ("circle", "active", "")
    assert row["member_roles"] == "member; member; member; member"
    assert row["members_who_left"] == leaver.display_name


def test_sessions_file_in_the_organisations_time_zone(org, pair, coordinator, client_for):
    # The coordinator's own zone differs: files follow the organisation's (Berlin).
    coordinator.time_zone = "America/New_York"
    coordinator.save(update_fields=["time_zone"])
    with scope(organization=org):
        first = held(
            pair.match,
            at=datetime(2025, 1, 10, 12, 0, tzinfo=UTC),
            minutes=90,
            logged_by=pair.me,
            modality="in_person",
        )
        later = held(
            pair.match,
            at=datetime(2025, 7, 1, 8, 0, tzinfo=UTC),
            minutes=45,
            status=Session.Status.SCHEDULED,
        )

    _, body = download(client_for(coordinator), pair.program, "sessions")

    header, rows = read(body)
    assert header == [
        "session_id",
        "pair_id",
        "starts_at",
        "duration_minutes",
        "modality",
        "status",
        "logged_by",
        "attended",
    ]
    assert [list(row.values()) for row in rows] == [
        [str(first.pk), str(pair.match.pk), "2025-01-10 13:00", "90", "in_person", "held"]
        + [pair.me.display_name, ""],
        [str(later.pk), str(pair.match.pk), "2025-07-01 10:00", "45", "teams", "scheduled"]
        + ["", ""],
    ]


def test_sessions_file_counts_who_attended_a_circle(org, circle, coordinator, client_for):
    with scope(organization=org):
        three = held(circle.match, at=datetime(2025, 3, 3, 9, 0, tzinfo=UTC), logged_by=circle.me)
        for position, user in enumerate(circle.people[:3]):
            SessionPart.objects.create(
                organization=org, session=three, coachee=user, minutes=20, position=position
            )
        held(circle.match, at=datetime(2025, 4, 3, 9, 0, tzinfo=UTC), status="cancelled")

    _, body = download(client_for(coordinator), circle.program, "sessions")

    rows = read(body)[1]
    assert [(row["status"], row["attended"]) for row in rows] == [("held", "3"), ("cancelled", "")]


def test_opt_outs_file(org, pair, coordinator, client_for):
    program = pair.program
    with scope(organization=org):
        other = pair_make(org, person(org, "eda@acme.example.org"), program=program)
        shared = opt_out_give(
            match=pair.match, user=pair.me, reason="mismatch", notice="Read me.", notice_shared=True
        ).opt_out
        opt_out_give(match=other.match, user=other.partner, reason="no_time", notice="Busy.")
        opt_out_handle(opt_out=shared, user=coordinator)

    _, body = download(client_for(coordinator), program, "opt-outs")

    header, rows = read(body)
    today = org_today(org)
    assert header == [
        "opted_out_on",
        "pair_id",
        "name",
        "email",
        "reason",
        "notice_shared_with_team",
        "handled",
        "handled_on",
    ]
    assert [list(row.values()) for row in rows] == [
        [today, str(pair.match.pk), pair.me.display_name, pair.me.email, "mismatch"]
        + ["yes", "yes", today],
        [today, str(other.match.pk), other.partner.display_name, other.partner.email, "no_time"]
        + ["no", "no", ""],
    ]


def test_applications_file_is_the_applications_pages_export(org, pair, coordinator, client_for):
    with scope(organization=org):
        ApplicationFactory(program=pair.program, user=pair.me, group="Finance")
        ApplicationFactory(program=pair.program, user=pair.partner, group="Sales")
    client = client_for(coordinator)

    response, body = download(client, pair.program, "applications")
    page_export = client.get(
        reverse(
            "programs:applications_export",
            kwargs={"org_slug": org.slug, "pk": pair.program.pk},
        )
    )

    assert page_export.status_code == 200
    assert body == page_export.content
    header, rows = read(body)
    assert header == ["email", "first_name", "last_name", "status", "submitted_at"]
    assert [row["email"] for row in rows] == [pair.me.email, pair.partner.email]
    assert response["Content-Disposition"].endswith(f'-applications-{org_today(org)}.csv"')


def test_formula_cells_are_neutralised(org, pair, coordinator, client_for):
    formula = '=HYPERLINK("http://evil.example","Click")'
    pair.me.first_name, pair.me.last_name = formula, "Doe"
    pair.me.save(update_fields=["first_name", "last_name"])
    pair.partner.first_name, pair.partner.last_name = "@SUM(1+1)", "\tTab"
    pair.partner.save(update_fields=["first_name", "last_name"])
    with scope(organization=org):
        ApplicationFactory(program=pair.program, user=pair.me, group="-1+1")
        held(pair.match, logged_by=pair.me)
        opt_out_give(match=pair.match, user=pair.partner, reason="other", notice="=1+1")
    client = client_for(coordinator)

    applications = read(download(client, pair.program, "applications")[1])[1]
    pairs = read(download(client, pair.program, "pairs")[1])[1]
    sessions = read(download(client, pair.program, "sessions")[1])[1]
    opt_outs = read(download(client, pair.program, "opt-outs")[1])[1]

    assert applications[0]["first_name"] == "'" + formula
    assert pairs[0]["member_names"] == f"'{formula} Doe; @SUM(1+1) \tTab"
    assert sessions[0]["logged_by"] == f"'{formula} Doe"
    assert opt_outs[0]["name"] == "'@SUM(1+1) \tTab"


def test_a_group_or_community_filters_every_file(org, pair, coordinator, client_for):
    program = pair.program
    with scope(organization=org):
        other = pair_make(org, person(org, "fin@acme.example.org"), program=program)
        for user, group, community in [
            (pair.me, "Finance", "North"),
            (pair.partner, "Sales", "South"),
            (other.me, "Sales", "East"),
            (other.partner, "Sales", "East"),
        ]:
            ApplicationFactory(program=program, user=user, group=group, community=community)
        mine = held(pair.match, logged_by=pair.me)
        held(other.match, logged_by=other.me)
        OptOut.objects.create(
            organization=org, match=pair.match, program=program, user=pair.me, reason="other"
        )
        OptOut.objects.create(
            organization=org, match=other.match, program=program, user=other.me, reason="other"
        )
    client = client_for(coordinator)

    for params in ({"group": "Finance"}, {"community": "South"}):
        applications = read(download(client, program, "applications", **params)[1])[1]
        pairs = read(download(client, program, "pairs", **params)[1])[1]
        sessions = read(download(client, program, "sessions", **params)[1])[1]
        opt_outs = read(download(client, program, "opt-outs", **params)[1])[1]
        expected_email = pair.me.email if "group" in params else pair.partner.email
        assert [row["email"] for row in applications] == [expected_email]
        assert [row["pair_id"] for row in pairs] == [str(pair.match.pk)]
        assert [row["session_id"] for row in sessions] == [str(mine.pk)]
        assert [row["pair_id"] for row in opt_outs] == [str(pair.match.pk)]

    html = client.get(page_url(program), {"group": "Finance"}).content.decode()
    assert f'href="{export_url(program, "pairs")}?group=Finance"' in html
    assert '<option value="Finance" selected>' in html


def test_an_unknown_group_gets_a_message_not_a_file(org, pair, coordinator, client_for):
    client = client_for(coordinator)
    for url in (page_url(pair.program), export_url(pair.program, "pairs")):
        response = client.get(url, {"group": "Nowhere"})
        assert response.status_code == 400
        assert "names the group “Nowhere”" in response.content.decode()
    with scope(organization=org):
        assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()


def test_an_unknown_kind_is_not_found(pair, coordinator, client_for):
    response = client_for(coordinator).get(export_url(pair.program, "notes"))
    assert response.status_code == 404


def test_another_tenants_program_is_not_found(org, other_org, coordinator, client_for):
    with scope(organization=other_org):
        theirs = ProgramFactory(organization=other_org)
    client = client_for(coordinator)
    for name, extra in (("workspace:exports", {}), ("workspace:export", {"kind": "pairs"})):
        url = reverse(name, kwargs={"org_slug": org.slug, "pk": theirs.pk, **extra})
        assert client.get(url).status_code == 404


def test_participants_are_refused(pair, client_for):
    client = client_for(pair.me)
    assert client.get(page_url(pair.program)).status_code == 403
    assert client.get(export_url(pair.program, "pairs")).status_code == 403


def test_each_download_is_in_the_audit_log(org, pair, coordinator, client_for):
    client = client_for(coordinator)
    download(client, pair.program, "pairs")
    download(client, pair.program, "sessions", group="")
    with scope(organization=org):
        ApplicationFactory(program=pair.program, user=pair.me, group="Finance")
    download(client, pair.program, "applications", group="Finance")
    client.get(page_url(pair.program))  # the page itself exports nothing

    with scope(organization=org):
        events = list(AuditEvent.objects.filter(action=Action.EXPORT).order_by("id"))
    assert [e.summary for e in events] == [
        "pairs.csv, 1 row",
        "sessions.csv, 0 rows",
        "applications.csv, 1 row, group Finance",
    ]
    for event in events:
        assert (event.actor, event.program, event.target_type, event.target_id) == (
            coordinator,
            pair.program,
            "programs.program",
            pair.program.pk,
        )


def test_the_applications_pages_export_is_audited_too(org, pair, coordinator, client_for):
    url = reverse(
        "programs:applications_export", kwargs={"org_slug": org.slug, "pk": pair.program.pk}
    )
    assert client_for(coordinator).get(url).status_code == 200
    with scope(organization=org):
        (event,) = AuditEvent.objects.filter(action=Action.EXPORT)
    assert event.summary == "applications.csv, 0 rows"


def test_a_head_request_downloads_and_records_nothing(org, pair, coordinator, client_for):
    response = client_for(coordinator).head(export_url(pair.program, "pairs"))
    assert response.status_code == 405
    with scope(organization=org):
        assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()
