"""Reads for development plans: a person's plan and goals, their partner's view of it,
the home page's goals, and the counts the program team may see.

Who reads a plan: its owner, and the current or former members of a pair or circle the
owner is (or was) in for that program. The program team never reads goal content; it
gets `goal_counts` (numbers by status) and nothing else.
"""

from collections import defaultdict

from django.db.models import Count, F, Prefetch, Q

from agreements.selectors.terms import agreement_terms_for_matches
from programs.models import Match, MatchMember

from ..models import Goal, GoalStep, GoalUpdate, Plan

# How many updates the plan page shows under each goal; the goal's updates page has all.
LATEST_UPDATES = 3

# The plan's timeline: dated goals first, soonest first, then the undated ones.
TIMELINE = (F("target_date").asc(nulls_last=True), "position", "id")


def plan_matches(*, organization, user, program):
    """The person's published pairs and circles in `program` (current or ended), the
    current one first, then the most recent. Empty when they were never matched there."""
    return list(
        Match.objects.filter(
            organization=organization,
            program=program,
            members__user=user,
        )
        .exclude(status=Match.Status.PROPOSED)
        .annotate(
            mine_current=Count("members", filter=Q(members__user=user, members__is_current=True))
        )
        .order_by("-mine_current", F("published_at").desc(nulls_last=True), "-id")
    )


def objective_prefill(*, user, program, matches):
    """The person's primary objective as their pair's signed agreement states it, or "".

    Only a signed agreement counts: a draft can still change, and the plan keeps what
    was agreed. `matches` in order of preference (see `plan_matches`); one query.
    """
    if not matches:
        return ""
    terms = agreement_terms_for_matches(program=program, match_ids=[m.pk for m in matches])
    for match in matches:
        found = terms[match.pk]
        if found.source == "signed" and found.primary_objectives.get(user.pk):
            return found.primary_objectives[user.pk]
    return ""


def plan_of(*, organization, user, program):
    """The person's saved plan in `program`, or None."""
    plan = Plan.objects.filter(organization=organization, program=program, user=user).first()
    if plan is not None:
        plan.organization, plan.program, plan.user = organization, program, user
    return plan


def plan_or_draft(*, organization, user, program, matches):
    """The saved plan, or an unsaved one whose objective is prefilled from the agreement.

    The draft is not stored: the plan is created by its owner's first save (see
    `services.goals.plan_ensure`), so an agreement signed after a first look at the page
    still fills the objective in.
    """
    plan = plan_of(organization=organization, user=user, program=program)
    if plan is None:
        plan = Plan(
            organization=organization,
            program=program,
            user=user,
            primary_objective=objective_prefill(user=user, program=program, matches=matches),
        )
    return plan


def goals_of_plan(plan):
    """The plan's goals in timeline order, with their steps and latest updates
    (`goal.latest_updates`) and step counts. A constant number of queries."""
    if plan.pk is None:
        return []
    steps = GoalStep.objects.order_by("position", "id")
    updates = GoalUpdate.objects.select_related("author").order_by("-created_at", "-id")
    goals = list(
        Goal.objects.filter(organization=plan.organization, plan=plan)
        .annotate(update_count=Count("updates"))
        .prefetch_related(
            Prefetch("steps", queryset=steps),
            Prefetch("updates", queryset=updates[:LATEST_UPDATES], to_attr="latest_updates"),
        )
        .order_by(*TIMELINE)
    )
    for goal in goals:
        goal.plan = plan
        goal.steps_done = sum(1 for step in goal.steps.all() if step.done_at)
    return goals


def goal_for_owner(*, organization, user, pk):
    """The goal `pk` when it is in `user`'s own plan, else None (the view answers 404)."""
    goal = (
        Goal.objects.select_related("plan", "plan__program")
        .filter(organization=organization, pk=pk, plan__user=user)
        .first()
    )
    if goal is not None:
        goal.plan.user = user
    return goal


def goal_updates(goal):
    """Every update of a goal, newest first."""
    return list(
        GoalUpdate.objects.filter(organization=goal.organization, goal=goal)
        .select_related("author")
        .order_by("-created_at", "-id")
    )


def plan_member(*, match, user_pk):
    """The member row (current or former) of `user_pk` in `match`, user loaded, or None."""
    return (
        MatchMember.objects.filter(organization=match.organization, match=match, user_id=user_pk)
        .select_related("user")
        .first()
    )


def goals_for(*, organization, user, program_ids):
    """{program_id: [Goal...]} of the person's goals still open (not started, in progress)
    in those programs, in timeline order, each with `steps_total` and `steps_done`.
    For the home page: one query however many programs and goals."""
    program_ids = list(program_ids)
    result = {program_id: [] for program_id in program_ids}
    if not program_ids:
        return result
    goals = (
        Goal.objects.filter(
            organization=organization,
            plan__user=user,
            plan__program_id__in=program_ids,
            status__in=[Goal.Status.NOT_STARTED, Goal.Status.IN_PROGRESS],
        )
        .annotate(
            program_id=F("plan__program_id"),
            steps_total=Count("steps"),
            steps_done=Count("steps", filter=Q(steps__done_at__isnull=False)),
        )
        .order_by(*TIMELINE)
    )
    for goal in goals:
        result[goal.program_id].append(goal)
    return result


def goal_counts(*, organization, program):
    """{user_id: {status: count}} of goals in `program`: numbers only, for the program
    team. No title, description, step or update ever leaves this function."""
    rows = (
        Goal.objects.filter(organization=organization, plan__program=program)
        .values("plan__user_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = defaultdict(dict)
    for row in rows:
        counts[row["plan__user_id"]][row["status"]] = row["n"]
    return dict(counts)


def plan_readers(*, matches, user):
    """Who reads the person's plan besides them: the other members of their pairs and
    circles in the program (`matches`, see `plan_matches`), current ones first."""
    if not matches:
        return []
    readers = {}
    members = (
        MatchMember.objects.filter(organization_id=matches[0].organization_id, match__in=matches)
        .exclude(user=user)
        .select_related("user")
        .order_by("-is_current", "position", "id")
    )
    for member in members:
        readers.setdefault(member.user_id, member)
    return list(readers.values())
