"""Applications: the form, decisions, CSV in and out, and the open application link."""

import csv
import io

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django_scopes import scope, scopes_disabled

from peercoach.accounts.models import Invitation, User
from peercoach.tenancy.models import Membership
from programs.models import Application, Program, Question
from programs.services import applications as services
from programs.services import joining, open_link
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    ProgramFactory,
    QuestionFactory,
    UserFactory,
    match_make,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(org):
    with scope(organization=org):
        program = ProgramFactory(organization=org, name="Peer Coaching 2027")
        QuestionFactory(
            program=program,
            kind=Question.Kind.GROUP,
            label="Your department",
            options=["Networking", "Security", "Students"],
            communities={"Networking": "Staff", "Security": "Staff", "Students": "Learners"},
        )
        QuestionFactory(
            program=program,
            kind=Question.Kind.ROLE_LEVEL,
            label="Your role level",
            options=["Manager", "Technical lead", "Individual contributor"],
        )
        QuestionFactory(
            program=program,
            kind=Question.Kind.TRAIT,
            label="Pace of work",
            scale_low=1,
            scale_high=5,
            trait_rule=Question.TraitRule.SIMILAR,
        )
        QuestionFactory(
            program=program,
            kind=Question.Kind.PRIORITIES,
            label="What do you want to work on?",
            options=["Delegation", "Career mapping", "Feedback"],
        )
        QuestionFactory(program=program, kind=Question.Kind.PREFERRED_ROLE, label="Preferred role")
        QuestionFactory(
            program=program, kind=Question.Kind.GOALS, label="Your goals", required=False
        )
    return program


def question(program, kind):
    with scope(organization=program.organization):
        return Question.objects.get(program=program, kind=kind)


def good_answers(program, group="Networking"):
    q = {k: question(program, k).key for k in Question.SINGLETONS if _has(program, k)}
    q_trait = question(program, Question.Kind.TRAIT).key
    return {
        q[Question.Kind.GROUP]: group,
        q[Question.Kind.ROLE_LEVEL]: "Manager",
        q_trait: "4",
        q[Question.Kind.PRIORITIES]: ["delegation", "Feedback"],
        q[Question.Kind.PREFERRED_ROLE]: "coach",
        q[Question.Kind.GOALS]: "Learn to hand over work.",
    }


def _has(program, kind):
    with scope(organization=program.organization):
        return Question.objects.filter(program=program, kind=kind).exists()


def form_data(program, answers):
    """The POST body of the web form for these answers."""
    return {f"q{key}": value for key, value in answers.items()}


# --- Answers and the service ----------------------------------------------------------


def test_submit_copies_what_lists_and_the_matcher_use(program, participant):
    with scope(organization=program.organization):
        application = services.application_submit(
            program=program, user=participant, raw_answers=good_answers(program)
        )
    assert application.status == Application.Status.SUBMITTED
    assert (application.group, application.community) == ("Networking", "Staff")
    assert application.role_level == "Manager"
    assert application.preferred_role == "coach"
    priorities = question(program, Question.Kind.PRIORITIES).key
    trait = question(program, Question.Kind.TRAIT).key
    # Options are stored as written in the form, whatever the case typed.
    assert application.answers[priorities] == ["Delegation", "Feedback"]
    assert application.answers[trait] == 4


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        (Question.Kind.GROUP, "Marketing", "not one of the options"),
        (Question.Kind.TRAIT, "9", "from 1 to 5"),
        (Question.Kind.TRAIT, "four", "whole number"),
        (Question.Kind.PRIORITIES, ["Delegation", "Juggling"], "“Juggling” is not one"),
        (Question.Kind.PREFERRED_ROLE, "boss", "Coach, Coachee, Either or both"),
        (Question.Kind.ROLE_LEVEL, "", "needs an answer"),
        (Question.Kind.GOALS, "x" * 4001, "under 4000 characters"),
    ],
)
def test_bad_answers_are_refused_per_question(program, participant, kind, value, message):
    answers = good_answers(program)
    answers[question(program, kind).key] = value
    with scope(organization=program.organization), pytest.raises(services.ApplicationError) as exc:
        services.application_submit(program=program, user=participant, raw_answers=answers)
    errors = exc.value.message_dict
    assert list(errors) == [question(program, kind).key]
    assert message in " ".join(errors[question(program, kind).key])
    with scope(organization=program.organization):
        assert not Application.objects.exists()


