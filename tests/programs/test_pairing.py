"""Pairing in the database: runs, the coordinator's edits, publishing, ending, re-pairing."""

from datetime import timedelta
from itertools import combinations

import pytest
from django.core import mail
from django.urls import reverse
from django_scopes import scope

from programs.models import Application, Match, MatchingRun, MatchMember, PairingExclusion, Program
from programs.services import pairing as services
from programs.services import proposals
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    ProgramFactory,
    QuestionFactory,
    UserFactory,
    match_make,
)

pytestmark = pytest.mark.django_db

GROUPS = ["Networking", "Security", "Service desk"]


def people(org, n, prefix="p"):
    with scope(organization=org):
        users = [UserFactory(email=f"{prefix}{i:02}@acme.example.org") for i in range(n)]
        for user in users:
            MembershipFactory(organization=org, user=user)
    return users


def program_with_applicants(org, users, *, format=Program.Format.RECIPROCAL, groups=None, **kw):
    """An open program with a group question and one accepted application per user."""
    groups = groups or [GROUPS[i % len(GROUPS)] for i in range(len(users))]
    with scope(organization=org):
        program = ProgramFactory(organization=org, format=format, **kw)
        group_q = QuestionFactory(
            program=program, kind="group", label="Department", options=sorted(set(groups))
        )
        trait = QuestionFactory(program=program, kind="trait", label="Pace", trait_rule="similar")
        for i, (user, group) in enumerate(zip(users, groups, strict=True)):
            ApplicationFactory(
                program=program,
                user=user,
                group=group,
                answers={group_q.key: group, trait.key: 1 + i % 5},
            )
    return program


def run(program, commit):
    """Start a run; the task runs (eagerly) when the block's on-commit callbacks fire."""
    with scope(organization=program.organization), commit():
        started = services.matching_run_start(program=program, started_by=None)
    with scope(organization=program.organization):
        return MatchingRun.objects.get(pk=started.pk)


def current_groups(program, status=Match.Status.PROPOSED):
    with scope(organization=program.organization):
        return [
            sorted(m.members.values_list("user__email", flat=True))
            for m in Match.objects.filter(program=program, status=status).order_by("id")
        ]


def test_a_run_pairs_everyone_across_groups(org, commit):
    users = people(org, 6)
    program = program_with_applicants(org, users)
    finished = run(program, commit)
    assert finished.status == MatchingRun.Status.DONE and finished.progress == 100
    groups = current_groups(program)
    assert len(groups) == 3
    with scope(organization=org):
        group_of = dict(Application.objects.values_list("user__email", "group"))
        program.refresh_from_db()
    assert program.status == Program.Status.MATCHING
    for pair in groups:
        assert group_of[pair[0]] != group_of[pair[1]]
    with scope(organization=org):
        match = Match.objects.filter(program=program).first()
    assert match.score == sum(c["points"] for c in match.explanation)
    # The form asks only a group and a trait question: only traits count.
    assert {c["key"] for c in match.explanation} == {"traits"}


def test_previous_partners_from_any_term_are_never_paired_again(org, commit):
    a, b, c, d = people(org, 4)
    earlier = program_with_applicants(org, [a, b, c, d])
    with scope(organization=org):
        match_make(program=earlier, users=[a, b], status=Match.Status.ENDED)
        match_make(program=earlier, users=[c, d], status=Match.Status.ENDED)
    # Next term, the same four, in groups that would otherwise allow any pair.
    program = program_with_applicants(org, [a, b, c, d], groups=["X", "Y", "Z", "W"])
    run(program, commit)
    pairs = {frozenset(p) for p in current_groups(program)}
    assert frozenset({a.email, b.email}) not in pairs
    assert frozenset({c.email, d.email}) not in pairs
    assert len(pairs) == 2


def test_never_together_and_unmatched_reason(org, commit, coordinator):
    a, b = people(org, 2)
    program = program_with_applicants(org, [a, b], groups=["X", "Y"])
    with scope(organization=org):
        proposals.exclusion_create(
            organization=org, first_user_id=b.pk, second_user_id=a.pk, created_by=coordinator
        )
    finished = run(program, commit)
    assert current_groups(program) == []
    reasons = {row["application"]: row["reason"] for row in finished.unmatched}
    assert len(reasons) == 2 and all("No possible partner" in r for r in reasons.values())


