"""N+1 guards for the survey pages: the same number of queries for 1 item as for 50.

The coordinator's list (surveys), a survey's page (questions), its results (responses:
1, below the threshold, and 50 run the same queries) and the participant's list.
"""

import pytest
from django.urls import reverse
from django_scopes import scope

from programs.models import Match
from tests.sessions.conftest import person
from tests.test_query_counts import count_queries, describe

from .conftest import QUESTIONS, answer, pair_users, survey_make

pytestmark = pytest.mark.django_db

LARGE = 50


def _assert_same(small, large, bound, what):
    assert len(large) == len(small), (
        f"{what}: {len(small)} queries for one item, {len(large)} for {LARGE}:\n" + describe(large)
    )
    assert len(large) <= bound, f"{what}: {len(large)} queries, bound {bound}:\n" + describe(large)


def _people(org, program, n, start=0):
    """`n` more people, paired two by two in `program`."""
    users = [person(org, f"q{start + i}-{program.pk}@acme.example.org") for i in range(n)]
    for i in range(0, n - 1, 2):
        pair_users(org, program, users[i : i + 2], Match.Status.ACTIVE)
    return users


def test_results_page_runs_the_same_queries_for_1_and_50_responses(
    org, debrief, coordinator, client_for
):
    survey = survey_make(debrief.program, send=True)
    url = reverse(
        "surveys:results",
        kwargs={"org_slug": org.slug, "pk": debrief.program.pk, "survey_pk": survey.pk},
    )
    client = client_for(coordinator)
    answer(survey, debrief.eligible[0], **{"What should change": "Text 0"})
    count_queries(client, url)  # warm-up
    small, _ = count_queries(client, url)

    people = [*debrief.eligible[1:], *_people(org, debrief.program, LARGE)][: LARGE - 1]
    for n, user in enumerate(people, start=1):
        answer(survey, user, **{"What should change": f"Text {n}", "What helped": ["Guides"]})
    large, response = count_queries(client, url)
    assert f"{LARGE} people answered".encode() in response.content
    assert f"Text {LARGE - 1}".encode() in response.content
    # 13 today: session, user, membership, two-factor check, program, survey with its
    # counts, reach, response count, questions, answered per question, tallies, texts,
    # switcher.
    _assert_same(small, large, 14, "results")


def _grow_surveys(program, n):
    with scope(organization=program.organization):
        have = program.surveys.count()
    for i in range(have, n):
        survey = survey_make(
            program, questions=QUESTIONS[:2], title=f"Survey {i:02}", send=i % 2 == 0
        )
        if i % 2 == 0:
            answer(survey, program_people(program)[0])


def program_people(program):
    from surveys.selectors import eligible_users

    with scope(organization=program.organization):
        return list(eligible_users(program=program).order_by("pk"))


def test_coordinator_list_runs_the_same_queries_for_1_and_50_surveys(
    org, debrief, coordinator, client_for
):
    from tests.factories import ProgramEventFactory

    url = reverse("surveys:list", kwargs={"org_slug": org.slug, "pk": debrief.program.pk})
    client = client_for(coordinator)
    _grow_surveys(debrief.program, 1)
    with scope(organization=org):
        ProgramEventFactory(program=debrief.program, kind="debrief", title="Debrief 0")
    count_queries(client, url)
    small, _ = count_queries(client, url)
    _grow_surveys(debrief.program, LARGE)
    with scope(organization=org):
        for i in range(1, 5):
            ProgramEventFactory(program=debrief.program, kind="debrief", title=f"Debrief {i}")
    large, response = count_queries(client, url)
    assert f"Survey {LARGE - 1:02}".encode() in response.content
    assert b"Debrief 4" in response.content
    # 8 today: session, user, membership, two-factor check, program, surveys with their
    # counts, debrief events, switcher.
    _assert_same(small, large, 9, "list")


def test_survey_page_runs_the_same_queries_for_1_and_50_questions(
    org, debrief, coordinator, client_for
):
    from surveys import services

    survey = survey_make(debrief.program, questions=QUESTIONS[:1])
    url = reverse(
        "surveys:detail",
        kwargs={"org_slug": org.slug, "pk": debrief.program.pk, "survey_pk": survey.pk},
    )
    client = client_for(coordinator)
    count_queries(client, url)
    small, _ = count_queries(client, url)
    with scope(organization=org):
        for i in range(1, LARGE):
            spec = dict(QUESTIONS[i % len(QUESTIONS)])
            services.question_create(
                survey=survey, kind=spec.pop("kind"), **{**spec, "label": f"Question {i:02}"}
            )
    large, response = count_queries(client, url)
    assert f"Question {LARGE - 1:02}".encode() in response.content
    # 10 today: session, user, membership, two-factor check, program, survey with its
    # counts, questions (the preview reuses them), reach, debrief events, switcher.
    _assert_same(small, large, 11, "detail")


def test_participant_list_runs_the_same_queries_for_1_and_50_surveys(
    org, debrief, participant, client_for
):
    url = reverse("surveys:mine", kwargs={"org_slug": org.slug})
    client = client_for(participant)

    def grow(n):
        with scope(organization=org):
            have = debrief.program.surveys.count()
        for i in range(have, n):
            survey = survey_make(
                debrief.program, questions=QUESTIONS[:1], title=f"Survey {i:02}", send=True
            )
            if i % 2:
                answer(survey, participant)

    grow(1)
    count_queries(client, url)
    small, _ = count_queries(client, url)
    grow(LARGE)
    large, response = count_queries(client, url)
    assert f"Survey {LARGE - 1:02}".encode() in response.content
    # 5 today: session, user, membership, the surveys with their programs, switcher.
    _assert_same(small, large, 6, "my surveys")
