"""Setting a program up: the services' rules and the pages coordinators and members use."""

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scope

from programs.forms.setup import QuestionForm
from programs.models import Application, Match, Program, ProgramEvent, Question, Resource
from programs.services import questions
from programs.services import setup as services

from ..factories import (
    ApplicationFactory,
    ProgramEventFactory,
    ProgramFactory,
    QuestionFactory,
    ResourceFactory,
    UserFactory,
    match_make,
)

pytestmark = pytest.mark.django_db

PROGRAM = {
    "name": "Peer coaching, spring",
    "description": "Coach each other across teams.",
    "format": Program.Format.RECIPROCAL,
    "term_start": date(2030, 1, 7),
    "term_end": date(2030, 6, 28),
    "cadence_days": Program.Cadence.FORTNIGHTLY,
    "session_minutes": 90,
    "min_minutes_each": 45,
    "circle_size": 5,
    "different_group": True,
    "cross_community": True,
    "seniority_rule": Program.Seniority.DIFFERENT,
    "weight_traits": 8,
    "weight_goals": 6,
    "weight_roles": 0,
    "weight_preferences": 3,
    "weight_seniority": 1,
    "open_link_enabled": True,
}


def post_data(**changes):
    """PROGRAM as the program form posts it."""
    data = {}
    for key, value in {**PROGRAM, **changes}.items():
        if isinstance(value, bool):
            if value:
                data[key] = "on"
        else:
            data[key] = str(value)
    return data


def url(name, program=None, **kwargs):
    org_slug = kwargs.pop("org_slug", None) or program.organization.slug
    if program is not None:
        kwargs["pk"] = program.pk
    return reverse(f"programs:{name}", kwargs={"org_slug": org_slug, **kwargs})


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def program(org):
    with scope(organization=org):
        return ProgramFactory(organization=org, name="Acme Peer Coaching")


@pytest.fixture
def draft(org):
    with scope(organization=org):
        return ProgramFactory(organization=org, name="Secret draft", status=Program.Status.DRAFT)


# --- Services: programs ------------------------------------------------------------------


def test_program_create_makes_a_draft_with_a_fresh_link(in_scope):
    first = services.program_create(organization=in_scope, **PROGRAM)
    second = services.program_create(organization=in_scope, **PROGRAM)
    assert first.status == Program.Status.DRAFT
    assert first.weight_traits == 8 and first.cross_community
    assert first.open_link_token and first.open_link_token != second.open_link_token


def test_program_create_refuses_a_term_that_ends_before_it_starts(in_scope):
    with pytest.raises(ValidationError) as exc:
        services.program_create(organization=in_scope, **{**PROGRAM, "term_end": date(2029, 1, 1)})
    assert exc.value.message_dict == {"term_end": ["The term cannot end before it starts."]}
    assert not Program.objects.exists()


def test_program_create_checks_model_ranges(in_scope):
    with pytest.raises(ValidationError) as exc:
        services.program_create(organization=in_scope, **{**PROGRAM, "weight_goals": 11})
    assert "weight_goals" in exc.value.message_dict


def test_program_update_keeps_the_format_once_pairs_exist(in_scope, program):
    services.program_update(program=program, format=Program.Format.ONE_WAY, name="Renamed")
    program.refresh_from_db()
    assert (program.format, program.name) == (Program.Format.ONE_WAY, "Renamed")

    match_make(program=program, users=[UserFactory(), UserFactory()])
    with pytest.raises(ValidationError) as exc:
        services.program_update(program=program, format=Program.Format.CIRCLE)
    assert "format" in exc.value.message_dict
    program.refresh_from_db()
    assert program.format == Program.Format.ONE_WAY


