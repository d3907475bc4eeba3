"""The participant home shows the surveys waiting for the person's answers (issue 15: the
card was built, never shown)."""

import pytest
from django.urls import reverse

from tests.surveys.conftest import answer, survey_make

pytestmark = pytest.mark.django_db


def home(org):
    return reverse("portal:home", kwargs={"org_slug": org.slug})


def test_the_home_shows_an_open_survey_until_it_is_answered(org, debrief, client_for):
    survey = survey_make(debrief.program, send=True, title="How did the term go?")
    link = reverse("surveys:answer", kwargs={"org_slug": org.slug, "survey_pk": survey.pk})
    client = client_for(debrief.active[0])

    page = client.get(home(org)).content.decode()
    assert 'data-testid="open-surveys"' in page
    assert f'href="{link}"' in page and "How did the term go?" in page

    answer(survey, debrief.active[0])
    assert 'data-testid="open-surveys"' not in client.get(home(org)).content.decode()


def test_a_draft_survey_and_someone_never_paired_see_no_card(org, debrief, client_for, stranger):
    survey_make(debrief.program, title="Still a draft")
    assert (
        'data-testid="open-surveys"'
        not in client_for(debrief.active[0]).get(home(org)).content.decode()
    )
    survey_make(debrief.program, send=True, title="Sent")
    assert 'data-testid="open-surveys"' not in client_for(stranger).get(home(org)).content.decode()