def test_changes_allowed_until_matching_starts(program, participant):
    with scope(organization=program.organization):
        services.application_submit(
            program=program, user=participant, raw_answers=good_answers(program)
        )
        changed = services.application_submit(
            program=program, user=participant, raw_answers=good_answers(program, "Security")
        )
        assert changed.group == "Security"
        assert Application.objects.count() == 1
        program.status = Program.Status.MATCHING
        program.save()
        with pytest.raises(services.ApplicationError, match="Matching has started"):
            services.application_submit(
                program=program, user=participant, raw_answers=good_answers(program, "Students")
            )
        assert Application.objects.get().group == "Security"


def test_new_applications_need_an_open_program(program, participant):
    program.status = Program.Status.DRAFT
    with (
        scope(organization=program.organization),
        pytest.raises(services.ApplicationError, match="not taking applications"),
    ):
        services.application_submit(
            program=program, user=participant, raw_answers=good_answers(program)
        )


def test_withdraw_and_come_back(program, participant):
    with scope(organization=program.organization):
        application = services.application_submit(
            program=program, user=participant, raw_answers=good_answers(program)
        )
        services.application_withdraw(application=application)
        assert application.status == Application.Status.WITHDRAWN
        again = services.application_submit(
            program=program, user=participant, raw_answers=good_answers(program)
        )
        assert again.pk == application.pk and again.status == Application.Status.SUBMITTED


def test_matched_people_cannot_withdraw(program, participant, stranger):
    with scope(organization=program.organization):
        application = ApplicationFactory(program=program, user=participant)
        match_make(program=program, users=[participant, stranger])
        with pytest.raises(services.ApplicationError, match="opt out"):
            services.application_withdraw(application=application)


# --- The participant's pages ----------------------------------------------------------


def test_apply_through_the_page(program, participant, client_for):
    client = client_for(participant)
    url = reverse(
        "programs:apply", kwargs={"org_slug": program.organization.slug, "pk": program.pk}
    )
    page = client.get(url)
    assert page.status_code == 200
    assert b"Pace of work" in page.content and b"Your department" in page.content

    response = client.post(url, form_data(program, good_answers(program)))

    assert response.status_code == 302
    with scope(organization=program.organization):
        assert Application.objects.get(user=participant).group == "Networking"


def test_bad_input_on_the_page_is_explained_not_a_500(program, participant, client_for):
    client = client_for(participant)
    url = reverse(
        "programs:apply", kwargs={"org_slug": program.organization.slug, "pk": program.pk}
    )
    answers = good_answers(program)
    answers[question(program, Question.Kind.TRAIT).key] = "77"
    del answers[question(program, Question.Kind.ROLE_LEVEL).key]

    response = client.post(url, form_data(program, answers))

    assert response.status_code == 400
    assert b"Some answers need your attention" in response.content
    assert b"This question needs an answer." in response.content
    assert b"Give a number from 1 to 5." in response.content
    with scope(organization=program.organization):
        assert not Application.objects.exists()


# --- Decisions ------------------------------------------------------------------------


def test_bulk_decisions_email_each_applicant_once(program, coordinator, client_for, commit):
    with scope(organization=program.organization):
        applications = [
            ApplicationFactory(program=program, status=Application.Status.SUBMITTED)
            for _ in range(3)
        ]
    client = client_for(coordinator)
    url = reverse(
        "programs:applications", kwargs={"org_slug": program.organization.slug, "pk": program.pk}
    )
    body = {"decision": "accept", "application": [a.pk for a in applications[:2]]}

    with commit():
        client.post(url, body)
    with commit():
        client.post(url, body)  # the same decision again changes nothing, sends nothing

    assert sorted(m.to[0] for m in mail.outbox) == sorted(a.user.email for a in applications[:2])
    assert "You are in: Peer Coaching 2027" in mail.outbox[0].subject
    with scope(organization=program.organization):
        statuses = [Application.objects.get(pk=a.pk).status for a in applications]
    assert statuses == ["accepted", "accepted", "submitted"]