def test_program_copy_takes_settings_form_events_and_resources_but_no_people(
    in_scope, program, media
):
    org = in_scope
    services.program_update(program=program, **PROGRAM)
    questions.program_form_starter(program=program)
    zone = org.tzinfo
    kickoff = ProgramEventFactory(
        program=program,
        title="Kick-off",
        # 16:00 in Berlin in winter (UTC+1); the copy lands in summer time (UTC+2).
        starts_at=datetime(2030, 1, 10, 16, 0, tzinfo=zone),
        location="Room 4",
    )
    with_file = ResourceFactory(program=program, title="Question bank")
    with_file.file.save("bank.txt", ContentFile(b"What else could this mean?"), save=True)
    people = [UserFactory(), UserFactory()]
    for person in people:
        ApplicationFactory(program=program, user=person)
    match_make(program=program, users=people, status=Match.Status.ACTIVE)

    copy = services.program_copy(
        program=program,
        name="Peer coaching, autumn",
        term_start=date(2030, 3, 18),  # 70 days after 7 January
        term_end=date(2030, 9, 5),
    )

    assert copy.pk != program.pk and copy.copied_from_id == program.pk
    assert copy.status == Program.Status.DRAFT
    assert copy.open_link_token != program.open_link_token
    for field in services.PROGRAM_FIELDS:
        if field not in {"name", "term_start", "term_end"}:
            assert getattr(copy, field) == getattr(program, field), field
    old_questions = list(program.questions.values_list("kind", "label", "options", "trait_rule"))
    new_questions = list(copy.questions.values_list("kind", "label", "options", "trait_rule"))
    assert new_questions == old_questions and len(new_questions) == 11

    (event,) = copy.events.all()
    local = event.starts_at.astimezone(zone)
    assert local.date() == date(2030, 3, 21)  # 10 January + 70 days
    assert (local.hour, local.minute) == (16, 0)
    assert (event.title, event.location) == ("Kick-off", "Room 4")
    kickoff.refresh_from_db()
    assert kickoff.starts_at == datetime(2030, 1, 10, 16, 0, tzinfo=zone)

    (resource,) = copy.resources.all()
    assert resource.title == "Question bank"
    assert resource.file.name != with_file.file.name
    assert resource.file.read() == b"What else could this mean?"

    assert not Application.objects.filter(program=copy).exists()
    assert not Match.objects.filter(program=copy).exists()
    assert Application.objects.filter(program=program).count() == 2


@pytest.mark.parametrize(
    ("start", "moves", "question", "applied", "problem"),
    [
        ("draft", "open", False, False, "Add at least one question"),
        ("draft", "open", True, False, None),
        ("draft", "matching", False, False, None),
        ("open", "draft", True, False, None),
        ("open", "draft", True, True, "cannot go back to draft"),
        ("open", "matching", True, True, None),
        ("open", "running", True, True, "cannot move from"),
        ("matching", "running", True, True, None),
        ("running", "closed", True, True, None),
        ("closed", "draft", True, True, "cannot move from"),
        ("closed", "running", True, True, None),
        ("open", "open", True, False, "already"),
        ("open", "bogus", True, False, "known status"),
    ],
)
def test_program_status_rules(in_scope, start, moves, question, applied, problem):
    program = ProgramFactory(organization=in_scope, status=start)
    if question:
        QuestionFactory(program=program)
    if applied:
        ApplicationFactory(program=program)
    if problem is None:
        services.program_status_set(program=program, status=moves)
        program.refresh_from_db()
        assert program.status == moves
    else:
        with pytest.raises(ValidationError) as exc:
            services.program_status_set(program=program, status=moves)
        assert problem in exc.value.messages[0]
        program.refresh_from_db()
        assert program.status == start


# --- Services: the application form ------------------------------------------------------


def test_singleton_kinds_appear_once_per_form(in_scope, program):
    questions.question_create(
        program=program, kind="role_level", label="Your role?", options=["Lead", "Member"]
    )
    with pytest.raises(ValidationError) as exc:
        questions.question_create(
            program=program, kind="role_level", label="Again?", options=["A", "B"]
        )
    assert exc.value.messages == ["This form already has a Role level question."]
    # Traits and free text may repeat.
    for _ in range(2):
        questions.question_create(program=program, kind="trait", label="Pace?")
        questions.question_create(program=program, kind="text", label="Anything else?")
    # Another program's form is its own.
    other = ProgramFactory(organization=in_scope)
    questions.question_create(program=other, kind="role_level", label="Role?", options=["A", "B"])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ([], "at least two different options"),
        (["Only one", "  ", ""], "at least two different options"),
        (["Zoom", "zoom "], "“zoom” is listed twice."),
        (["x" * 201, "y"], "longer than 200 characters"),
    ],
)
def test_choice_kinds_need_two_distinct_options(in_scope, program, options, message):
    with pytest.raises(ValidationError) as exc:
        questions.question_create(program=program, kind="modality", label="How?", options=options)
    assert message in exc.value.message_dict["options"][0]


