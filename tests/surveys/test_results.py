"""Results: counts, averages and distributions, text answers without names, shown only
from three responses; and no page of the program team ever puts a name next to an answer
or shows anyone's private writing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from programs.models import Match
from sessions.services.concerns import concern_raise
from sessions.services.log import session_log
from surveys.models import MIN_RESPONSES
from surveys.selectors import survey_results

from .conftest import answer

pytestmark = pytest.mark.django_db

PRIVATE_NOTE = "mkSURVEYprivate9921"
CONCERN = "mkSURVEYconcern5530"
TEXTS = ("zebra crossings were the best part", "Apples: meet more often", "mkTEXTbanana")


def _results_url(survey):
    return reverse(
        "surveys:results",
        kwargs={
            "org_slug": survey.organization.slug,
            "pk": survey.program_id,
            "survey_pk": survey.pk,
        },
    )


def _by_label(results):
    return {row.question.label: row for row in results.questions}


def _four_answers(sent, debrief):
    people = debrief.eligible[:4]
    specs = [
        {
            "How useful": "5",
            "How often": "Weekly",
            "What helped": ["Guides", "Reminders"],
            "What should change": TEXTS[0],
        },
        {
            "How useful": "4",
            "How often": "Weekly",
            "What helped": ["Guides"],
            "What should change": TEXTS[1],
        },
        {
            "How useful": "4",
            "How often": "Monthly",
            "What helped": [],
            "What should change": TEXTS[2],
        },
        {"How useful": "2", "How often": "Weekly", "One word": "Useful"},
    ]
    for user, spec in zip(people, specs, strict=True):
        answer(sent, user, **spec)
    return people


def test_aggregates_per_question(org, sent, debrief):
    _four_answers(sent, debrief)
    with scope(organization=org):
        results = survey_results(survey=sent)
    assert results.shown and results.response_count == 4
    rows = _by_label(results)

    rating = rows["How useful was it?"]
    assert rating.answered == 4
    assert rating.average == 3.8  # (5 + 4 + 4 + 2) / 4 = 3.75
    assert [(b.label, b.count, b.percent) for b in rating.bars] == [
        ("1", 0, 0),
        ("2", 1, 25),
        ("3", 0, 0),
        ("4", 2, 50),
        ("5", 1, 25),
    ]
    single = rows["How often did you meet?"]
    assert [(b.label, b.count) for b in single.bars] == [
        ("Weekly", 3),
        ("Monthly", 1),
        ("Never", 0),
    ]
    several = rows["What helped?"]
    assert several.answered == 2  # people who ticked something
    assert [(b.label, b.count) for b in several.bars] == [
        ("Agreement", 0),
        ("Guides", 2),
        ("Reminders", 1),
    ]
    assert rows["What should change?"].texts == sorted(TEXTS)
    assert rows["What should change?"].answered == 3
    assert rows["One word for it?"].texts == ["Useful"]


def test_results_stay_hidden_below_the_threshold(org, sent, debrief, coordinator, client_for):
    assert MIN_RESPONSES == 3
    answer(sent, debrief.eligible[0], **{"What should change": TEXTS[2]})
    answer(sent, debrief.eligible[1], **{"How useful": "1"})
    with scope(organization=org):
        results = survey_results(survey=sent)
    assert not results.shown and results.questions == []

    page = client_for(coordinator).get(_results_url(sent)).content.decode()
    assert 'data-testid="results-hidden"' in page
    assert "results appear at 3" in page
    assert "at least 3 people" in page  # the page says why
    assert TEXTS[2] not in page and 'data-testid="bar"' not in page

    answer(sent, debrief.eligible[2])
    page = client_for(coordinator).get(_results_url(sent)).content.decode()
    assert 'data-testid="results-hidden"' not in page
    assert TEXTS[2] in page and 'data-testid="bar"' in page
    assert "at least 3 people" in page  # still said


def _plant_private_writing(org, debrief, participant):
    with scope(organization=org):
        match = Match.objects.get(program=debrief.program, members__user=participant)
        session_log(
            match=match,
            user=participant,
            starts_at=timezone.now() - timedelta(days=2),
            duration_minutes=60,
            modality="zoom",
            halves=(30, 30),
            private_note=PRIVATE_NOTE,
        )
        concern_raise(
            organization=org,
            author=participant,
            category="other",
            body=CONCERN,
            program=debrief.program,
        )


def test_the_program_team_never_sees_who_answered_what(
    org, sent, debrief, coordinator, participant, client_for
):
    _plant_private_writing(org, debrief, participant)
    for n, user in enumerate(debrief.eligible):
        user.first_name, user.last_name = "Answerer", f"Zyxname{n}"
        user.save(update_fields=["first_name", "last_name"])
    people = _four_answers(sent, debrief)
    client = client_for(coordinator)
    kwargs = {"org_slug": org.slug, "pk": sent.program_id}
    pages = [
        reverse("surveys:list", kwargs=kwargs),
        reverse("surveys:detail", kwargs={**kwargs, "survey_pk": sent.pk}),
        _results_url(sent),
    ]
    for url in pages:
        page = client.get(url).content.decode()
        assert PRIVATE_NOTE not in page and CONCERN not in page, url
        for user in people:
            # Nobody who answered is named anywhere on the team's survey pages.
            assert user.email not in page, url
            assert user.last_name not in page, url
        assert "Answerer" not in page, url
    results = client.get(_results_url(sent)).content.decode()
    assert all(text in results for text in TEXTS)


def test_participants_see_only_their_own_answers(org, sent, debrief, participant, client_for):
    _four_answers(sent, debrief)
    others = debrief.eligible[1:4]
    own = (
        client_for(participant)
        .get(reverse("surveys:answer", kwargs={"org_slug": org.slug, "survey_pk": sent.pk}))
        .content.decode()
    )
    assert TEXTS[0] in own
    assert TEXTS[1] not in own and TEXTS[2] not in own
    for user in others:
        assert user.email not in own
    # Participants have no results page.
    assert client_for(participant).get(_results_url(sent)).status_code == 403
