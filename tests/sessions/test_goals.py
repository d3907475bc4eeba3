"""Development plans: the objective prefilled from the signed agreement, goals with steps
and dated updates, who writes (the owner only) and who reads (the owner and their
partners; never the program team, a stranger or another tenant)."""

from datetime import date, timedelta

import pytest
from django.http import QueryDict
from django.urls import reverse
from django_scopes import scope

from agreements import fields
from agreements.models import AgreementItem
from agreements.selectors.agreement import canonical_text
from agreements.services.common import Actor
from agreements.services.create import agreement_create
from agreements.services.fill import value_save
from agreements.services.sign import agreement_sign as sign
from programs.models import Match, MatchMember, Program
from sessions.models import Goal, GoalStep, GoalUpdate, Plan
from sessions.selectors.goals import goal_counts, goals_for
from sessions.services import goals as services
from tests.agreements.conftest import template_make
from tests.sessions.conftest import pair_make, person
from tests.test_query_counts import count_queries, describe

pytestmark = pytest.mark.django_db

Kind = AgreementItem.Kind
Purpose = AgreementItem.Purpose

AGREEMENT_ITEMS = [
    {
        "kind": Kind.FREQUENCY,
        "title": "How often we meet",
        "purpose": Purpose.MEETING_FREQUENCY,
        "required": False,
    },
    {
        "kind": Kind.FREQUENCY,
        "title": "How often we report",
        "purpose": Purpose.REPORTING_FREQUENCY,
        "required": False,
    },
    {
        "kind": Kind.LONG_TEXT,
        "title": "My primary objective",
        "per_party": True,
        "purpose": Purpose.PRIMARY_OBJECTIVE,
        "required": False,
    },
]


def _save(agreement, user, title, **data):
    item = AgreementItem.objects.get(
        organization=agreement.organization, template=agreement.template, title=title
    )
    query = QueryDict(mutable=True)
    query.update(data)
    row = agreement.values.filter(item=item, party=user if item.per_party else None).first()
    value_save(
        agreement=agreement,
        item=item,
        actor=Actor(user=user),
        value=fields.parse(item, query),
        seen_revision=row.revision if row else 0,
    )


def agreement_make(pair, *, objectives=None, reporting=None, signed=True):
    """The pair's agreement with each person's objective and the reporting frequency
    ("weekly", "monthly"...), signed by everyone unless `signed` is False."""
    org = pair.program.organization
    with scope(organization=org):
        template = template_make(pair.program, items=AGREEMENT_ITEMS)
        agreement = agreement_create(match=pair.match, template=template)
        for user, text in (objectives or {}).items():
            _save(agreement, user, "My primary objective", value=text)
        if reporting:
            _save(agreement, pair.me, "How often we report", every=reporting)
        if signed:
            for user in pair.people:
                sign(
                    agreement=agreement,
                    actor=Actor(user=user),
                    typed_name="Signer Name",
                    consent=True,
                    intent=True,
                    seen_sha256=canonical_text(agreement)[1],
                    quiet=True,
                )
        agreement.refresh_from_db()
    return agreement


def plan_url(org, program):
    return reverse("sessions:plan", kwargs={"org_slug": org.slug, "pk": program.pk})


def goal_url(name, org, goal, **extra):
    return reverse(f"sessions:{name}", kwargs={"org_slug": org.slug, "pk": goal.pk, **extra})


def partner_plan_url(org, match, user):
    return reverse(
        "sessions:partner_plan",
        kwargs={"org_slug": org.slug, "pk": match.pk, "user_pk": user.pk},
    )


def goal_make(org, program, user, title="Delegate the weekly report", **kwargs):
    with scope(organization=org):
        plan = services.plan_ensure(organization=org, program=program, user=user)
        return services.goal_create(plan=plan, title=title, **kwargs)


def snapshot(org):
    with scope(organization=org):
        return (
            list(Plan.objects.values()),
            list(Goal.objects.values()),
            list(GoalStep.objects.values()),
            list(GoalUpdate.objects.values()),
        )


# --- The objective, prefilled ------------------------------------------------------------