def test_options_are_tidied(in_scope, program):
    question = questions.question_create(
        program=program, kind="choice", label="Pick", options=["  In   person ", "", "Phone"]
    )
    assert question.options == ["In person", "Phone"]


def test_preferred_role_has_fixed_options(in_scope, program):
    question = questions.question_create(
        program=program, kind="preferred_role", label="Role?", options=["made", "up"]
    )
    assert question.options == [] and question.communities == {}


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"scale_low": 5, "scale_high": 5}, "scale_high", "above its bottom"),
        ({"scale_low": 0, "scale_high": 10}, "scale_high", "at most 10 points"),
        ({"trait_rule": "bogus"}, "trait_rule", "Choose how"),
    ],
)
def test_trait_scale_rules(in_scope, program, fields, field, message):
    with pytest.raises(ValidationError) as exc:
        questions.question_create(program=program, kind="trait", label="Pace?", **fields)
    assert message in exc.value.message_dict[field][0]


def test_trait_scale_of_ten_points_and_choice_traits(in_scope, program):
    scale = questions.question_create(
        program=program, kind="trait", label="Pace?", scale_low=1, scale_high=10
    )
    assert scale.is_scale
    choice = questions.question_create(
        program=program,
        kind="trait",
        label="Style?",
        options=["Planner", "Improviser"],
        trait_rule="different",
    )
    assert not choice.is_scale and choice.options == ["Planner", "Improviser"]
    with pytest.raises(ValidationError):
        questions.question_create(program=program, kind="trait", label="Odd?", options=["One"])


def test_group_lines_name_communities():
    form = QuestionForm(
        {
            "label": "Your group?",
            "required": "on",
            "options": "Physics | Faculty\nLibrary|Staff\n\nChemistry\nHistory | ",
        },
        kind="group",
    )
    assert form.is_valid(), form.errors
    fields = form.service_fields()
    assert fields["options"] == ["Physics", "Library", "Chemistry", "History"]
    assert fields["communities"] == {"Physics": "Faculty", "Library": "Staff"}


def test_group_communities_are_kept_for_listed_groups_only(in_scope, program):
    question = questions.question_create(
        program=program,
        kind="group",
        label="Your group?",
        options=["Physics", "Library"],
        communities={"Physics": " Faculty ", "Ghost": "Nowhere", "Library": ""},
    )
    assert question.communities == {"Physics": "Faculty"}
    edit = QuestionForm(kind="group", initial=QuestionForm.initial_for(question))
    assert edit.initial["options"] == "Physics | Faculty\nLibrary"


def test_question_update_keeps_rules_and_kind(in_scope, program):
    questions.question_create(program=program, kind="goals", label="Goals?")
    text = questions.question_create(program=program, kind="text", label="Note?")
    questions.question_update(question=text, label="Anything else?", required=False)
    text.refresh_from_db()
    assert (text.kind, text.label, text.required) == ("text", "Anything else?", False)
    goals = Question.objects.get(kind="goals")
    with pytest.raises(ValidationError):
        questions.question_update(question=goals, label="  ")


def test_question_move_swaps_neighbours_and_renumbers(in_scope, program):
    a, b, c = (QuestionFactory(program=program, label=x, position=7) for x in "abc")

    def order():
        return list(program.questions.order_by("position", "id").values_list("label", flat=True))

    questions.question_move(question=c, direction="up")
    assert order() == ["a", "c", "b"]
    questions.question_move(question=a, direction="up")  # already first: nothing moves
    assert order() == ["a", "c", "b"]
    questions.question_move(question=a, direction="down")
    assert order() == ["c", "a", "b"]
    assert list(program.questions.values_list("position", flat=True)) == [1, 2, 3]
    with pytest.raises(ValidationError):
        questions.question_move(question=a, direction="sideways")


