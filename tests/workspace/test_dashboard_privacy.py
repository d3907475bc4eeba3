"""The dashboard and the nudge never carry private content: each private field holds a
marked text, and no page (filtered or not, before and after a nudge), message, ledger
row or email shows one. Ratings, dates, counts and names are all the team gets."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from peercoach.notifications.models import Delivery, Kind
from programs.models import Match
from sessions.models import (
    Concern,
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
from tests.workspace.test_dashboard import build, held_session, report

pytestmark = pytest.mark.django_db

SENTINELS = {
    "private note": "sentinel-private-note-4f1",
    "reflection": "sentinel-reflection-9c2",
    "session notes": "session-notes-sentinel",  # planted by held_session
    "next steps": "next-steps-sentinel",
    "feedback comment": "sentinel-feedback-comment-7a3",
    "report change, not shared": "unshared-change-sentinel",  # planted by report
    "goal progress, not shared": "sentinel-goal-progress-2b8",
    "goal": "sentinel-goal-title-6d0",
    "goal update": "sentinel-goal-update-3e7",
    "primary objective": "sentinel-objective-8f4",
    "preparation": "sentinel-preparation-1a9",
    "challenge": "sentinel-challenge-5c6",
    "opt-out notice, not shared": "opt-out-notice-sentinel",  # planted by build
    "concern": "sentinel-concern-0d5",
    "pause reason": "sentinel-pause-reason-4b2",
}


@pytest.fixture
def planted(org, participant, stranger):
    built = build(org, participant, stranger)
    a, b = built.a, built.b
    old = timezone.now() - timedelta(days=45)
    session = held_session(a, timezone.now() - timedelta(days=30))
    reported = report(a, a.partner, 1, 1)
    with scope(organization=org):
        # Everyone started long ago and met once: pair A is at risk for every reason.
        Match.objects.filter(program=built.program).update(published_at=old)
        PrivateNote.objects.create(
            organization=org, session=session, author=a.me, body=SENTINELS["private note"]
        )
        Reflection.objects.create(
            organization=org, session=session, author=a.me, body=SENTINELS["reflection"]
        )
        Feedback.objects.create(
            organization=org,
            session=session,
            author=a.partner,
            coach=a.me,
            rating=1,
            comment=SENTINELS["feedback comment"],
        )
        SessionPart.objects.create(
            organization=org,
            session=session,
            coach=a.me,
            coachee=a.partner,
            minutes=45,
            challenge=SENTINELS["challenge"],
        )
        Preparation.objects.create(
            organization=org, session=session, author=a.me, purpose=SENTINELS["preparation"]
        )
        plan = Plan.objects.create(
            organization=org,
            program=built.program,
            user=a.me,
            primary_objective=SENTINELS["primary objective"],
        )
        goal = Goal.objects.create(organization=org, plan=plan, title=SENTINELS["goal"])
        GoalUpdate.objects.create(
            organization=org, goal=goal, author=a.me, body=SENTINELS["goal update"]
        )
        GoalProgress.objects.create(
            organization=org,
            report=reported,
            goal=goal,
            goal_title=SENTINELS["goal"],
            progress=SENTINELS["goal progress, not shared"],
            status=Goal.Status.IN_PROGRESS,
            shared=False,
        )
        Concern.objects.create(
            organization=org,
            program=built.program,
            author=b.me,
            category=Concern.Category.CONDUCT,
            body=SENTINELS["concern"],
        )
        today = timezone.localdate(timezone=org.tzinfo)
        Pause.objects.create(
            organization=org,
            match=b.match,
            requested_by=b.me,
            starts_on=today - timedelta(days=30),
            ends_on=today - timedelta(days=25),
            reason=SENTINELS["pause reason"],
        )
    return built


def assert_clean(text, where):
    for what, marker in SENTINELS.items():
        assert marker not in text, f"{where} shows the {what}"


def test_no_private_content_on_the_dashboard_or_in_a_nudge(
    org, coordinator, planted, client_for, commit
):
    client = client_for(coordinator)
    url = reverse("workspace:dashboard", kwargs={"org_slug": "acme", "pk": planted.program.pk})

    page = client.get(url)
    html = page.content.decode()
    assert 'data-rule="rating"' in html and 'data-rule="report"' in html  # A is at risk
    assert_clean(html, "the dashboard")
    for query in ("?group=Engineering", "?community=South", "?page=2"):
        assert_clean(client.get(url + query).content.decode(), f"the dashboard {query}")

    nudge = reverse(
        "workspace:dashboard_nudge",
        kwargs={"org_slug": "acme", "pk": planted.program.pk, "match_pk": planted.a.match.pk},
    )
    with commit():
        after = client.post(nudge, follow=True)
    assert "Nudge sent to" in after.content.decode()
    assert_clean(after.content.decode(), "the dashboard after a nudge")
    with scope(organization=org):
        # The nudge's rows; the ledger also holds the opt-out's message to the partner,
        # whose notice is written for that partner.
        contexts = [str(row.context) for row in Delivery.objects.filter(kind=Kind.NUDGE)]
    assert contexts
    for context in contexts:
        assert_clean(context, "a nudge's ledger row")
    assert mail.outbox
    for message in mail.outbox:
        assert_clean(message.subject + message.body + message.alternatives[0][0], "a nudge email")
