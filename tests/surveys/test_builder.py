"""Building a survey: the draft, its questions (added, edited, reordered, removed while a
draft), with plain POSTs and with HTMX, and clear messages for bad input."""

import pytest
from django.urls import reverse
from django_scopes import scope

from surveys import services
from surveys.models import Survey
from surveys.models import SurveyQuestion as Question

from .conftest import fresh

pytestmark = pytest.mark.django_db


def _labels(survey):
    with scope(organization=survey.organization):
        return list(
            Question.objects.filter(survey=survey)
            .order_by("position")
            .values_list("label", flat=True)
        )


def _url(name, survey, **extra):
    return reverse(
        f"surveys:{name}",
        kwargs={
            "org_slug": survey.organization.slug,
            "pk": survey.program_id,
            "survey_pk": survey.pk,
            **extra,
        },
    )


def _question(survey, label):
    with scope(organization=survey.organization):
        return Question.objects.get(survey=survey, label=label)


# --- Services -------------------------------------------------------------------------------


def test_create_with_the_suggested_questions(org, debrief, coordinator):
    with scope(organization=org):
        survey = services.survey_create(
            program=debrief.program,
            created_by=coordinator,
            starter=True,
            title="  Debrief   2024 ",
            intro="",
            closes_on=None,
        )
    assert survey.title == "Debrief 2024"
    assert survey.status == Survey.Status.DRAFT
    labels = _labels(survey)
    assert len(labels) == len(services.STARTER_QUESTIONS)
    with scope(organization=org):
        kinds = set(Question.objects.filter(survey=survey).values_list("kind", flat=True))
    assert kinds == {"rating", "single", "multiple", "long_text"}


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"kind": "single", "label": "Pick", "options": ["Only one"]}, "options", "at least two"),
        ({"kind": "single", "label": "Pick", "options": ["Yes", " yes "]}, "options", "twice"),
        ({"kind": "multiple", "label": "Pick", "options": ["A" * 201, "B"]}, "options", "longer"),
        ({"kind": "rating", "label": "   "}, "label", "Write the question"),
    ],
)
def test_question_rules(org, draft, fields, field, message):
    fields = dict(fields)
    with scope(organization=org), pytest.raises(services.SurveyError) as caught:
        services.question_create(survey=draft, kind=fields.pop("kind"), **fields)
    assert message in " ".join(caught.value.message_dict[field])


def test_options_are_tidied_and_other_kinds_drop_them(org, draft):
    with scope(organization=org):
        choice = services.question_create(
            survey=draft, kind="single", label="Pick", options=["  Yes ", "", "No  way"]
        )
        text = services.question_create(
            survey=draft, kind="short_text", label="Say", options=["x", "y"], low_label="z"
        )
    assert choice.options == ["Yes", "No way"]
    assert (text.options, text.low_label) == ([], "")


def test_questions_change_only_while_a_draft(org, sent):
    with scope(organization=org):
        question = Question.objects.filter(survey=sent).first()
        for attempt in (
            lambda: services.question_create(survey=sent, kind="rating", label="Late"),
            lambda: services.question_update(question=question, label="Changed"),
            lambda: services.question_delete(question=question),
            lambda: services.question_move(question=question, direction="down"),
        ):
            with pytest.raises(services.SurveyError, match="has been sent"):
                attempt()
        assert Question.objects.get(pk=question.pk).label == question.label


def test_move_renumbers_and_stops_at_the_ends(org, draft):
    first, second = _labels(draft)[:2]
    with scope(organization=org):
        services.question_move(question=_question(draft, first), direction="up")
        assert _labels(draft)[:2] == [first, second]
        services.question_move(question=_question(draft, first), direction="down")
        positions = list(
            Question.objects.filter(survey=draft)
            .order_by("position")
            .values_list("position", flat=True)
        )
    assert _labels(draft)[:2] == [second, first]
    assert positions == list(range(1, len(positions) + 1))


def test_a_sent_survey_cannot_be_deleted(org, sent):
    with scope(organization=org), pytest.raises(services.SurveyError):
        services.survey_delete(survey=sent)


# --- Pages ------------------------------------------------------------------------------------


def test_create_page_makes_a_draft_and_shows_its_builder(org, debrief, coordinator, client_for):
    client = client_for(coordinator)
    url = reverse("surveys:create", kwargs={"org_slug": org.slug, "pk": debrief.program.pk})
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"title": "Spring debrief", "intro": "Five minutes.", "starter": "on"}
    )
    with scope(organization=org):
        survey = Survey.objects.get(title="Spring debrief")
    assert response.status_code == 302
    assert response["Location"] == _url("detail", survey)
    page = client.get(response["Location"]).content.decode()
    assert "Spring debrief" in page and "Overall, how useful" in page
    assert "Add a question" in page