def test_question_delete_is_refused_once_people_applied(in_scope, program):
    question = QuestionFactory(program=program)
    spare = QuestionFactory(program=program)
    questions.question_delete(question=spare)
    ApplicationFactory(program=program)
    with pytest.raises(ValidationError, match="Make it optional"):
        questions.question_delete(question=question)
    assert Question.objects.filter(pk=question.pk).exists()


def test_form_starter_adds_the_standard_questions_once(in_scope, program):
    made = questions.program_form_starter(program=program)
    kinds = [q.kind for q in program.questions.order_by("position")]
    assert kinds == [
        "group",
        "role_level",
        "trait",
        "trait",
        "trait",
        "priorities",
        "strengths",
        "goals",
        "preferred_role",
        "modality",
        "time_of_day",
    ]
    traits = [q for q in made if q.kind == "trait"]
    assert [t.trait_rule for t in traits] == ["similar", "avoid_both_extreme", "different"]
    assert all(t.is_scale and t.scale_low_label and t.scale_high_label for t in traits)
    role = next(q for q in made if q.kind == "role_level")
    # Most senior first: the matcher reads the order as the seniority scale.
    assert role.options == ["Administrator", "Manager", "Technical lead", "Individual contributor"]
    modality = next(q for q in made if q.kind == "modality")
    assert "WeChat" in modality.options
    with pytest.raises(ValidationError):
        questions.program_form_starter(program=program)
    assert program.questions.count() == 11


# --- Services: events and resources ------------------------------------------------------


def test_event_services(in_scope, program):
    event = services.event_create(
        program=program,
        kind="debrief",
        title="Debrief",
        starts_at=datetime(2030, 6, 20, 16, 0, tzinfo=in_scope.tzinfo),
        duration_minutes=60,
        location="https://meet.example.org/debrief",
        description="",
    )
    assert event.location_is_link
    services.event_update(event=event, title="Final debrief")
    assert ProgramEvent.objects.get().title == "Final debrief"
    with pytest.raises(ValidationError):
        services.event_update(event=event, duration_minutes=1)
    services.event_delete(event=event)
    assert not ProgramEvent.objects.exists()


def test_resource_needs_text_or_file(in_scope, program):
    with pytest.raises(ValidationError, match="text, a file, or both"):
        services.resource_create(program=program, kind="guide", title="Empty", body="  ")


def test_replacing_or_deleting_a_file_removes_the_old_one_after_commit(
    in_scope, program, media, commit
):
    resource = services.resource_create(
        program=program,
        kind="handout",
        title="Handout",
        body="",
        file=SimpleUploadedFile("one.txt", b"first"),
    )
    first = resource.file.name
    assert (media / first).exists()
    with commit():
        services.resource_update(resource=resource, file=SimpleUploadedFile("two.txt", b"second"))
    assert not (media / first).exists()
    second = resource.file.name
    with commit():
        services.resource_update(resource=resource, title="Still here")  # file kept
    assert (media / second).exists()
    with commit():
        services.resource_delete(resource=resource)
    assert not (media / second).exists()
    assert not Resource.objects.exists()


# --- Pages: who reaches what -------------------------------------------------------------


def test_participants_do_not_see_drafts(client_for, participant, draft, media):
    with scope(organization=draft.organization):
        resource = ResourceFactory(program=draft)
        resource.file.save("draft.txt", ContentFile(b"not yet"), save=True)
    client = client_for(participant)
    assert client.get(url("detail", draft)).status_code == 404
    assert client.get(url("resource", draft, resource_pk=resource.pk)).status_code == 404
    assert client.get(url("resource_file", draft, resource_pk=resource.pk)).status_code == 404
    listing = client.get(url("list", org_slug=draft.organization.slug))
    assert b"Secret draft" not in listing.content


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("edit", {}),
        ("copy", {}),
        ("form", {}),
        ("question_create", {}),
        ("event_create", {}),
        ("resource_create", {}),
    ],
)
def test_participants_cannot_reach_coordinator_pages(client_for, participant, program, name, extra):
    assert client_for(participant).get(url(name, program, **extra)).status_code == 403