def test_locked_and_hand_made_pairs_survive_a_new_run(org, commit):
    users = people(org, 6)
    program = program_with_applicants(org, users)
    run(program, commit)
    with scope(organization=org):
        first = Match.objects.filter(program=program).order_by("id").first()
        proposals.match_lock(program=program, match_id=first.pk, locked=True)
        kept = sorted(first.members.values_list("user__email", flat=True))
    run(program, commit)
    assert kept in current_groups(program)
    with scope(organization=org):
        assert Match.objects.filter(program=program).count() == 3


def slots_of(program):
    with scope(organization=program.organization):
        return [
            [("member", m.match_id, m.application_id) for m in match.members.order_by("position")]
            for match in Match.objects.filter(program=program, status="proposed").order_by("id")
        ]


def test_swap_between_pairs_rescores_both(org, commit):
    users = people(org, 4)
    program = program_with_applicants(org, users, groups=["X", "Y", "Z", "W"])
    run(program, commit)
    (a1, a2), (b1, b2) = slots_of(program)
    with scope(organization=org):
        changed = proposals.proposal_swap(program=program, first=a1, second=b1)
        assert len(changed) == 2
        for match in changed:
            match.refresh_from_db()
            assert match.score == sum(c["points"] for c in match.explanation)
        moved = Application.objects.get(pk=a1[2]).user.email
        assert moved in [e for g in current_groups(program) for e in g]
        pair_b = Match.objects.get(pk=b1[1])
        assert moved in pair_b.members.values_list("user__email", flat=True)


def test_a_swap_that_breaks_a_hard_rule_changes_nothing(org, commit):
    users = people(org, 4)
    # Groups X, X, Y, Y: the only pairs allowed are across X and Y.
    program = program_with_applicants(org, users, groups=["X", "X", "Y", "Y"])
    run(program, commit)
    before = current_groups(program)
    pair_a, pair_b = slots_of(program)
    with scope(organization=org):
        group = dict(Application.objects.values_list("pk", "group"))
        # Each pair is one X and one Y: moving A's Y into B puts B's X with A's X.
        a_y = next(s for s in pair_a if group[s[2]] == "Y")
        b_x = next(s for s in pair_b if group[s[2]] == "X")
        first, second = a_y, b_x
        with pytest.raises(
            services.PairingError, match="both in X; partners must come from different groups"
        ):
            proposals.proposal_swap(program=program, first=first, second=second)
    assert current_groups(program) == before


def test_pair_by_hand_add_to_a_trio_and_remove(org, commit):
    users = people(org, 5)
    program = program_with_applicants(org, users, groups=["A", "B", "C", "D", "E"])
    finished = run(program, commit)
    assert len(finished.unmatched) == 1  # five people: one waits
    waiting = finished.unmatched[0]["application"]
    (m1, _m2), _other = slots_of(program)
    with scope(organization=org):
        trio = proposals.proposal_add(program=program, match_id=m1[1], application_id=waiting)
        assert trio.members.count() == 3 and trio.locked
        assert trio.score == sum(c["points"] for c in trio.explanation)
        proposals.proposal_remove(program=program, match_id=trio.pk, application_id=waiting)
        assert trio.members.count() == 2
        # Two waiting people paired by hand.
        (x, y), _ = slots_of(program)
        proposals.proposal_remove(program=program, match_id=x[1], application_id=x[2])
        made = proposals.proposal_swap(
            program=program, first=("pool", x[2]), second=("pool", waiting)
        )
        assert made[0].manual and made[0].locked


def test_nobody_sits_in_two_current_matches(org):
    a, b, c = people(org, 3)
    program = program_with_applicants(org, [a, b, c])
    from django.db import IntegrityError, transaction

    with scope(organization=org):
        match_make(program=program, users=[a, b])
        with pytest.raises(IntegrityError), transaction.atomic():
            match_make(program=program, users=[a, c])