def test_create_page_explains_what_is_wrong(org, debrief, coordinator, client_for):
    client = client_for(coordinator)
    url = reverse("surveys:create", kwargs={"org_slug": org.slug, "pk": debrief.program.pk})
    response = client.post(url, {"title": "", "closes_on": "2001-01-01"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    response = client.post(url, {"title": "Late", "closes_on": "2001-01-01"})
    assert response.status_code == 400
    assert "cannot be in the past" in response.content.decode()


def test_add_edit_and_remove_a_question_with_plain_posts(org, draft, coordinator, client_for):
    client = client_for(coordinator)
    add = _url("question_create", draft)
    assert b"Several choices" in client.get(add).content  # the kind picker
    assert b"Options" in client.get(add + "?kind=single").content

    response = client.post(
        add, {"kind": "single", "label": "Stay on?", "options": "Yes\n\nNo\n", "required": "on"}
    )
    assert response.status_code == 302
    question = _question(draft, "Stay on?")
    assert question.options == ["Yes", "No"] and question.required

    bad = client.post(add, {"kind": "single", "label": "Odd", "options": "Only"})
    assert bad.status_code == 400 and "at least two different options" in bad.content.decode()

    edit = _url("question_edit", draft, question_pk=question.pk)
    client.post(edit, {"label": "Carry on?", "options": "Yes\nNo\nMaybe"})
    question.refresh_from_db()
    assert (question.label, question.options, question.required) == (
        "Carry on?",
        ["Yes", "No", "Maybe"],
        False,
    )

    response = client.post(_url("question_delete", draft, question_pk=question.pk))
    assert response.status_code == 302
    assert "Carry on?" not in _labels(draft)


def test_move_with_htmx_answers_the_refreshed_list(org, draft, coordinator, client_for):
    client = client_for(coordinator)
    first, second = _labels(draft)[:2]
    url = _url("question_move", draft, question_pk=_question(draft, first).pk)
    response = client.post(url, {"direction": "down"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="questions">')
    assert "<html" not in body
    rows = body.split("<tbody>")[1]
    assert rows.index(second) < rows.index(first)
    assert _labels(draft)[:2] == [second, first]

    plain = client.post(url, {"direction": "up"})
    assert plain.status_code == 302 and "#question-" in plain["Location"]
    assert _labels(draft)[:2] == [first, second]


def test_remove_with_htmx(org, draft, coordinator, client_for):
    client = client_for(coordinator)
    question = _question(draft, "One word for it?")
    response = client.post(
        _url("question_delete", draft, question_pk=question.pk), headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="question-{question.pk}"' not in body
    assert "“One word for it?” was removed." in body
    assert "One word for it?" not in _labels(draft)


def test_a_sent_survey_shows_its_questions_without_edit_buttons(org, sent, coordinator, client_for):
    client = client_for(coordinator)
    page = client.get(_url("detail", sent)).content.decode()
    assert "How useful was it?" in page
    assert "question_move" not in page and "/move/" not in page and "Delete draft" not in page
    question = _question(sent, "How useful was it?")
    response = client.post(
        _url("question_edit", sent, question_pk=question.pk), {"label": "Changed"}
    )
    assert response.status_code == 302
    assert _question(sent, "How useful was it?")


def test_settings_and_draft_deletion(org, draft, coordinator, client_for):
    client = client_for(coordinator)
    response = client.post(_url("edit", draft), {"title": "Renamed", "intro": "Hello"})
    assert response.status_code == 302
    assert fresh(draft).title == "Renamed"
    response = client.post(_url("delete", draft))
    assert response["Location"] == reverse(
        "surveys:list", kwargs={"org_slug": org.slug, "pk": draft.program_id}
    )
    with scope(organization=org):
        assert not Survey.objects.filter(pk=draft.pk).exists()


def test_the_survey_page_links_the_debrief_meeting(org, draft, coordinator, client_for):
    from tests.factories import ProgramEventFactory

    with scope(organization=org):
        ProgramEventFactory(program=draft.program, kind="debrief", title="Closing debrief")
        ProgramEventFactory(program=draft.program, kind="kickoff", title="The kick-off")
    client = client_for(coordinator)
    for url in (
        _url("detail", draft),
        reverse("surveys:list", kwargs={"org_slug": org.slug, "pk": draft.program_id}),
    ):
        page = client.get(url).content.decode()
        assert "Closing debrief" in page and "The kick-off" not in page
        assert (
            reverse("programs:event_create", kwargs={"org_slug": org.slug, "pk": draft.program_id})
            in page
        )


def test_a_last_day_already_past_may_stay_but_not_be_set(org, sent):
    from datetime import timedelta

    from django.utils import timezone

    past = timezone.localdate() - timedelta(days=3)
    with scope(organization=org):
        Survey.objects.filter(pk=sent.pk).update(closes_on=past)
        survey = fresh(sent)
        survey.program = sent.program
        services.survey_update(survey=survey, title="Renamed", intro="", closes_on=past)
        with pytest.raises(services.SurveyError, match="cannot be in the past"):
            services.survey_update(
                survey=survey, title="Renamed", intro="", closes_on=past - timedelta(days=1)
            )
    assert fresh(sent).title == "Renamed"


def test_the_suggested_questions_are_in_the_active_language(org, debrief, coordinator):
    from django.utils import translation

    from ..i18n import translated

    spanish = {
        "Would you take part again?": "¿Volverías a participar?",
        "Maybe": "Quizás",
        "Not useful": "Nada útil",
    }
    with translated("es", spanish), translation.override("es"), scope(organization=org):
        survey = services.survey_create(
            program=debrief.program,
            created_by=coordinator,
            starter=True,
            title="Cierre",
            intro="",
            closes_on=None,
        )
        yes_no = translation.gettext("Yes"), translation.gettext("No")
    again = _question(survey, "¿Volverías a participar?")
    assert again.options == [yes_no[0], "Quizás", yes_no[1]]
    with scope(organization=org):
        assert Question.objects.filter(survey=survey, low_label="Nada útil").exists()