def test_objects_of_another_program_answer_404(client_for, coordinator, program, org):
    with scope(organization=org):
        other = ProgramFactory(organization=org)
        event = ProgramEventFactory(program=other)
        question = QuestionFactory(program=other)
        resource = ResourceFactory(program=other)
    client = client_for(coordinator)
    assert client.get(url("event_edit", program, event_pk=event.pk)).status_code == 404
    assert client.get(url("question_edit", program, question_pk=question.pk)).status_code == 404
    assert client.get(url("resource", program, resource_pk=resource.pk)).status_code == 404
    response = client.post(url("question_delete", program, question_pk=question.pk))
    assert response.status_code == 404
    with scope(organization=org):
        assert Question.objects.filter(pk=question.pk).exists()


def test_resource_file_streams_as_a_download_to_members_only(
    client, client_for, participant, other_participant, program, media
):
    with scope(organization=program.organization):
        resource = ResourceFactory(program=program)
        resource.file.save("bank.txt", ContentFile(b"Ask open questions."), save=True)
    target = url("resource_file", program, resource_pk=resource.pk)

    response = client_for(participant).get(target)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"Ask open questions."
    assert response["Content-Disposition"].startswith("attachment;")

    client.logout()
    assert client.get(target).status_code == 302
    assert client_for(other_participant).get(target).status_code == 404


def test_resource_without_file_has_no_download(client_for, participant, program):
    with scope(organization=program.organization):
        resource = ResourceFactory(program=program, body="Paragraph one.\n\nParagraph two.")
    client = client_for(participant)
    page = client.get(url("resource", program, resource_pk=resource.pk))
    assert b"<p>Paragraph two.</p>" in page.content
    assert client.get(url("resource_file", program, resource_pk=resource.pk)).status_code == 404


# --- Pages: coordinators -----------------------------------------------------------------


def test_coordinator_creates_a_program_through_the_page(client_for, coordinator, org):
    client = client_for(coordinator)
    assert client.get(url("create", org_slug=org.slug)).status_code == 200
    response = client.post(url("create", org_slug=org.slug), post_data())
    with scope(organization=org):
        program = Program.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("detail", program)
    assert program.status == "draft" and program.cadence_days == 14
    page = client.get(response["Location"])
    assert b"Peer coaching, spring" in page.content
    assert b"Open applications" in page.content
    assert b"Add at least one question" in page.content  # why opening is not possible yet