def test_declining_a_matched_person_is_refused_whole(program, participant, stranger):
    with scope(organization=program.organization):
        matched = ApplicationFactory(program=program, user=participant)
        other = ApplicationFactory(program=program, status=Application.Status.SUBMITTED)
        match_make(program=program, users=[participant, stranger])
        with pytest.raises(services.ApplicationError, match=participant.email):
            services.applications_decide(
                program=program,
                application_ids=[matched.pk, other.pk],
                decision="decline",
                decided_by=None,
            )
        assert Application.objects.get(pk=other.pk).status == "submitted"


# --- CSV ------------------------------------------------------------------------------


def member(org, email):
    with scope(organization=org):
        user = UserFactory(email=email)
        MembershipFactory(organization=org, user=user)
    return user


def test_csv_import_is_all_or_nothing_with_line_numbers(program, org):
    member(org, "ann@acme.example.org")
    member(org, "bob@acme.example.org")
    data = (
        b"email;Your department;Your role level;Pace of work;What do you want to work on?;"
        b"Preferred role\n"
        b"ann@acme.example.org;Networking;Manager;3;Delegation|Feedback;coach\n"
        b"bob@acme.example.org;Kitchen;Manager;3;Delegation;coachee\n"
        b"nobody@acme.example.org;Security;Manager;3;Feedback;both\n"
    )
    with scope(organization=org), pytest.raises(services.CsvImportError) as exc:
        services.applications_import_csv(program=program, data=data)
    lines = {(e.line, e.message.split(":")[0]) for e in exc.value.errors}
    assert (3, "Your department") in lines
    assert any(e.line == 4 and "not a member" in e.message for e in exc.value.errors)
    with scope(organization=org):
        assert not Application.objects.exists()


