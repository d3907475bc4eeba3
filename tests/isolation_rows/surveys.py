"""Isolation rows: debrief surveys.

The program team builds, sends, closes and reads a survey on the program's pages
(coordinators only). A survey's own page is for the people who may answer it: the
participant, paired in `target.participant_pair`'s program; the stranger was never
paired there and gets 404 like another tenant's people. "My surveys" is every member's
page, listing only their own.

Two surveys of that program: a draft with two questions (the builder's rows) and a sent
one with the same questions (close, results, answering).
"""

from django_scopes import scope

from surveys import services
from surveys.models import SurveyQuestion
from tests.test_isolation import (
    COORDINATOR_ACTION,
    COORDINATOR_ACTION_GET,
    COORDINATOR_PAGE,
    MEMBER_PAGE,
    PARTY_PAGE,
    Row,
    in_tenant,
)

QUESTIONS = (
    {"kind": SurveyQuestion.Kind.RATING, "label": "How useful was the term?"},
    {"kind": SurveyQuestion.Kind.LONG_TEXT, "label": "What should change?", "required": False},
)


def _survey(target, *, send):
    def make(t):
        program = t.participant_pair.program
        with scope(organization=t.org):
            survey = services.survey_create(
                program=program,
                created_by=t.actors["coordinator"],
                title="Sent debrief" if send else "Draft debrief",
                intro="",
                closes_on=None,
            )
            for spec in QUESTIONS:
                spec = dict(spec)
                services.question_create(survey=survey, kind=spec.pop("kind"), **spec)
            if send:
                # The emails wait for a commit that the matrix never makes.
                services.survey_send(survey=survey, actor=t.actors["coordinator"])
        return survey

    return target.memo(f"surveys:{'sent' if send else 'draft'}", make)


def _program_kwargs(target):
    return {"org_slug": target.org.slug, "pk": target.participant_pair.program_id}


def _draft_kwargs(target):
    survey = _survey(target, send=False)
    return {**_program_kwargs(target), "survey_pk": survey.pk}


def _sent_kwargs(target):
    survey = _survey(target, send=True)
    return {**_program_kwargs(target), "survey_pk": survey.pk}


def _first_question_kwargs(target):
    kwargs = _draft_kwargs(target)
    with scope(organization=target.org):
        question = SurveyQuestion.objects.filter(survey_id=kwargs["survey_pk"]).order_by(
            "position"
        )[0]
    return {**kwargs, "question_pk": question.pk}


def _question_id(target):
    with scope(organization=target.org):
        return SurveyQuestion.objects.get(
            survey=_survey(target, send=True), kind=SurveyQuestion.Kind.RATING
        ).pk


ROWS = {
    "surveys:list": Row(
        checks={"GET": COORDINATOR_PAGE}, owner="coordinator", kwargs=_program_kwargs
    ),
    "surveys:create": Row(
        checks={"GET": COORDINATOR_PAGE, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=_program_kwargs,
        data=lambda target: {"title": "Posted debrief", "starter": "on"},
        owner_post_changes=True,
    ),
    "surveys:detail": Row(
        checks={"GET": COORDINATOR_PAGE}, owner="coordinator", kwargs=_draft_kwargs
    ),
    "surveys:edit": Row(
        checks={"GET": COORDINATOR_PAGE, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=_draft_kwargs,
        data=lambda target: {"title": "Renamed debrief", "intro": "Five minutes."},
        owner_post_changes=True,
    ),
    "surveys:delete": Row(
        checks={"GET": COORDINATOR_ACTION_GET, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=_draft_kwargs,
        owner_post_changes=True,
    ),
    "surveys:send": Row(
        checks={"GET": COORDINATOR_ACTION_GET, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=_draft_kwargs,
        owner_post_changes=True,
    ),
    "surveys:close": Row(
        checks={"GET": COORDINATOR_ACTION_GET, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=_sent_kwargs,
        owner_post_changes=True,
    ),
    "surveys:results": Row(
        checks={"GET": COORDINATOR_PAGE}, owner="coordinator", kwargs=_sent_kwargs
    ),
    "surveys:question_create": Row(
        # GET without a kind is the kind picker.
        checks={"GET": COORDINATOR_PAGE, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=_draft_kwargs,
        data=lambda target: {"kind": "single", "label": "Again?", "options": "Yes\nNo"},
        owner_post_changes=True,
    ),
    "surveys:question_edit": Row(
        checks={"GET": COORDINATOR_PAGE, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=_first_question_kwargs,
        data=lambda target: {"label": "How useful was the year?", "required": "on"},
        owner_post_changes=True,
    ),
    "surveys:question_delete": Row(
        checks={"GET": COORDINATOR_ACTION_GET, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=_first_question_kwargs,
        owner_post_changes=True,
    ),
    "surveys:question_move": Row(
        checks={"GET": COORDINATOR_ACTION_GET, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=_first_question_kwargs,
        data=lambda target: {"direction": "down"},
        owner_post_changes=True,
    ),
    "surveys:mine": Row(
        checks={"GET": MEMBER_PAGE},
        owner="participant",
        kwargs=lambda target: (_survey(target, send=True), in_tenant(target))[1],
    ),
    "surveys:answer": Row(
        checks={"GET": PARTY_PAGE, "POST": PARTY_PAGE._replace(owner=302)},
        owner="participant",
        kwargs=lambda target: {
            "org_slug": target.org.slug,
            "survey_pk": _survey(target, send=True).pk,
        },
        data=lambda target: {f"q{_question_id(target)}": "4"},
        owner_post_changes=True,
    ),
}