def test_program_form_errors_are_shown_on_the_page(client_for, coordinator, org):
    client = client_for(coordinator)
    response = client.post(
        url("create", org_slug=org.slug),
        post_data(term_end="2029-12-31", weight_traits="11", name=""),
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "The term cannot end before it starts." in content
    assert "Ensure this value is less than or equal to 10." in content
    assert "This field is required." in content
    with scope(organization=org):
        assert not Program.objects.exists()


def test_edit_saves_settings_and_shows_service_errors(client_for, coordinator, program):
    client = client_for(coordinator)
    assert client.get(url("edit", program)).status_code == 200
    response = client.post(url("edit", program), post_data(name="Renamed"))
    assert response.status_code == 302
    with scope(organization=program.organization):
        program.refresh_from_db()
        assert program.name == "Renamed" and program.weight_traits == 8
        match_make(program=program, users=[UserFactory(), UserFactory()])
    response = client.post(url("edit", program), post_data(format="circle"))
    assert response.status_code == 200
    assert "cannot change" in response.content.decode()
    with scope(organization=program.organization):
        program.refresh_from_db()
        assert program.format == "reciprocal"


def test_copy_page(client_for, coordinator, program):
    client = client_for(coordinator)
    page = client.get(url("copy", program))
    assert page.status_code == 200
    bad = client.post(url("copy", program), {"name": "Next", "term_start": "2031-02-01"})
    assert bad.status_code == 200 and b"This field is required." in bad.content
    response = client.post(
        url("copy", program),
        {"name": "Next term", "term_start": "2031-02-01", "term_end": "2031-07-01"},
    )
    with scope(organization=program.organization):
        copy = Program.objects.get(name="Next term")
    assert response["Location"] == url("detail", copy)


def test_status_buttons(client_for, coordinator, org):
    with scope(organization=org):
        program = ProgramFactory(organization=org, status="draft")
    client = client_for(coordinator)
    response = client.post(url("status", program), {"status": "open"}, follow=True)
    assert "Add at least one question" in response.content.decode()
    with scope(organization=org):
        program.refresh_from_db()
        assert program.status == "draft"
        QuestionFactory(program=program)
    response = client.post(url("status", program), {"status": "open"}, follow=True)
    assert "status is now “Applications open”." in response.content.decode()
    with scope(organization=org):
        program.refresh_from_db()
        assert program.status == "open"
    assert client.get(url("status", program)).status_code == 405


def test_coordinator_overview_shows_counts_events_resources_and_link(
    client_for, coordinator, program
):
    with scope(organization=program.organization):
        program.open_link_enabled = True
        program.save()
        QuestionFactory(program=program)
        ProgramEventFactory(program=program, title="Kick-off meeting")
        ResourceFactory(program=program, title="Coaching guide")
        people = [UserFactory(), UserFactory(), UserFactory()]
        ApplicationFactory(program=program, user=people[0], status="submitted")
        ApplicationFactory(program=program, user=people[1])
        ApplicationFactory(program=program, user=people[2])
        match_make(program=program, users=people[1:], status="active")
    content = client_for(coordinator).get(url("detail", program)).content.decode()
    assert 'data-testid="applications-submitted">1<' in content
    assert 'data-testid="applications-accepted">2<' in content
    assert "1 active pair" in content
    assert 'data-testid="question-count">1 question<' in content
    assert "Kick-off meeting" in content and "Coaching guide" in content
    join = reverse("programs:join", kwargs={"token": program.open_link_token})
    assert f"http://testserver{join}" in content


def test_program_list_for_coordinators_counts(client_for, coordinator, program, draft):
    with scope(organization=program.organization):
        ApplicationFactory(program=program, status="submitted")
    content = client_for(coordinator).get(url("list", org_slug=program.organization.slug))
    text = content.content.decode()
    assert "Acme Peer Coaching" in text and "Secret draft" in text
    assert "New program" in text
    assert 'data-testid="application-count">1<' in text


# --- Pages: the application form builder -------------------------------------------------


def test_form_builder_starter_and_preview(client_for, coordinator, program):
    client = client_for(coordinator)
    empty = client.get(url("form", program))
    assert b"Start with the standard questions" in empty.content
    response = client.post(url("question_create", program), {"starter": "1"}, follow=True)
    content = response.content.decode()
    assert "The standard questions were added." in content
    assert "How do you prefer to make decisions?" in content
    assert "Never pair two people at the same extreme" in content
    assert "still lists the example groups" in content  # the warning to edit them
    assert 'id="preview_' in content  # the applicants' form, disabled
    assert "Start with the standard questions" not in content
    again = client.post(url("question_create", program), {"starter": "1"}, follow=True)
    assert "already has questions" in again.content.decode()


def test_kind_picker_leaves_out_singletons_already_used(client_for, coordinator, program):
    with scope(organization=program.organization):
        QuestionFactory(program=program, kind="goals")
    client = client_for(coordinator)
    picker = client.get(url("question_create", program)).content.decode()
    assert 'value="role_level"' in picker and 'value="goals"' not in picker
    trait = client.get(url("question_create", program) + "?kind=trait")
    assert b"Pairing rule" in trait.content
    goals = client.get(url("question_create", program) + "?kind=preferred_role")
    assert b'name="options"' not in goals.content


def test_adding_a_group_question_with_communities(client_for, coordinator, program):
    client = client_for(coordinator)
    response = client.post(
        url("question_create", program),
        {
            "kind": "group",
            "label": "Which community are you in?",
            "required": "on",
            "options": "Teachers | School\nParents | Home\nStudents",
        },
    )
    assert response.status_code == 302
    with scope(organization=program.organization):
        question = Question.objects.get(program=program)
    assert question.options == ["Teachers", "Parents", "Students"]
    assert question.communities == {"Teachers": "School", "Parents": "Home"}

    again = client.post(
        url("question_create", program),
        {"kind": "group", "label": "Again?", "options": "A\nB"},
    )
    assert again.status_code == 200
    assert "This form already has a Group or community question." in again.content.decode()


def test_question_form_errors_are_shown(client_for, coordinator, program):
    client = client_for(coordinator)
    response = client.post(
        url("question_create", program),
        {
            "kind": "trait",
            "label": "Pace?",
            "trait_type": "scale",
            "scale_low": "1",
            "scale_high": "12",
            "trait_rule": "similar",
        },
    )
    assert response.status_code == 200
    assert "A scale has at most 10 points" in response.content.decode()
    response = client.post(
        url("question_create", program),
        {"kind": "modality", "label": "How?", "options": "Zoom"},
    )
    assert "List at least two different options." in response.content.decode()
    with scope(organization=program.organization):
        assert not Question.objects.exists()


def test_edit_move_and_delete_questions_through_the_page(client_for, coordinator, program):
    with scope(organization=program.organization):
        first = QuestionFactory(program=program, label="First", position=1)
        second = QuestionFactory(
            program=program,
            label="Second",
            position=2,
            kind="trait",
            scale_low_label="Calm",
            scale_high_label="Lively",
        )
    client = client_for(coordinator)
    page = client.get(url("question_edit", program, question_pk=second.pk)).content.decode()
    assert 'value="Lively"' in page

    response = client.post(
        url("question_move", program, question_pk=second.pk), {"direction": "up"}
    )
    assert response["Location"].endswith(f"#question-{second.pk}")
    response = client.post(
        url("question_edit", program, question_pk=first.pk), {"label": "First, reworded"}
    )
    assert response.status_code == 302
    with scope(organization=program.organization):
        labels = list(program.questions.order_by("position").values_list("label", "required"))
    assert labels == [("Second", True), ("First, reworded", False)]

    client.post(url("question_delete", program, question_pk=first.pk))
    with scope(organization=program.organization):
        assert list(program.questions.values_list("label", flat=True)) == ["Second"]
        ApplicationFactory(program=program)
    response = client.post(url("question_delete", program, question_pk=second.pk), follow=True)
    assert "Make it optional instead." in response.content.decode()


def test_events_and_resources_through_the_pages(client_for, coordinator, program, media):
    client = client_for(coordinator)
    response = client.post(
        url("event_create", program),
        {
            "kind": "kickoff",
            "title": "Kick-off",
            "starts_at": "2030-01-10T16:00",
            "duration_minutes": "60",
            "location": "https://meet.example.org/k",
        },
    )
    assert response.status_code == 302
    with scope(organization=program.organization):
        event = ProgramEvent.objects.get()
    # Entered in the organisation's time zone (the coordinator has none of their own).
    assert event.starts_at == datetime(2030, 1, 10, 15, 0, tzinfo=UTC)
    bad = client.post(url("event_edit", program, event_pk=event.pk), {"title": "No date"})
    assert bad.status_code == 200 and b"This field is required." in bad.content

    upload = SimpleUploadedFile("guide.txt", b"Listen more than you talk.")
    response = client.post(
        url("resource_create", program),
        {"kind": "guide", "title": "Listening guide", "body": "", "file": upload},
    )
    assert response.status_code == 302
    empty = client.post(
        url("resource_create", program), {"kind": "guide", "title": "Nothing", "body": ""}
    )
    assert b"Give the resource a text, a file, or both." in empty.content
    with scope(organization=program.organization):
        resource = Resource.objects.get()
    response = client.post(
        url("resource_edit", program, resource_pk=resource.pk),
        {"kind": "guide", "title": "Listening guide", "body": "Read before the kick-off."},
    )
    assert response.status_code == 302
    with scope(organization=program.organization):
        resource.refresh_from_db()
    assert resource.file and resource.body == "Read before the kick-off."

    client.post(url("event_delete", program, event_pk=event.pk))
    client.post(url("resource_delete", program, resource_pk=resource.pk))
    with scope(organization=program.organization):
        assert not ProgramEvent.objects.exists() and not Resource.objects.exists()


# --- Pages: participants -----------------------------------------------------------------


def test_participant_page_invites_to_apply(client_for, participant, program):
    with scope(organization=program.organization):
        ProgramEventFactory(program=program, title="Group meeting", location="Room 12")
    content = client_for(participant).get(url("detail", program)).content.decode()
    assert url("apply", program) in content and ">Apply<" in content
    assert "Group meeting" in content and "Room 12" in content
    assert "coach each other in turn" in content  # the reciprocal format in plain words
    assert "Edit settings" not in content


def test_participant_page_shows_application_and_partner(client_for, participant, program):
    with scope(organization=program.organization):
        partner = UserFactory(first_name="Robin", last_name="Partner")
        ApplicationFactory(program=program, user=participant, status="accepted")
        match_make(program=program, users=[participant, partner], status=Match.Status.ACTIVE)
    content = client_for(participant).get(url("detail", program)).content.decode()
    assert "Your application: <strong>Accepted</strong>" in content
    assert "Edit my application" in content
    assert "Robin Partner" in content


def test_participant_list_and_home_show_programs_and_status(
    client_for, participant, program, draft, org
):
    with scope(organization=org):
        ApplicationFactory(program=program, user=participant, status="waitlisted")
        ProgramFactory(organization=org, name="Open to all")
        ProgramFactory(organization=org, name="Long over", status="closed")
    client = client_for(participant)
    listing = client.get(url("list", org_slug=org.slug)).content.decode()
    assert "Wait-listed" in listing and "Open to all" in listing
    assert "Secret draft" not in listing and "New program" not in listing
    home = client.get(reverse("portal:home", kwargs={"org_slug": org.slug})).content.decode()
    assert "Wait-listed" in home and "Open to all" in home
    assert "Long over" not in home and "Secret draft" not in home


def test_coordinator_home_lists_current_programs(client_for, coordinator, program, org):
    with scope(organization=org):
        ProgramFactory(organization=org, name="Long over", status="closed")
    content = client_for(coordinator).get(reverse("workspace:home", kwargs={"org_slug": org.slug}))
    text = content.content.decode()
    assert "Acme Peer Coaching" in text and "Long over" not in text
    assert url("create", org_slug=org.slug) in text


def test_coordinator_can_preview_the_participant_page(client_for, coordinator, program):
    content = client_for(coordinator).get(url("detail", program) + "?view=participant")
    assert b"This is how participants see this page." in content.content


def test_form_starter_is_written_in_the_active_language(in_scope, program):
    """The standard form is the coordinator's to edit: it starts in their language, and
    its example groups are recognised in any language."""
    from django.utils import translation

    from programs.selectors.setup import form_warnings

    from ..i18n import translated

    spanish = {
        "Which group do you work in?": "¿En qué grupo trabajas?",
        "Group A": "Grupo A",
        "Manager": "Gerente",
        "Delegation": "Delegar",
        "Choose all that apply.": "Elige todas las que correspondan.",
    }
    with translated("es", spanish), translation.override("es"):
        made = questions.program_form_starter(program=program)
    group = next(q for q in made if q.kind == "group")
    assert group.label == "¿En qué grupo trabajas?"
    assert group.options[0] == "Grupo A"
    assert "Gerente" in next(q for q in made if q.kind == "role_level").options
    priorities = next(q for q in made if q.kind == "priorities")
    assert "Delegar" in priorities.options and priorities.help_text.startswith("Elige")
    with translated("es", spanish):
        warnings = form_warnings(program=program, questions=made)
    assert any("example groups" in str(w) for w in warnings)
