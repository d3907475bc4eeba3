"""Answering: the participant's list, the form with its messages, once only, read-only
after answering or closing, and 404 for everyone who may not answer."""

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from surveys import services
from surveys.models import Answer, Response, Survey

from .conftest import answer, answers_for, fresh

pytestmark = pytest.mark.django_db


def _answer_url(survey):
    return reverse(
        "surveys:answer", kwargs={"org_slug": survey.organization.slug, "survey_pk": survey.pk}
    )


def _mine_url(org):
    return reverse("surveys:mine", kwargs={"org_slug": org.slug})


def _field(survey, label):
    with scope(organization=survey.organization):
        return f"q{survey.questions.get(label=label).pk}"


def test_my_surveys_lists_the_open_one_and_the_form_explains_privacy(
    org, sent, participant, client_for
):
    client = client_for(participant)
    page = client.get(_mine_url(org)).content.decode()
    assert "End-of-term debrief" in page and _answer_url(sent) in page
    form = client.get(_answer_url(sent)).content.decode()
    assert 'data-testid="answer-form"' in form
    assert "without your name" in form
    assert "small group" in form and "recognisable" in form
    for label in ("How useful was it?", "What helped?", "What should change?"):
        assert label in form


def test_drafts_are_not_listed_and_answer_404(org, draft, participant, client_for):
    client = client_for(participant)
    assert draft.title not in client.get(_mine_url(org)).content.decode()
    assert client.get(_answer_url(draft)).status_code == 404


def test_answering_records_everything_once(org, sent, participant, client_for):
    client = client_for(participant)
    data = {
        _field(sent, "How useful was it?"): "5",
        _field(sent, "How often did you meet?"): "Weekly",
        _field(sent, "What helped?"): ["Guides", "Reminders"],
        _field(sent, "One word for it?"): "Eye-opening",
        _field(sent, "What should change?"): "Start earlier.",
    }
    response = client.post(_answer_url(sent), data)
    assert response.status_code == 302
    with scope(organization=org):
        (saved,) = Response.objects.filter(survey=sent)
        answers = list(
            Answer.objects.filter(response=saved).order_by("question__position", "option")
        )
    assert saved.user == participant
    assert [(a.rating, a.option, a.text) for a in answers] == [
        (5, "", ""),
        (None, "Weekly", ""),
        (None, "Guides", ""),
        (None, "Reminders", ""),
        (None, "", "Eye-opening"),
        (None, "", "Start earlier."),
    ]
    page = client.get(_answer_url(sent)).content.decode()
    assert 'data-testid="my-answers"' in page and "Start earlier." in page
    assert 'data-testid="answer-form"' not in page

    # A second POST changes nothing and says why.
    again = client.post(
        _answer_url(sent), {**data, _field(sent, "How useful was it?"): "1"}, follow=True
    )
    assert "already answered" in again.content.decode()
    with scope(organization=org):
        assert Response.objects.filter(survey=sent).count() == 1
        assert Answer.objects.filter(rating=1).count() == 0
    assert "answered" in client.get(_mine_url(org)).content.decode()


def test_missing_and_invalid_answers_get_messages(org, sent, participant, client_for):
    client = client_for(participant)
    response = client.post(
        _answer_url(sent),
        {
            _field(sent, "How often did you meet?"): "Daily",
            _field(sent, "What helped?"): ["Guides"],
        },
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "This question needs an answer." in body  # the rating
    assert "Choose among the options shown." in body  # "Daily"
    assert "Some answers need another look" in body
    with scope(organization=org):
        assert not Response.objects.filter(survey=sent).exists()


@pytest.mark.parametrize(
    ("by_label", "message"),
    [
        ({"How useful": "9"}, "from 1 to 5"),
        ({"How useful": "four"}, "from 1 to 5"),
        ({"How useful": ""}, "needs an answer"),
        ({"How often": ["Weekly", "Monthly"]}, "Choose one answer"),
        ({"What helped": ["Money"]}, "Choose among the options"),
        ({"One word": "x" * 301}, "under 300"),
    ],
)
def test_the_service_checks_every_value(org, sent, participant, by_label, message):
    with pytest.raises(services.SurveyError) as caught:
        answer(sent, participant, **by_label)
    assert message in " ".join(m for ms in caught.value.message_dict.values() for m in ms)
    with scope(organization=org):
        assert not Response.objects.filter(survey=sent).exists()


def test_only_eligible_people_may_answer(org, sent, debrief, stranger, coordinator, client_for):
    for user in (stranger, coordinator, debrief.proposed[0]):
        assert client_for(user).get(_answer_url(sent)).status_code == 404
        with pytest.raises(services.SurveyError, match="people who were paired"):
            answer(sent, user)
    # Someone of the ended pair may answer.
    assert client_for(debrief.ended[0]).get(_answer_url(sent)).status_code == 200
    answer(sent, debrief.ended[0])


def test_after_closing_the_form_is_read_only(org, sent, participant, debrief, client_for):
    answer(sent, debrief.active[1], **{"What should change": "Fewer emails"})
    with scope(organization=org):
        services.survey_close(survey=sent)
    client = client_for(participant)
    page = client.get(_answer_url(sent)).content.decode()
    assert 'data-testid="closed"' in page and 'data-testid="answer-form"' not in page
    response = client.post(
        _answer_url(sent), {_field(sent, "How useful was it?"): "3"}, follow=True
    )
    assert "no longer takes answers" in response.content.decode()
    with pytest.raises(services.SurveyError, match="closed"):
        answer(sent, participant)
    # The person who answered still reads their own answers.
    own = client_for(debrief.active[1]).get(_answer_url(sent)).content.decode()
    assert "Fewer emails" in own
    assert "closed, not answered" in client_for(participant).get(_mine_url(org)).content.decode()


def test_past_its_last_day_a_survey_takes_no_answers(org, sent, participant, client_for):
    with scope(organization=org):
        Survey.objects.filter(pk=sent.pk).update(
            closes_on=timezone.localdate() - timezone.timedelta(days=2)
        )
    with pytest.raises(services.SurveyError, match="closed"):
        answer(fresh(sent), participant)
    assert 'data-testid="closed"' in client_for(participant).get(_answer_url(sent)).content.decode()


def test_a_second_submission_is_refused(org, sent, participant):
    """By the service's check; the unique constraint stands behind it (test_models)."""
    answer(sent, participant)
    with scope(organization=org), pytest.raises(services.SurveyError, match="already answered"):
        services.response_submit(
            survey=sent,
            user=participant,
            answers=answers_for(sent, **{"How useful": "2", "How often": "Never"}),
        )