def test_objective_is_prefilled_from_the_signed_agreement_and_stored_at_creation(
    org, pair, client_for
):
    agreement_make(pair, objectives={pair.me: "Delegate more", pair.partner: "Speak up"})
    client = client_for(pair.me)

    page = client.get(plan_url(org, pair.program))

    assert page.status_code == 200
    assert "Delegate more" in page.content.decode()
    assert "Speak up" not in page.content.decode()  # the partner's objective is theirs
    assert "comes from your signed agreement" in page.content.decode()
    with scope(organization=org):
        assert not Plan.objects.exists()  # a look writes nothing

    response = client.post(
        reverse("sessions:goal_create", kwargs={"org_slug": org.slug, "pk": pair.program.pk}),
        {"title": "Hand over the budget", "status": "not_started"},
    )

    assert response.status_code == 302
    with scope(organization=org):
        plan = Plan.objects.get(user=pair.me, program=pair.program)
    assert plan.primary_objective == "Delegate more"


def test_the_objective_is_the_persons_once_saved(org, pair, client_for):
    agreement_make(pair, objectives={pair.me: "Delegate more"})
    client = client_for(pair.me)

    response = client.post(plan_url(org, pair.program), {"primary_objective": "Coach my team"})

    assert response.status_code == 302
    with scope(organization=org):
        assert Plan.objects.get(user=pair.me).primary_objective == "Coach my team"
    page = client.get(plan_url(org, pair.program)).content.decode()
    assert "Coach my team" in page and "Delegate more" not in page
    assert "comes from your signed agreement" not in page


@pytest.mark.parametrize("signed", [False, None], ids=["unsigned agreement", "no agreement"])
def test_no_signed_agreement_prefills_nothing(org, pair, client_for, signed):
    if signed is not None:
        agreement_make(pair, objectives={pair.me: "Draft objective"}, signed=False)
    client = client_for(pair.me)

    page = client.get(plan_url(org, pair.program)).content.decode()

    assert "Draft objective" not in page
    client.post(plan_url(org, pair.program), {"primary_objective": ""})
    with scope(organization=org):
        assert Plan.objects.get(user=pair.me).primary_objective == ""


def test_plan_ensure_is_idempotent(org, pair):
    with scope(organization=org):
        first = services.plan_ensure(
            organization=org, program=pair.program, user=pair.me, prefill="A"
        )
        again = services.plan_ensure(
            organization=org, program=pair.program, user=pair.me, prefill="B"
        )
        assert first.pk == again.pk
        assert Plan.objects.get().primary_objective == "A"


# --- Goals, steps, updates ---------------------------------------------------------------