def test_csv_import_then_export_round_trip(program, org, coordinator, client_for):
    member(org, "ann@acme.example.org")
    data = (
        "\ufeffemail,status,Your department,Your role level,Pace of work,"
        "What do you want to work on?,Preferred role,Your goals\n"
        'ann@acme.example.org,accepted,Students,Technical lead,2,"delegation; feedback",both,'
        '=HYPERLINK("http://evil")\n'
    ).encode()
    with scope(organization=org):
        created = services.applications_import_csv(program=program, data=data)
    assert [(a.status, a.source, a.community) for a in created] == [("accepted", "csv", "Learners")]

    response = client_for(coordinator).get(
        reverse(
            "programs:applications_export",
            kwargs={"org_slug": org.slug, "pk": program.pk},
        )
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["Email", "First name", "Last name", "Status", "Submitted"]
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["What do you want to work on?"] == "Delegation; Feedback"
    # A cell a spreadsheet would run as a formula is neutralised.
    assert record["Your goals"] == '\'=HYPERLINK("http://evil")'


def test_csv_page_lists_errors(program, org, coordinator, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("programs:applications_import", kwargs={"org_slug": org.slug, "pk": program.pk})
    upload = SimpleUploadedFile("a.csv", b"email,Favourite colour\nx@example.org,blue\n")
    response = client_for(coordinator).post(url, {"file": upload})
    assert response.status_code == 400
    assert "Unknown column(s): Favourite colour" in response.content.decode()


# --- The open application link --------------------------------------------------------


@pytest.fixture
def open_program(program):
    with scope(organization=program.organization):
        program.open_link_enabled = True
        program.save()
    return program


def join_url(program):
    return reverse("programs:join", kwargs={"token": program.open_link_token})


def test_open_link_newcomer_gets_an_invitation_that_leads_to_the_form(open_program, client, commit):
    with commit():
        response = client.post(join_url(open_program), {"email": "Newbie@Example.org"})
    assert response.status_code == 200 and b"Check your email" in response.content
    with scopes_disabled():
        invitation = Invitation.objects.get(email="newbie@example.org")
    apply_path = reverse(
        "programs:apply", kwargs={"org_slug": open_program.organization.slug, "pk": open_program.pk}
    )
    assert invitation.next_path == apply_path
    assert invitation.role == Membership.Role.PARTICIPANT
    link = next(line for line in mail.outbox[0].body.splitlines() if "/invite/" in line).strip()

    response = client.post(
        link.removeprefix("http://127.0.0.1:8000"),
        {
            "first_name": "Nia",
            "last_name": "Newbie",
            "password1": "a long enough pass phrase",
            "password2": "a long enough pass phrase",
        },
    )

    assert response.status_code == 302 and response["Location"] == apply_path
    assert client.get(apply_path).status_code == 200


def test_open_link_does_not_reveal_accounts_and_rate_limits(
    open_program, client, commit, participant
):
    with commit():
        known = client.post(join_url(open_program), {"email": participant.email})
    assert known.status_code == 200 and b"Check your email" in known.content
    assert "Your link to apply" in mail.outbox[-1].subject
    with scopes_disabled():
        assert not Invitation.objects.filter(email=participant.email).exists()
    for _ in range(2):
        client.post(join_url(open_program), {"email": participant.email})
    refused = client.post(join_url(open_program), {"email": participant.email})
    assert refused.status_code == 400 and b"Too many requests" in refused.content


def test_open_link_signed_in_non_member_joins(open_program, other_participant, client_for):
    client = client_for(other_participant)
    assert b"Join and apply" in client.get(join_url(open_program)).content
    response = client.post(join_url(open_program))
    assert response.status_code == 302
    with scope(organization=open_program.organization):
        assert Membership.objects.filter(
            user=other_participant, organization=open_program.organization, role="participant"
        ).exists()


def test_switched_off_link_is_gone(program, client):
    assert client.get(join_url(program)).status_code == 404
    assert not User.objects.filter(email="x@example.org").exists()


def test_an_empty_post_gets_the_form_back_not_a_500(program, participant, client_for):
    url = reverse(
        "programs:apply", kwargs={"org_slug": program.organization.slug, "pk": program.pk}
    )
    response = client_for(participant).post(url, {})
    assert response.status_code == 400
    assert b"This question needs an answer." in response.content


def test_open_link_stops_when_applications_close(open_program, other_participant, client_for):
    """A link left on after applications close lets nobody into the organisation."""
    with scope(organization=open_program.organization):
        open_program.status = Program.Status.RUNNING
        open_program.save()
    client = client_for(other_participant)
    assert client.get(join_url(open_program)).status_code == 404
    assert client.post(join_url(open_program)).status_code == 404
    with scope(organization=open_program.organization):
        assert not Membership.objects.filter(user=other_participant).exists()


def test_open_link_rate_limit_counts_per_client_behind_the_proxy(open_program, client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    limit, _period = open_link.OPEN_LINK_LIMITS["ip"]

    def ask(n, client_ip):
        return client.post(
            join_url(open_program),
            {"email": f"person{n}@example.org"},
            headers={"X-Forwarded-For": client_ip},
        )

    for n in range(limit):
        assert ask(n, "203.0.113.7").status_code == 200
    assert b"Too many requests" in ask(limit, "203.0.113.7").content
    # Someone else behind the same proxy still gets through.
    assert ask(limit + 1, "198.51.100.9").status_code == 200


def test_open_link_leaves_a_coordinators_invitation_alone(open_program, coordinator, commit):
    from peercoach.accounts.services import invitation_create

    with scope(organization=open_program.organization), commit():
        invitation = invitation_create(
            organization=open_program.organization,
            email="kim@example.org",
            role=Membership.Role.COORDINATOR,
            invited_by=coordinator,
        )
    sent = len(mail.outbox)
    with commit():
        open_link.open_link_request(program=open_program, email="kim@example.org", ip="1.2.3.4")
    with scopes_disabled():
        after = Invitation.objects.get(pk=invitation.pk)
    assert (after.nonce, after.next_path) == (invitation.nonce, "")
    assert len(mail.outbox) == sent


def test_an_export_imports_back_into_the_next_term(program, org, coordinator, client_for):
    with scope(organization=org):
        ApplicationFactory(
            program=program,
            user=member(org, "ann@acme.example.org"),
            answers={question(program, Question.Kind.GROUP).key: "Security"},
        )
        copy = ProgramFactory(organization=org)
        for q in Question.objects.filter(program=program):
            q.pk = None
            q.program = copy
            q.required = False
            q.save()
    exported = client_for(coordinator).get(
        reverse("programs:applications_export", kwargs={"org_slug": org.slug, "pk": program.pk})
    )
    with scope(organization=org):
        created = services.applications_import_csv(program=copy, data=exported.content)
    assert [(a.user.email, a.group) for a in created] == [("ann@acme.example.org", "Security")]


# --- Issue 15: the CSV accepts what the form shows; late joiners -----------------------


def _import_rows(program, org, rows):
    header = "email,status,Your department,Your role level,Pace of work," + (
        "What do you want to work on?,Preferred role\n"
    )
    body = "".join(
        f"{email},{status},Networking,Manager,3,Feedback,{role}\n" for email, status, role in rows
    )
    with scope(organization=org):
        return services.applications_import_csv(program=program, data=(header + body).encode())


def test_csv_accepts_the_labels_the_form_shows_as_well_as_the_codes(program, org):
    cells = {
        "either@acme.example.org": ("Either or both", "both"),
        "label@acme.example.org": ("  COACHEE ", "coachee"),
        "code@acme.example.org": ("coach", "coach"),
        "spaced@acme.example.org": ("either  or BOTH", "both"),
    }
    for email in cells:
        member(org, email)
    created = _import_rows(
        program, org, [(email, " Wait-listed ", cell) for email, (cell, _) in cells.items()]
    )
    got = {a.user.email: (a.preferred_role, a.status) for a in created}
    assert got == {email: (code, "waitlisted") for email, (_, code) in cells.items()}


def test_csv_names_an_unknown_role_per_row_with_the_accepted_values(program, org):
    member(org, "ann@acme.example.org")
    member(org, "bob@acme.example.org")
    with pytest.raises(services.CsvImportError) as exc:
        _import_rows(
            program,
            org,
            [
                ("ann@acme.example.org", "accepted", "Either or both"),
                ("bob@acme.example.org", "accepted", "mentor"),
            ],
        )
    (error,) = exc.value.errors
    assert error.line == 3
    assert "“mentor”" in error.message and "Either or both" in error.message
    with scope(organization=org):
        assert not Application.objects.exists()


def _apply_url(program):
    return reverse(
        "programs:apply", kwargs={"org_slug": program.organization.slug, "pk": program.pk}
    )


def test_once_applications_close_the_apply_page_says_so_without_a_dead_form(
    program, participant, stranger, client_for
):
    with scope(organization=program.organization):
        ApplicationFactory(
            program=program,
            user=participant,
            answers={question(program, Question.Kind.GROUP).key: "Security"},
        )
        Program.objects.filter(pk=program.pk).update(status=Program.Status.RUNNING)
    late = client_for(stranger).get(_apply_url(program)).content.decode()
    assert "Applications for this program are closed" in late
    assert "<fieldset" not in late and "Pace of work" not in late
    # Someone who applied reads their answers; nothing pretends to be editable.
    own = client_for(participant).get(_apply_url(program)).content.decode()
    assert "can no longer be changed" in own
    assert "<fieldset" not in own and 'type="radio"' not in own
    assert "Security" in own


def _running(program):
    with scope(organization=program.organization):
        Program.objects.filter(pk=program.pk).update(status=Program.Status.RUNNING)
        program.refresh_from_db()
    return program


def _add_url(program):
    return reverse(
        "programs:application_add",
        kwargs={"org_slug": program.organization.slug, "pk": program.pk},
    )


def test_a_coordinator_adds_a_member_late_who_is_then_in_the_pool(
    program, org, coordinator, client_for, commit, mailoutbox
):
    from programs.services.pairing import pool_for

    _running(program)
    late = member(org, "late@acme.example.org")
    group = question(program, Question.Kind.GROUP)
    listing = client_for(coordinator).get(
        reverse("programs:applications", kwargs={"org_slug": org.slug, "pk": program.pk})
    )
    assert _add_url(program) in listing.content.decode()
    with commit():
        response = client_for(coordinator).post(
            _add_url(program), {"email": " Late@acme.example.org ", f"q{group.pk}": "Security"}
        )
    assert response.status_code == 302
    with scope(organization=org):
        application = Application.objects.get(program=program, user=late)
        assert (application.status, application.source, application.group) == (
            "accepted",
            "team",
            "Security",
        )
        assert application.decided_by == coordinator
        assert application in pool_for(program)
    assert [m.to for m in mailoutbox] == [["late@acme.example.org"]]
    # Twice is refused with the reason, on the page, nothing doubled.
    again = client_for(coordinator).post(_add_url(program), {"email": "late@acme.example.org"})
    assert again.status_code == 400 and "has an application already" in again.content.decode()


def test_a_late_newcomer_is_invited_and_accepted_when_they_answer(
    program, org, coordinator, client_for, client, commit
):
    _running(program)
    with commit():
        response = client_for(coordinator).post(
            _add_url(program), {"email": "nia@example.org", "first_name": "Nia"}
        )
    assert response.status_code == 302
    with scopes_disabled():
        invitation = Invitation.objects.get(email="nia@example.org")
    assert invitation.next_path.startswith(_apply_url(program) + "?admit=")
    link = next(line for line in mail.outbox[-1].body.splitlines() if "/invite/" in line).strip()
    client.logout()
    accepted = client.post(
        link.removeprefix("http://127.0.0.1:8000"),
        {
            "first_name": "Nia",
            "last_name": "Late",
            "password1": "a long enough pass phrase",
            "password2": "a long enough pass phrase",
        },
    )
    assert accepted["Location"] == invitation.next_path
    form = client.get(invitation.next_path).content.decode()
    assert 'data-testid="admitted"' in form and "<fieldset" in form
    sent = client.post(invitation.next_path, form_data(program, good_answers(program)))
    assert sent.status_code == 302
    with scope(organization=org):
        application = Application.objects.get(program=program, user__email="nia@example.org")
        assert application.status == "accepted" and application.decided_by == coordinator


def test_an_admission_works_only_for_its_own_address_and_program(
    program, org, coordinator, participant, client_for
):
    _running(program)
    with scope(organization=org):
        joining.application_add_late(
            program=program, email="nia@example.org", added_by=coordinator, raw_answers={}
        )
        invitation = Invitation.objects.get(email="nia@example.org")
    # Someone else holding the link gets the closed page and cannot apply.
    page = client_for(participant).get(invitation.next_path).content.decode()
    assert "Applications for this program are closed" in page
    client_for(participant).post(invitation.next_path, form_data(program, good_answers(program)))
    with scope(organization=org):
        assert not Application.objects.filter(user=participant).exists()
        other = ProgramFactory(organization=org, status=Program.Status.RUNNING)
        token = invitation.next_path.split("admit=")[1]
        assert joining.late_admission_check(program=other, user=participant, token=token) is None


def test_late_joiners_only_while_the_program_can_take_them(program, org, coordinator):
    with scope(organization=org):
        Program.objects.filter(pk=program.pk).update(status=Program.Status.CLOSED)
        program.refresh_from_db()
        with pytest.raises(services.ApplicationError):
            joining.application_add_late(
                program=program, email="nia@example.org", added_by=coordinator, raw_answers={}
            )
        assert not Invitation.objects.filter(email="nia@example.org").exists()


def test_the_people_list_links_a_person_to_add_them_late(program, org, coordinator, client_for):
    _running(program)
    member(org, "late@acme.example.org")
    page = client_for(coordinator).get(
        reverse("workspace:people", kwargs={"org_slug": org.slug}),
        {"program": program.pk, "status": "invited"},
    )
    text = page.content.decode()
    assert f"{_add_url(program)}?email=late%40acme.example.org" in text
    form = client_for(coordinator).get(_add_url(program), {"email": "late@acme.example.org"})
    assert 'value="late@acme.example.org"' in form.content.decode()


def test_csv_exported_in_spanish_imports_in_an_english_session(
    program, org, coordinator, client_for
):
    """Round trip across languages: the Spanish file's translated titles ("Correo
    electrónico", "Estado", ...) read back as the columns they name."""
    ann = member(org, "ann@acme.example.org")
    with scope(organization=org):
        services.application_submit(
            program=program, user=ann, raw_answers=good_answers(program, group="Students")
        )
        Application.objects.filter(user=ann).update(status=Application.Status.ACCEPTED)
        next_term = ProgramFactory(organization=org, name="Peer Coaching 2028")
        for q in Question.objects.filter(program=program):
            q.pk, q.program = None, next_term
            q.save()
    coordinator.language = "es"
    coordinator.save(update_fields=["language"])

    response = client_for(coordinator).get(
        reverse("programs:applications_export", kwargs={"org_slug": org.slug, "pk": program.pk})
    )
    header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    with translation.override("es"):
        assert header[:5] == [gettext(t) for t in ("Email", "First name", "Last name")] + [
            gettext("Status"),
            gettext("Submitted"),
        ]
    assert header[0] != "Email"

    with translation.override("en"), scope(organization=org):
        created = services.applications_import_csv(program=next_term, data=response.content)
    assert [(a.user_id, a.status, a.community) for a in created] == [
        (ann.pk, "accepted", "Learners")
    ]


def test_csv_with_the_old_code_headers_still_imports(program, org):
    member(org, "ann@acme.example.org")
    data = (
        b"email,first_name,last_name,status,submitted_at,Your department,Your role level,"
        b"Pace of work,What do you want to work on?,Preferred role\n"
        b"ann@acme.example.org,Ann,Lee,waitlisted,2026-01-01 10:00,Networking,Manager,3,"
        b"Feedback,coach\n"
    )
    with translation.override("es"), scope(organization=org):
        created = services.applications_import_csv(program=program, data=data)
    assert [a.status for a in created] == ["waitlisted"]


def test_a_question_worded_like_a_fixed_column_is_read_after_it(program, org):
    """A Spanish program may ask "Estado" (a state): the first "Estado" cell is the
    application's status, a second one the question."""
    member(org, "ann@acme.example.org")
    with scope(organization=org):
        Question.objects.filter(program=program, kind=Question.Kind.GOALS).update(label="Estado")
    data = (
        "Correo electrónico,Estado,Your department,Your role level,Pace of work,"
        "What do you want to work on?,Preferred role,Estado\n"
        "ann@acme.example.org,declined,Networking,Manager,3,Feedback,coach,Jalisco\n"
    ).encode()
    with scope(organization=org):
        created = services.applications_import_csv(program=program, data=data)
        goals = question(program, Question.Kind.GOALS)
    assert [(a.status, a.answers[goals.key]) for a in created] == [("declined", "Jalisco")]


def test_csv_unknown_column_is_named_whatever_the_language(program, org):
    member(org, "ann@acme.example.org")
    data = "Correo electrónico;Color favorito\nann@acme.example.org;azul\n".encode()
    with scope(organization=org), pytest.raises(services.CsvImportError) as exc:
        services.applications_import_csv(program=program, data=data)
    assert [(e.line, "Color favorito" in e.message) for e in exc.value.errors] == [(1, True)]