def test_publish_emails_every_member_once_and_participants_see_partners(org, commit, client_for):
    users = people(org, 4)
    program = program_with_applicants(org, users, groups=["X", "Y", "Z", "W"])
    run(program, commit)
    mail.outbox.clear()
    with scope(organization=org), commit():
        assert proposals.proposal_publish(program=program, published_by=None) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)
    with scope(organization=org), pytest.raises(services.PairingError, match="nothing to publish"):
        proposals.proposal_publish(program=program, published_by=None)
    assert len(mail.outbox) == 4
    with scope(organization=org):
        program.refresh_from_db()
        assert program.status == Program.Status.RUNNING
        match = Match.objects.filter(program=program, members__user=users[0]).get()
        partner = match.members.exclude(user=users[0]).get().user
    assert partner.display_name in mail.outbox[0].body or any(
        partner.email in m.body for m in mail.outbox if m.to == [users[0].email]
    )
    page = client_for(users[0]).get(
        reverse("programs:detail", kwargs={"org_slug": org.slug, "pk": program.pk})
    )
    assert partner.email in page.content.decode()


def test_re_pairing_after_an_ending_excludes_the_old_partner(org, commit, coordinator):
    users = people(org, 4)
    program = program_with_applicants(org, users, groups=["X", "Y", "Z", "W"])
    run(program, commit)
    with scope(organization=org), commit():
        proposals.proposal_publish(program=program, published_by=coordinator)
        ended = Match.objects.filter(program=program).order_by("id").first()
        old = set(ended.members.values_list("user__email", flat=True))
        proposals.match_end(match=ended, ended_by=coordinator, reason="Written notice")
        other = Match.objects.filter(program=program, status="active").get()
        proposals.match_end(match=other, ended_by=coordinator, reason="Written notice")
        assert MatchMember.objects.filter(program=program, is_current=True).count() == 0
    run(program, commit)
    new_pairs = current_groups(program)
    assert len(new_pairs) == 2
    assert set(new_pairs[0]) != old and set(new_pairs[1]) != old
    with scope(organization=org):
        assert Match.objects.filter(program=program, status="ended").count() == 2


def test_a_second_run_is_refused_while_one_is_queued(org):
    users = people(org, 2)
    program = program_with_applicants(org, users, groups=["X", "Y"])
    with scope(organization=org):
        # Outside `commit()` the task never runs: the first run stays queued.
        services.matching_run_start(program=program, started_by=None)
        with pytest.raises(services.PairingError, match="already in progress"):
            services.matching_run_start(program=program, started_by=None)


def test_a_run_the_broker_refused_is_queued_again_by_the_sweep(org, commit, broker_down):
    from programs.tasks import matching_runs_sweep

    users = people(org, 4)
    program = program_with_applicants(org, users, groups=["X", "Y", "Z", "W"])
    started = run(program, commit)  # no error: the run is committed, its task refused
    assert started.status == "queued" and broker_down.refused == 1
    broker_down.restore()
    assert matching_runs_sweep() == 0  # a run just queued may still be on its way
    with scope(organization=org):
        MatchingRun.objects.filter(pk=started.pk).update(
            created_at=started.created_at - timedelta(minutes=3)
        )
    assert matching_runs_sweep() == 1
    with scope(organization=org):
        assert MatchingRun.objects.get(pk=started.pk).status == "done"
    assert len(current_groups(program)) == 2
    assert matching_runs_sweep() == 0


def test_running_a_finished_run_again_changes_nothing(org, commit):
    users = people(org, 4)
    program = program_with_applicants(org, users, groups=["X", "Y", "Z", "W"])
    finished = run(program, commit)
    before = current_groups(program)
    with scope(organization=org):
        services.matching_run_execute(run=finished)
        assert MatchingRun.objects.get(pk=finished.pk).status == "done"
    assert current_groups(program) == before


def test_circles_have_equal_sizes_and_respect_groups(org, commit):
    users = people(org, 13)
    program = program_with_applicants(
        org,
        users,
        format=Program.Format.CIRCLE,
        circle_size=4,
        groups=[f"G{i % 5}" for i in range(13)],
    )
    run(program, commit)
    circles = current_groups(program)
    sizes = sorted(len(c) for c in circles)
    assert sum(sizes) == 13 and sizes[-1] - sizes[0] <= 1 and sizes[0] >= 3
    with scope(organization=org):
        group_of = dict(Application.objects.values_list("user__email", "group"))
    for circle in circles:
        for x, y in combinations(circle, 2):
            assert group_of[x] != group_of[y]