def test_goal_lifecycle_steps_and_updates(org, pair, client_for):
    client = client_for(pair.me)
    create = reverse("sessions:goal_create", kwargs={"org_slug": org.slug, "pk": pair.program.pk})

    response = client.post(
        create,
        {
            "title": "Give feedback weekly",
            "description": "My team hears from me every Friday",
            "target_date": "2031-03-01",
            "status": "not_started",
        },
    )
    assert response.status_code == 302
    with scope(organization=org):
        goal = Goal.objects.get()
    assert goal.target_date == date(2031, 3, 1)
    assert response["Location"].endswith(f"#goal-{goal.pk}")

    # A step, plain POST, then ticked over HTMX and unticked without it.
    response = client.post(
        goal_url("goal_step_add", org, goal), {"text": "Block Friday 4pm", "due_date": ""}
    )
    assert response.status_code == 302
    with scope(organization=org):
        step = GoalStep.objects.get()
    toggle = goal_url("goal_step_toggle", org, goal, step_pk=step.pk)
    response = client.post(toggle, {"done": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert f'id="step-{step.pk}"' in response.content.decode()
    assert "<html" not in response.content.decode()  # the fragment only
    step.refresh_from_db()
    done_at = step.done_at
    assert done_at is not None
    client.post(toggle, {"done": "1"}, HTTP_HX_REQUEST="true")  # a double click
    step.refresh_from_db()
    assert step.done_at == done_at
    assert client.post(toggle, {"done": "0"}).status_code == 302
    step.refresh_from_db()
    assert step.done_at is None

    # An update without a status keeps it; one with a status moves the goal.
    update = goal_url("goal_update", org, goal)
    client.post(update, {"body": "Did it twice", "status": ""})
    goal.refresh_from_db()
    assert goal.status == Goal.Status.NOT_STARTED
    client.post(update, {"body": "A habit now", "status": "achieved"})
    goal.refresh_from_db()
    assert goal.status == Goal.Status.ACHIEVED
    with scope(organization=org):
        assert list(GoalUpdate.objects.order_by("id").values_list("body", "status")) == [
            ("Did it twice", ""),
            ("A habit now", "achieved"),
        ]
    history = client.get(update).content.decode()
    assert "Did it twice" in history and "A habit now" in history

    # No delete: dropping is an edit, and the history says when.
    response = client.post(
        goal_url("goal_edit", org, goal),
        {
            "title": "Give feedback weekly",
            "description": "",
            "target_date": "",
            "status": "dropped",
        },
    )
    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.status == Goal.Status.DROPPED and goal.target_date is None
    with scope(organization=org):
        assert GoalUpdate.objects.filter(goal=goal, status="dropped").count() == 1


def test_the_plan_shows_goals_by_target_date(org, pair, client_for):
    goal_make(org, pair.program, pair.me, "Undated goal")
    goal_make(org, pair.program, pair.me, "Later goal", target_date=date(2031, 6, 1))
    goal_make(org, pair.program, pair.me, "Sooner goal", target_date=date(2031, 1, 1))

    page = client_for(pair.me).get(plan_url(org, pair.program)).content.decode()

    positions = [page.index(t) for t in ("Sooner goal", "Later goal", "Undated goal")]
    assert positions == sorted(positions)


def test_htmx_step_add_answers_the_steps_fragment(org, pair, client_for):
    goal = goal_make(org, pair.program, pair.me)
    client = client_for(pair.me)

    ok = client.post(
        goal_url("goal_step_add", org, goal), {"text": "Ask Ana"}, HTTP_HX_REQUEST="true"
    )
    bad = client.post(goal_url("goal_step_add", org, goal), {"text": " "}, HTTP_HX_REQUEST="true")

    assert ok.status_code == 200 and "Ask Ana" in ok.content.decode()
    assert f'id="steps-{goal.pk}"' in ok.content.decode()
    # htmx swaps only 2xx answers: the error comes back as 200 so it shows in place.
    assert bad.status_code == 200 and "required" in bad.content.decode()
    with scope(organization=org):
        assert GoalStep.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("goal_create", {"title": "x" * 301, "status": "not_started"}),
        ("goal_create", {"title": "Fine", "status": "not_started", "target_date": "someday"}),
        ("goal_create", {"title": "Fine", "status": "finished"}),
        ("goal_create", {"title": "Fine\x00", "status": "not_started"}),
        ("plan", {"primary_objective": "x" * 5001}),
        ("goal_edit", {"title": "", "status": "achieved"}),
        ("goal_update", {"body": "y" * 5001, "status": "achieved"}),
        ("goal_update", {"body": "Fine", "status": "won"}),
    ],
)
def test_bad_input_is_explained_and_writes_nothing(org, pair, client_for, name, data):
    goal = goal_make(org, pair.program, pair.me)
    kwargs = {"org_slug": org.slug}
    kwargs["pk"] = pair.program.pk if name in ("plan", "goal_create") else goal.pk
    before = snapshot(org)

    response = client_for(pair.me).post(reverse(f"sessions:{name}", kwargs=kwargs), data)

    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode() or "alert" in response.content.decode()
    assert snapshot(org) == before


def test_bad_step_without_javascript_comes_back_as_a_message(org, pair, client_for):
    goal = goal_make(org, pair.program, pair.me)
    client = client_for(pair.me)
    before = snapshot(org)

    response = client.post(
        goal_url("goal_step_add", org, goal), {"text": "z" * 501, "due_date": "31/02"}, follow=True
    )

    assert response.status_code == 200
    assert "The step was not added" in response.content.decode()
    assert snapshot(org) == before


def test_unknown_step_or_goal_is_404(org, pair, client_for):
    goal = goal_make(org, pair.program, pair.me)
    other = goal_make(org, pair.program, pair.me, "Second")
    with scope(organization=org):
        step = services.goal_step_add(goal=other, text="Elsewhere")
    client = client_for(pair.me)

    assert client.post(goal_url("goal_step_toggle", org, goal, step_pk=step.pk)).status_code == 404
    assert client.get(goal_url("goal_edit", org, Goal(pk=2**62))).status_code == 404


