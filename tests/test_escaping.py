"""What coordinators and participants write comes back as text, never as markup.

A coordinator's question help text used to reach every applicant's page as HTML:
Django's and crispy's form templates print `help_text|safe`. The first tests plant
markup in the help text of an application question and a survey question and read
the forms; the walk below plants it in every free-text field of a demo organisation
and reads every page each kind of person can reach.
"""

import pytest
from django.urls import reverse
from django_scopes import scope

from programs.models import Match, Program, Question
from surveys.models import SurveyQuestion
from tests.factories import ProgramFactory, QuestionFactory
from tests.sessions.conftest import person
from tests.surveys.conftest import pair_users, survey_make

pytestmark = pytest.mark.django_db

PAYLOAD = '<a href="https://evil.example">x</a><script>alert(1)</script>'
ESCAPED = (
    "&lt;a href=&quot;https://evil.example&quot;&gt;x&lt;/a&gt;"
    "&lt;script&gt;alert(1)&lt;/script&gt;"
)
RAW_PIECES = ('<a href="https://evil.example">', "<script>alert(")


def assert_escaped(html, escaped=ESCAPED, where=""):
    for piece in RAW_PIECES:
        assert piece not in html, f"raw markup {piece!r} on {where}"
    assert escaped in html, f"the escaped text is not on {where}"


def test_application_question_help_text_is_text(org, participant, client_for):
    with scope(organization=org):
        program = ProgramFactory(organization=org)
        for kind, options in [
            (Question.Kind.TEXT, []),
            (Question.Kind.PRIORITIES, ["Delegation", "Feedback"]),
            (Question.Kind.MODALITY, ["Zoom", "In person"]),
        ]:
            QuestionFactory(
                program=program,
                kind=kind,
                label=f"Label {kind}",
                options=options,
                help_text=PAYLOAD,
            )
    url = reverse("programs:apply", kwargs={"org_slug": org.slug, "pk": program.pk})
    html = client_for(participant).get(url).content.decode()
    assert_escaped(html, where=url)
    assert html.count(ESCAPED) == 3


def test_survey_question_help_text_is_text(org, participant, client_for):
    with scope(organization=org):
        program = ProgramFactory(organization=org, status=Program.Status.RUNNING)
    partner = person(org, "partner@acme.example.org")
    pair_users(org, program, [participant, partner], Match.Status.ACTIVE)
    survey = survey_make(
        program,
        questions=[
            {"kind": SurveyQuestion.Kind.RATING, "label": "Useful?", "help_text": PAYLOAD},
            {
                "kind": SurveyQuestion.Kind.MULTIPLE,
                "label": "What helped?",
                "options": ["Guides", "Reminders"],
                "help_text": PAYLOAD,
            },
            {"kind": SurveyQuestion.Kind.LONG_TEXT, "label": "Change?", "help_text": PAYLOAD},
        ],
        send=True,
    )
    url = reverse("surveys:answer", kwargs={"org_slug": org.slug, "survey_pk": survey.pk})
    html = client_for(participant).get(url).content.decode()
    assert_escaped(html, where=url)
    assert html.count(ESCAPED) == 3


def test_help_text_is_text_in_djangos_own_form_templates(org):
    """Django's form templates print `help_text|safe` too: the forms escape at the source."""
    from programs.forms.applications import ApplicationForm
    from surveys.forms import AnswerForm

    with scope(organization=org):
        program = ProgramFactory(organization=org)
        question = QuestionFactory(program=program, kind=Question.Kind.TEXT, help_text=PAYLOAD)
        survey = survey_make(
            program, questions=[{"kind": SurveyQuestion.Kind.LONG_TEXT, "label": "Why?"}]
        )
        survey_question = survey.questions.get()
        survey_question.help_text = PAYLOAD
        survey_question.save()
        forms = [
            ApplicationForm(questions=[question]),
            AnswerForm(questions=[survey_question]),
        ]
        for form in forms:
            assert_escaped(form.as_div(), where=type(form).__name__)
