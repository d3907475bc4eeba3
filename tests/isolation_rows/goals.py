"""Isolation rows: development plans.

A plan is its owner's (the participant) to write; the partner reads it on the pair's
`partner_plan` page (the participant reading gil's here). Everyone else in the tenant,
the program team included, gets 404: nobody learns that a goal exists.
"""

from django_scopes import scope

from sessions.services.goals import goal_create, goal_step_add, plan_ensure
from tests.test_isolation import PARTY_PAGE, Row

PARTY_ACTION = PARTY_PAGE._replace(owner=302)


def _goal(target):
    """A goal in the participant's plan of the pair's program."""

    def make(t):
        match = t.participant_pair
        with scope(organization=t.org):
            plan = plan_ensure(
                organization=t.org, program=match.program, user=t.actors["participant"]
            )
            return goal_create(plan=plan, title="Speak first in the weekly meeting")

    return target.memo("goals:goal", make)


def _step(target):
    def make(t):
        with scope(organization=t.org):
            return goal_step_add(goal=_goal(t), text="Prepare one point")

    return target.memo("goals:step", make)


def plan_kwargs(target):
    return {"org_slug": target.org.slug, "pk": target.participant_pair.program_id}


def goal_kwargs(target):
    return {"org_slug": target.org.slug, "pk": _goal(target).pk}


def _partner_pk(target):
    with scope(organization=target.org):
        return (
            target.participant_pair.members.exclude(user=target.actors["participant"]).get().user_id
        )


ROWS = {
    "sessions:plan": Row(
        checks={"GET": PARTY_PAGE, "POST": PARTY_ACTION},
        owner="participant",
        kwargs=plan_kwargs,
        data=lambda target: {"primary_objective": "Listen before I answer"},
        owner_post_changes=True,
    ),
    "sessions:goal_create": Row(
        checks={"GET": PARTY_PAGE, "POST": PARTY_ACTION},
        owner="participant",
        kwargs=plan_kwargs,
        data=lambda target: {"title": "Delegate the budget", "status": "not_started"},
        owner_post_changes=True,
    ),
    "sessions:goal_edit": Row(
        checks={"GET": PARTY_PAGE, "POST": PARTY_ACTION},
        owner="participant",
        kwargs=goal_kwargs,
        data=lambda target: {"title": "Speak first, twice", "status": "in_progress"},
        owner_post_changes=True,
    ),
    "sessions:goal_step_add": Row(
        checks={"POST": PARTY_ACTION},
        owner="participant",
        kwargs=goal_kwargs,
        data=lambda target: {"text": "Ask a colleague for feedback"},
        owner_post_changes=True,
    ),
    "sessions:goal_step_toggle": Row(
        checks={"POST": PARTY_ACTION},
        owner="participant",
        kwargs=lambda target: {**goal_kwargs(target), "step_pk": _step(target).pk},
        data=lambda target: {"done": "1"},
        owner_post_changes=True,
    ),
    "sessions:goal_update": Row(
        checks={"GET": PARTY_PAGE, "POST": PARTY_ACTION},
        owner="participant",
        kwargs=goal_kwargs,
        data=lambda target: {"body": "Spoke first on Monday", "status": "in_progress"},
        owner_post_changes=True,
    ),
    "sessions:partner_plan": Row(
        checks={"GET": PARTY_PAGE},
        owner="participant",
        kwargs=lambda target: {
            "org_slug": target.org.slug,
            "pk": target.participant_pair.pk,
            "user_pk": _partner_pk(target),
        },
    ),
}