def test_a_closed_program_makes_the_plan_read_only(org, pair, client_for):
    goal = goal_make(org, pair.program, pair.me)
    with scope(organization=org):
        Program.objects.filter(pk=pair.program.pk).update(status=Program.Status.CLOSED)
    client = client_for(pair.me)
    before = snapshot(org)

    page = client.get(plan_url(org, pair.program))
    create = client.post(
        reverse("sessions:goal_create", kwargs={"org_slug": org.slug, "pk": pair.program.pk}),
        {"title": "Late goal", "status": "not_started"},
        follow=True,
    )
    update = client.post(goal_url("goal_update", org, goal), {"body": "Late"}, follow=True)
    step = client.post(
        goal_url("goal_step_add", org, goal), {"text": "Late step"}, HTTP_HX_REQUEST="true"
    )

    assert page.status_code == 200 and "read-only" in page.content.decode()
    assert goal.title in page.content.decode()
    assert "has closed" in create.content.decode() and "has closed" in update.content.decode()
    assert step["HX-Redirect"] == plan_url(org, pair.program)
    assert snapshot(org) == before


# --- Who writes, who reads ---------------------------------------------------------------


def test_only_the_owner_writes(org, pair, client_for, coordinator, stranger):
    goal = goal_make(org, pair.program, pair.me)
    with scope(organization=org):
        step = services.goal_step_add(goal=goal, text="First step")
    attempts = [
        ("goal_edit", {}, {"title": "Hijacked", "status": "dropped"}),
        ("goal_step_add", {}, {"text": "Injected step"}),
        ("goal_step_toggle", {"step_pk": step.pk}, {"done": "1"}),
        ("goal_update", {}, {"body": "Injected update", "status": "achieved"}),
    ]
    before = snapshot(org)
    for user in (pair.partner, coordinator, stranger):
        client = client_for(user)
        for name, extra, data in attempts:
            response = client.post(goal_url(name, org, goal, **extra), data)
            assert response.status_code == 404, (user.email, name)
        assert client.get(goal_url("goal_edit", org, goal)).status_code == 404
        assert client.get(goal_url("goal_update", org, goal)).status_code == 404
    assert snapshot(org) == before


def test_the_partner_reads_the_plan_without_write_controls(org, pair, client_for):
    agreement_make(pair, objectives={pair.me: "Delegate more"})
    client_for(pair.me).post(
        reverse("sessions:goal_create", kwargs={"org_slug": org.slug, "pk": pair.program.pk}),
        {"title": "Lead the retro", "target_date": "2031-02-02", "status": "not_started"},
    )
    with scope(organization=org):
        goal = Goal.objects.get()
        services.goal_step_add(goal=goal, text="Draft an agenda")
        services.goal_update_add(goal=goal, author=pair.me, body="Ran the first one")
    url = partner_plan_url(org, pair.match, pair.me)

    page = client_for(pair.partner).get(url)

    body = page.content.decode()
    assert page.status_code == 200
    for text in ("Delegate more", "Lead the retro", "Draft an agenda", "Ran the first one"):
        assert text in body
    # No form in the page's own content (the person menu's language switcher is one).
    main = body[body.index("<main") : body.index("</main>")]
    assert 'method="post"' not in main
    assert goal_url("goal_edit", org, goal) not in body


def test_a_former_partner_still_reads_the_plan(org, pair, client_for):
    goal_make(org, pair.program, pair.me, "Lead the retro")
    with scope(organization=org):
        Match.objects.filter(pk=pair.match.pk).update(status=Match.Status.ENDED)
        MatchMember.objects.filter(match=pair.match).update(is_current=False)

    page = client_for(pair.partner).get(partner_plan_url(org, pair.match, pair.me))

    assert page.status_code == 200 and "Lead the retro" in page.content.decode()


def test_nobody_else_reads_a_plan(
    org, pair, client_for, coordinator, stranger, other_participant, other_coordinator
):
    goal_make(org, pair.program, pair.me, "Lead the retro")
    other_pair = pair_make(org, stranger)
    url = partner_plan_url(org, pair.match, pair.me)

    for user in (coordinator, stranger, other_participant, other_coordinator):
        client = client_for(user)
        assert client.get(url).status_code == 404, user.email
        assert client.get(plan_url(org, pair.program)).status_code == 404, user.email
    # Someone's own pair does not open another pair's member.
    client = client_for(stranger)
    wrong = reverse(
        "sessions:partner_plan",
        kwargs={"org_slug": org.slug, "pk": other_pair.match.pk, "user_pk": pair.me.pk},
    )
    assert client.get(wrong).status_code == 404
    # A foreign organisation's URL with our ids.
    client = client_for(other_participant)
    foreign = reverse(
        "sessions:partner_plan",
        kwargs={"org_slug": "globex", "pk": pair.match.pk, "user_pk": pair.me.pk},
    )
    assert client.get(foreign).status_code == 404