# --- Views ----------------------------------------------------------------------------


def test_pages_run_edit_with_htmx_and_publish(org, coordinator, client_for, commit):
    users = people(org, 4)
    program = program_with_applicants(org, users, groups=["X", "Y", "Z", "W"])
    client = client_for(coordinator)
    kwargs = {"org_slug": org.slug, "pk": program.pk}

    with commit():
        response = client.post(reverse("programs:pairing_run", kwargs=kwargs))
    assert response.status_code == 302
    page = client.get(reverse("programs:pairing", kwargs=kwargs)).content.decode()
    assert 'data-testid="last-run"' in page and page.count('data-testid="proposal-card"') == 2

    (a1, _a2), (b1, _b2) = slots_of(program)
    response = client.post(
        reverse("programs:pairing_edit", kwargs=kwargs),
        {"action": "swap", "slot": [f"m:{a1[1]}:{a1[2]}", f"m:{b1[1]}:{b1[2]}"]},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    fragment = response.content.decode()
    assert "Done: the scores were recalculated" in fragment
    # Only the proposal: a whole page would carry a <style> whose nonce the page refuses.
    assert fragment.lstrip().startswith('<div id="proposal">') and "<html" not in fragment

    bad = client.post(
        reverse("programs:pairing_edit", kwargs=kwargs),
        {"action": "swap", "slot": [f"m:{a1[1]}:{a1[2]}"]},
        headers={"HX-Request": "true"},
    )
    assert "Select exactly two people" in bad.content.decode()

    response = client.post(reverse("programs:pairing_publish", kwargs=kwargs))
    assert response.status_code == 302
    listing = client.get(reverse("programs:matches", kwargs=kwargs)).content.decode()
    assert listing.count('data-testid="active-match"') == 2


def test_never_together_from_the_page(org, coordinator, client_for):
    users = people(org, 2)
    program = program_with_applicants(org, users, groups=["X", "Y"])
    with scope(organization=org):
        ids = list(Application.objects.filter(program=program).values_list("pk", flat=True))
    client_for(coordinator).post(
        reverse("programs:pairing_exclude", kwargs={"org_slug": org.slug, "pk": program.pk}),
        {"slot": [f"p:{i}" for i in ids]},
    )
    with scope(organization=org):
        assert PairingExclusion.objects.count() == 1


def test_wait_list_waiting_people_from_the_pairing_page(org, coordinator, client_for, commit):
    users = people(org, 3)
    program = program_with_applicants(org, users, groups=["X", "Y", "Z"])
    with scope(organization=org):
        ids = list(Application.objects.filter(program=program).values_list("pk", flat=True))
    url = reverse("programs:pairing_edit", kwargs={"org_slug": org.slug, "pk": program.pk})
    with commit():
        client_for(coordinator).post(url, {"action": "waitlist", "slot": [f"p:{ids[0]}"]})
    with scope(organization=org):
        assert Application.objects.get(pk=ids[0]).status == Application.Status.WAITLISTED
    assert [m.to for m in mail.outbox] == [[users[0].email]]
    assert "waiting list" in mail.outbox[0].subject


def test_a_hand_edit_scores_seniority_on_the_whole_level_list(org, commit):
    """A swapped pair is scored against all the program's levels, as the run scored it."""
    users = people(org, 4)
    program = program_with_applicants(org, users, groups=["X", "Y", "Z", "W"])
    with scope(organization=org):
        levels = QuestionFactory(
            program=program,
            kind="role_level",
            label="Level",
            options=["Director", "Manager", "Lead", "Individual contributor"],
        )
        for application, level in zip(
            Application.objects.filter(program=program).order_by("id"),
            ["Director", "Manager", "Manager", "Lead"],
            strict=True,
        ):
            application.answers[levels.key] = level
            application.role_level = level
            application.save()
        rules = services.rules_for(program, services._questions(program))
    assert rules.role_levels == 4
    run(program, commit)
    with scope(organization=org):
        for match in Match.objects.filter(program=program):
            applications = [m.application for m in match.members.order_by("position")]
            score, _components, _warnings = proposals._group_check(program, applications)
            assert score == match.score


# --- Failures and races ---------------------------------------------------------------


def test_a_matcher_error_fails_the_run_and_the_page_says_so(
    org, coordinator, client_for, commit, monkeypatch
):
    from programs import matching

    users = people(org, 4)
    program = program_with_applicants(org, users, groups=["X", "Y", "Z", "W"])

    def broken(*args, **kwargs):
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(matching, "propose", broken)
    kwargs = {"org_slug": org.slug, "pk": program.pk}
    with commit():
        response = client_for(coordinator).post(reverse("programs:pairing_run", kwargs=kwargs))
    assert response.status_code == 302
    with scope(organization=org):
        run_row = MatchingRun.objects.get(program=program)
    assert (run_row.status, run_row.error) == ("failed", "Matching failed: RuntimeError")
    page = client_for(coordinator).get(reverse("programs:pairing", kwargs=kwargs))
    assert b"Matching failed: RuntimeError" in page.content


def test_answers_that_no_longer_fit_a_changed_trait_count_as_unanswered(org, commit):
    users = people(org, 4)
    program = program_with_applicants(org, users, groups=["X", "Y", "Z", "W"])
    with scope(organization=org):
        trait = QuestionFactory(
            program=program, kind="trait", label="Mood", options=["Calm", "Lively"]
        )
        for application in Application.objects.filter(program=program):
            application.answers[trait.key] = "Calm"
            application.save()
        # The coordinator turns the choice into a 1-5 scale after people answered.
        trait.options = []
        trait.save()
    finished = run(program, commit)
    assert finished.status == "done" and len(current_groups(program)) == 2


def test_draft_and_closed_programs_cannot_change_pairs(org, commit):
    a, b = people(org, 2)
    program = program_with_applicants(org, [a, b], groups=["X", "Y"])
    with scope(organization=org):
        ids = list(Application.objects.filter(program=program).values_list("pk", flat=True))
        match_make(program=program, users=[a, b])
        for status in (Program.Status.DRAFT, Program.Status.CLOSED):
            program.status = status
            program.save()
            with pytest.raises(services.PairingError, match="Draft and closed"):
                proposals.proposal_publish(program=program, published_by=None)
            with pytest.raises(services.PairingError, match="Draft and closed"):
                proposals.proposal_swap(
                    program=program, first=("pool", ids[0]), second=("pool", ids[1])
                )
        assert Match.objects.filter(program=program, status="proposed").count() == 1
    assert mail.outbox == []


def test_a_run_refuses_to_write_when_the_proposal_changed_meanwhile(org, commit, monkeypatch):
    from programs import matching

    users = people(org, 4)
    program = program_with_applicants(org, users, groups=["X", "Y", "Z", "W"])
    run(program, commit)
    with scope(organization=org):
        first = Match.objects.filter(program=program).order_by("id").first()
        proposals.match_lock(program=program, match_id=first.pk, locked=True)
    before = current_groups(program)
    real = matching.propose

    def unlock_meanwhile(candidates, rules, **kwargs):
        Match.objects.filter(pk=first.pk).update(locked=False)  # another tab, same moment
        return real(candidates, rules, **kwargs)

    monkeypatch.setattr(matching, "propose", unlock_meanwhile)
    finished = run(program, commit)
    assert finished.status == "failed" and "changed while matching ran" in finished.error
    assert current_groups(program) == before


def test_a_run_whose_worker_died_is_marked_failed_and_does_not_block(org, coordinator, client_for):
    from datetime import timedelta

    from django.utils import timezone

    users = people(org, 2)
    program = program_with_applicants(org, users, groups=["X", "Y"])
    with scope(organization=org):
        dead = MatchingRun.objects.create(organization=org, program=program, status="running")
        MatchingRun.objects.filter(pk=dead.pk).update(
            created_at=timezone.now() - timedelta(hours=1)
        )
    progress = client_for(coordinator).get(
        reverse(
            "programs:pairing_progress",
            kwargs={"org_slug": org.slug, "pk": program.pk, "run_pk": dead.pk},
        ),
        headers={"HX-Request": "true"},
    )
    assert b"stopped without finishing" in progress.content
    assert b"hx-trigger" not in progress.content and progress["HX-Refresh"] == "true"
    with scope(organization=org):
        services.matching_run_start(program=program, started_by=None)
        assert MatchingRun.objects.get(pk=dead.pk).status == "failed"


# --- Hand edits survive a new run (issue 15) ------------------------------------------


def paced_program(org, paces, **kw):
    """A reciprocal program with one "similar" pace trait, everyone in a group of their
    own: the best pairs are the people with equal paces, and nothing else matters."""
    users = people(org, len(paces), prefix="pace")
    with scope(organization=org):
        program = ProgramFactory(organization=org, format=Program.Format.RECIPROCAL, **kw)
        trait = QuestionFactory(program=program, kind="trait", label="Pace", trait_rule="similar")
        for user, pace in zip(users, paces, strict=True):
            ApplicationFactory(program=program, user=user, answers={trait.key: pace})
    return program, users


def test_a_swap_survives_a_new_run(org, commit):
    program, users = paced_program(org, [1, 1, 3, 3, 5, 5])
    run(program, commit)
    emails = [u.email for u in users]
    best = sorted([sorted(emails[0:2]), sorted(emails[2:4]), sorted(emails[4:6])])
    assert sorted(current_groups(program)) == best
    pair_a, pair_b, _ = slots_of(program)
    with scope(organization=org):
        changed = proposals.proposal_swap(program=program, first=pair_a[1], second=pair_b[0])
        assert all(Match.objects.get(pk=m.pk).locked for m in changed)
    swapped = sorted(current_groups(program))
    assert swapped != best
    finished = run(program, commit)
    assert finished.status == MatchingRun.Status.DONE
    assert sorted(current_groups(program)) == swapped


def test_two_people_split_by_hand_stay_apart_until_publish(org, commit):
    program, users = paced_program(org, [1, 1, 5, 5])
    run(program, commit)
    (first, second), (other, _) = slots_of(program)
    with scope(organization=org):
        proposals.match_lock(program=program, match_id=other[1], locked=True)
        proposals.proposal_remove(program=program, match_id=first[1], application_id=first[2])
        program.refresh_from_db()
        assert program.held_apart == [sorted([first[2], second[2]])]
    finished = run(program, commit)
    split = {first[2], second[2]}
    with scope(organization=org):
        together = [
            set(m.members.values_list("application_id", flat=True))
            for m in Match.objects.filter(program=program)
        ]
    assert split not in together
    assert {row["application"] for row in finished.unmatched} == split
    assert all("taken apart by hand" in row["reason"] for row in finished.unmatched)
    # Paired again by hand: the coordinator changed their mind, the hold is released.
    with scope(organization=org):
        proposals.proposal_swap(
            program=program, first=("pool", first[2]), second=("pool", second[2])
        )
        program.refresh_from_db()
        assert program.held_apart == []
        proposals.proposal_publish(program=program, published_by=None)
        program.refresh_from_db()
        assert program.held_apart == []


def test_an_unlocked_proposal_goes_back_to_the_next_run(org, commit):
    program, _users = paced_program(org, [1, 1, 3, 3])
    run(program, commit)
    pair_a, pair_b = slots_of(program)
    with scope(organization=org):
        changed = proposals.proposal_swap(program=program, first=pair_a[1], second=pair_b[0])
        for match in changed:
            proposals.match_lock(program=program, match_id=match.pk, locked=False)
    swapped = sorted(current_groups(program))
    run(program, commit)
    assert sorted(current_groups(program)) != swapped  # the run restored the best pairs


def test_previous_partners_rule_is_switchable(org, commit):
    a, b = people(org, 2, prefix="prev")
    with scope(organization=org):
        old = ProgramFactory(organization=org, status=Program.Status.RUNNING)
        match_make(program=old, users=[a, b], status=Match.Status.ENDED)
        program = ProgramFactory(organization=org, format=Program.Format.RECIPROCAL)
        for user in (a, b):
            ApplicationFactory(program=program, user=user)
    assert run(program, commit).unmatched  # "any program": never again
    for rule, paired in (("program", True), ("allow", True), ("any", False)):
        with scope(organization=org):
            Match.objects.filter(program=program).delete()
            Program.objects.filter(pk=program.pk).update(previous_partners=rule)
            program.refresh_from_db()
        finished = run(program, commit)
        assert (not finished.unmatched) is paired, rule


def test_an_htmx_edit_updates_the_publish_count_and_the_page_speaks_plainly(
    org, coordinator, client_for, commit
):
    program, _users = paced_program(org, [1, 1, 3, 3])
    client = client_for(coordinator)
    kwargs = {"org_slug": org.slug, "pk": program.pk}
    with commit():
        client.post(reverse("programs:pairing_run", kwargs=kwargs))
    page = client.get(reverse("programs:pairing", kwargs=kwargs)).content.decode()
    for engine in ("scipy", "linear_sum_assignment", "rustworkx", "blossom"):
        assert engine not in page
    assert "checked, no better pairing exists" in page
    assert "score 50 of 50" in page and "Publish 2 proposals" in page
    assert "Goals and strengths" not in page  # the form never asked about goals

    (first, _), _other = slots_of(program)
    response = client.post(
        reverse("programs:pairing_edit", kwargs=kwargs),
        {"action": "remove", "slot": [f"m:{first[1]}:{first[2]}"]},
        headers={"HX-Request": "true"},
    )
    fragment = response.content.decode()
    # The action bar comes along out of band, with the new count and the right plural.
    assert 'id="pairing-actions" hx-swap-oob="true"' in fragment
    assert "Publish 1 proposal<" in fragment
    assert "2 people waiting" in fragment and "held-apart" in fragment

    response = client.post(reverse("programs:pairing_publish", kwargs=kwargs), follow=True)
    assert "1 pair published; its members were emailed." in response.content.decode()


def test_fourteen_circle_applicants_in_three_groups_all_get_a_circle_or_a_reason(org, commit):
    groups = ["Networking"] * 5 + ["Security"] * 5 + ["Service desk"] * 4
    users = people(org, 14, prefix="circle")
    program = program_with_applicants(
        org, users, format=Program.Format.CIRCLE, groups=groups, different_group=False
    )
    finished = run(program, commit)
    assert finished.unmatched == []
    assert sorted(len(c) for c in current_groups(program)) == [4, 5, 5]

    with scope(organization=org):
        Match.objects.filter(program=program).delete()
        Program.objects.filter(pk=program.pk).update(different_group=True)
        program.refresh_from_db()
    finished = run(program, commit)
    # A circle holds one person per group: four circles of three, not three.
    assert sorted(len(c) for c in current_groups(program)) == [3, 3, 3, 3]
    assert len(finished.unmatched) == 2 and all(row["reason"] for row in finished.unmatched)


def test_a_same_extreme_pair_is_flagged_on_the_page(org, coordinator, client_for, commit):
    users = people(org, 2, prefix="extreme")
    with scope(organization=org):
        program = ProgramFactory(organization=org, format=Program.Format.RECIPROCAL)
        control = QuestionFactory(
            program=program, kind="trait", label="Control", trait_rule="avoid_both_extreme"
        )
        for user in users:
            ApplicationFactory(program=program, user=user, answers={control.key: 5})
    run(program, commit)  # the only pair possible: the rule gives way, and says so
    page = (
        client_for(coordinator)
        .get(reverse("programs:pairing", kwargs={"org_slug": org.slug, "pk": program.pk}))
        .content.decode()
    )
    assert page.count('data-testid="rule-warning"') == 1
    assert "both at the top of Control" in page and "gives way here" in page


def test_the_form_builder_explains_the_same_extreme_rule(org, coordinator, client_for):
    with scope(organization=org):
        program = ProgramFactory(organization=org)
        QuestionFactory(
            program=program, kind="trait", label="Control", trait_rule="avoid_both_extreme"
        )
    page = (
        client_for(coordinator)
        .get(reverse("programs:form", kwargs={"org_slug": org.slug, "pk": program.pk}))
        .content.decode()
    )
    assert "Never pair two people at the same extreme (a hard rule)" in page
    assert 'data-testid="extreme-rule"' in page


def test_a_new_circle_program_starts_without_the_different_groups_rule():
    from programs.forms.setup import ProgramForm

    assert ProgramForm(initial={"format": "circle"})["different_group"].value() is False
    assert ProgramForm(initial={"format": "circle"})["previous_partners"].value() == "program"
    assert ProgramForm(initial={"format": "reciprocal"})["different_group"].value() is True
