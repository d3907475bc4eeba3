"""No export, nor the exports page, carries what participants write.

Every place that holds private content, or content the pair shares among themselves,
gets a sentinel: session notes, topics, next steps, the place they met, a circle
member's challenge, private notes, self-reflections, preparation, feedback comments,
progress-report answers (shared or not), goals and plans, opt-out notices (shared or
not, and so the text the ending kept), pause reasons, concerns and their notes, and
the agreement's signed text. None of them may appear in any file.
"""

from datetime import date

import pytest
from django_scopes import scope

from programs.models import Match
from programs.services.proposals import match_end
from sessions.models import (
    Concern,
    ConcernAccess,
    Feedback,
    Goal,
    GoalProgress,
    GoalUpdate,
    Pause,
    Plan,
    Preparation,
    PrivateNote,
    Reflection,
    SessionPart,
)
from sessions.services.endings import opt_out_give
from tests.factories import ApplicationFactory
from tests.sessions.conftest import pair_make, person

from .test_exports import download, held, page_url, report, signed_agreement

pytestmark = pytest.mark.django_db

SENTINEL = "XYZZY-SECRET"


def secret(where):
    return f"{SENTINEL} {where}"


def plant(org, program, coordinator, first, circle_first):
    """Private content everywhere around a pair, a circle and two ended pairs."""
    pair = pair_make(org, first, program=program)
    circle = pair_make(org, circle_first, format="circle", size=3)
    me, partner = pair.people
    session = held(
        pair.match,
        logged_by=me,
        shared_notes=secret("shared notes"),
        next_steps=secret("next steps"),
        topics=[secret("topic")],
        note=secret("response note"),
        location=secret("https://meet.example/room"),
    )
    SessionPart.objects.create(
        organization=org, session=session, coach=me, coachee=partner, minutes=30
    )
    PrivateNote.objects.create(
        organization=org, session=session, author=me, body=secret("private note")
    )
    Reflection.objects.create(
        organization=org, session=session, author=me, body=secret("reflection")
    )
    Preparation.objects.create(
        organization=org,
        session=session,
        author=partner,
        purpose=secret("purpose"),
        outcomes=secret("outcomes"),
        process=secret("process"),
    )
    Feedback.objects.create(
        organization=org,
        session=session,
        author=partner,
        coach=me,
        rating=2,
        comment=secret("feedback comment"),
    )
    circle_session = held(circle.match, logged_by=circle.me)
    SessionPart.objects.create(
        organization=org,
        session=circle_session,
        coachee=circle.me,
        minutes=20,
        challenge=secret("challenge"),
    )
    unshared = report(pair.match, me, change=secret("unshared report answer"))
    report(pair.match, partner, change=secret("shared report answer"), change_shared=True)
    plan = Plan.objects.create(
        organization=org, program=program, user=me, primary_objective=secret("objective")
    )
    goal = Goal.objects.create(
        organization=org, plan=plan, title=secret("goal"), description=secret("success")
    )
    GoalUpdate.objects.create(organization=org, goal=goal, author=me, body=secret("goal update"))
    GoalProgress.objects.create(
        organization=org,
        report=unshared,
        goal=goal,
        goal_title=secret("goal title"),
        progress=secret("goal progress"),
        status=Goal.Status.IN_PROGRESS,
    )
    Pause.objects.create(
        organization=org,
        match=pair.match,
        requested_by=me,
        starts_on=date(2025, 3, 1),
        ends_on=date(2025, 3, 31),
        reason=secret("pause reason"),
    )
    agreement = signed_agreement(pair.match)
    agreement.signed_content = secret("signed agreement text")
    agreement.save(update_fields=["signed_content"])
    concern = Concern.objects.create(
        organization=org,
        program=program,
        author=me,
        category=Concern.Category.CONDUCT,
        body=secret("concern"),
    )
    ConcernAccess.objects.create(
        organization=org,
        concern=concern,
        user=coordinator,
        action=ConcernAccess.Action.NOTED,
        note=secret("concern note"),
    )
    # Endings: a shared notice (the ending's text quotes it), an unshared one, and the
    # program team's own reason.
    shared = pair_make(org, person(org, "sha@acme.example.org"), program=program)
    opt_out_give(
        match=shared.match,
        user=shared.me,
        reason="mismatch",
        notice=secret("shared notice"),
        notice_shared=True,
    )
    private = pair_make(org, person(org, "pri@acme.example.org"), program=program)
    opt_out_give(
        match=private.match, user=private.me, reason="other", notice=secret("private notice")
    )
    ended = pair_make(org, person(org, "end@acme.example.org"), program=program)
    match_end(match=ended.match, ended_by=coordinator, reason=secret("end reason"))
    for user in (me, partner):
        ApplicationFactory(program=program, user=user, group="Finance")
    return circle


def test_no_export_carries_private_content(org, participant, stranger, coordinator, client_for):
    with scope(organization=org):
        program = pair_make(org, person(org, "x@acme.example.org")).program
        circle = plant(org, program, coordinator, participant, stranger)
        # The sentinels are really there, where a careless query would find them.
        assert SENTINEL in Match.objects.get(end_reason__contains="shared notice").end_reason
    client = client_for(coordinator)

    bodies = {}
    for target in (program, circle.program):
        for kind in ("applications", "pairs", "sessions", "opt-outs"):
            for params in ({}, {"group": "Finance"}):
                if params and target is circle.program:
                    continue
                bodies[(target.pk, kind, str(params))] = download(client, target, kind, **params)[1]
        bodies[(target.pk, "page")] = client.get(page_url(target)).content

    assert len(bodies) == 14
    for where, body in bodies.items():
        assert SENTINEL.encode() not in body, f"{where} leaks private content"
    # The files did read the activity around those sentinels.
    assert bodies[(program.pk, "pairs", "{}")].count(b"\r\n") == 6  # header and 5 pairs
    assert b"mismatch" in bodies[(program.pk, "opt-outs", "{}")]