def test_my_own_member_page_leads_to_my_plan(org, pair, client_for):
    response = client_for(pair.me).get(partner_plan_url(org, pair.match, pair.me))

    assert response.status_code == 302
    assert response["Location"] == plan_url(org, pair.program)


def test_the_plan_is_per_program(org, pair, client_for):
    goal_make(org, pair.program, pair.me, "Goal in the first program")
    second = pair_make(org, pair.me)

    page = client_for(pair.me).get(plan_url(org, second.program)).content.decode()

    assert "Goal in the first program" not in page


# --- Selectors for other pages -----------------------------------------------------------


def test_goals_for_the_home_page_and_counts_for_the_team(
    org, pair, django_assert_num_queries, in_scope
):
    open_goal = goal_make(org, pair.program, pair.me, "Open goal")
    goal_make(org, pair.program, pair.me, "Done goal", status=Goal.Status.ACHIEVED)
    goal_make(org, pair.program, pair.partner, "Partner goal")
    services.goal_step_add(goal=open_goal, text="One")
    step = services.goal_step_add(goal=open_goal, text="Two")
    services.goal_step_toggle(step=step)
    second = pair_make(org, pair.me)
    goal_make(org, second.program, pair.me, "Second program goal")

    with django_assert_num_queries(1):
        found = goals_for(
            organization=org, user=pair.me, program_ids=[pair.program.pk, second.program.pk]
        )

    assert [g.title for g in found[pair.program.pk]] == ["Open goal"]
    assert (found[pair.program.pk][0].steps_total, found[pair.program.pk][0].steps_done) == (2, 1)
    assert [g.title for g in found[second.program.pk]] == ["Second program goal"]
    assert goal_counts(organization=org, program=pair.program) == {
        pair.me.pk: {"not_started": 1, "achieved": 1},
        pair.partner.pk: {"not_started": 1},
    }


# --- Query counts ------------------------------------------------------------------------


def _grow_goals(org, program, user, n):
    with scope(organization=org):
        plan = services.plan_ensure(organization=org, program=program, user=user)
        for i in range(Goal.objects.filter(plan=plan).count(), n):
            goal = services.goal_create(
                plan=plan, title=f"Goal {i}", target_date=date(2031, 1, 1) + timedelta(days=i)
            )
            for s in range(3):
                services.goal_step_add(goal=goal, text=f"Step {s}")
            for u in range(4):
                services.goal_update_add(goal=goal, author=user, body=f"Update {u}")


@pytest.mark.parametrize("who", ["owner", "partner"])
def test_plan_page_queries_do_not_grow_with_goals(org, pair, client_for, who):
    agreement_make(pair, objectives={pair.me: "Delegate more"})
    if who == "owner":
        url, client = plan_url(org, pair.program), client_for(pair.me)
    else:
        url, client = partner_plan_url(org, pair.match, pair.me), client_for(pair.partner)
    _grow_goals(org, pair.program, pair.me, 1)
    small, _ = count_queries(client, url)
    _grow_goals(org, pair.program, pair.me, 20)
    large, response = count_queries(client, url)

    assert response.content.decode().count('data-testid="goal"') == 20
    assert len(large) == len(small), describe(large)
    assert len(large) <= 20, describe(large)


def test_a_circle_member_reads_every_plan_in_the_circle(org, participant, client_for):
    circle = pair_make(org, participant, format=Program.Format.CIRCLE, size=3)
    goal_make(org, circle.program, circle.people[2], "Third member goal")

    page = client_for(participant).get(partner_plan_url(org, circle.match, circle.people[2]))

    assert page.status_code == 200 and "Third member goal" in page.content.decode()


def test_plan_page_for_someone_never_matched_in_the_program(org, pair, client_for):
    outsider = person(org, "outsider@acme.example.org")
    assert client_for(outsider).get(plan_url(org, pair.program)).status_code == 404
