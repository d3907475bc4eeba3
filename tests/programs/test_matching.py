"""Property tests for the pure matcher (`programs.matching`): no database, no Django models.

Hard rules and bookkeeping are checked with assertions written here, independently of
`violations()`; scores against a reference written from the scoring rules with Fractions;
optimality against brute force (n <= 10) and networkx's blossom (a few hundred people).
"""

import math
import random
import subprocess
import sys
from fractions import Fraction
from functools import cache
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from programs.matching import (
    Candidate,
    Rules,
    TraitSpec,
    Weights,
    evaluate,
    greedy,
    propose,
    violations,
)
from programs.matching import pairs as pairs_module
from programs.matching.circles import circle_sizes
from programs.matching.scoring import Pool

# Pure functions: nothing here touches a database, so the SQLite run of CI covers it.
pytestmark = pytest.mark.backend_agnostic

ROOT = Path(__file__).resolve().parents[2]
KEYS = ["traits", "goals", "roles", "preferences", "seniority"]
TOPICS = ["Delegation", "Career mapping", "Feedback", "Networking"]
TRAIT_POOL = [
    TraitSpec("q1", "Pace of work", "similar"),
    TraitSpec("q2", "Need for control", "avoid_both_extreme"),
    TraitSpec("q3", "Attention to detail", "different"),
    TraitSpec(
        "q4", "Risk", "similar", kind="choice", low=0, high=2, options=("Low", "Mid", "High")
    ),
    TraitSpec("q5", "Style", "avoid_both_extreme", kind="choice", high=2),
    TraitSpec("q6", "Energy", "different", kind="choice", high=3, options=("A", "B", "C", "D")),
    TraitSpec("q7", "Flat scale", "similar", low=3, high=3),
]
FAST = settings(
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# -- random instances -----------------------------------------------------------------------


@st.composite
def instances(draw, fmt, min_n=0, max_n=12, loose=False):
    """(candidates, rules) with groups, communities, traits, preferences, roles, forbidden
    pairs; `loose` drops every hard rule except role preferences."""
    n = draw(st.integers(min_n, max_n))
    ids = draw(st.lists(st.integers(1, 10_000), min_size=n, max_size=n, unique=True))
    specs = tuple(draw(st.lists(st.sampled_from(TRAIT_POOL), max_size=4, unique=True)))
    groups = ["", "Networking", "Finance", "Law"][: draw(st.integers(1, 4))]
    communities = ["", "Faculty", "Students"][: draw(st.integers(1, 3))]
    subsets = st.frozensets(st.sampled_from(TOPICS), max_size=3)
    candidates = []
    for i in ids:
        level = draw(st.one_of(st.none(), st.integers(0, 4)))
        traits = {}
        for spec in specs:
            if draw(st.booleans()) or draw(st.booleans()):
                traits[spec.key] = draw(st.integers(-1, 6))  # out of range counts as no answer
        candidates.append(
            Candidate(
                id=i,
                name=draw(st.sampled_from(["", f"Person {i}"])),
                group=draw(st.sampled_from(groups)),
                community=draw(st.sampled_from(communities)),
                role_level=level,
                role_level_label="" if level is None else f"Level {level}",
                preferred_role=draw(st.sampled_from(["coach", "coachee", "both"])),
                traits=traits,
                priorities=draw(subsets),
                strengths=draw(subsets),
                modalities=draw(st.frozensets(st.sampled_from(["Zoom", "In person"]))),
                times=draw(st.frozensets(st.sampled_from(["Morning", "Evening"]))),
            )
        )
    forbidden = frozenset()
    if n >= 2 and not loose:
        pair_list = [frozenset(p) for p in combinations(ids, 2)]
        forbidden = frozenset(draw(st.lists(st.sampled_from(pair_list), max_size=n)))
    weight = st.integers(0, 10)
    rules = Rules(
        format=fmt,
        different_group=not loose and draw(st.booleans()),
        cross_community=not loose and draw(st.booleans()),
        forbidden=forbidden,
        seniority=draw(st.sampled_from(["similar", "different"])),
        weights=Weights(draw(weight), draw(weight), draw(weight), draw(weight), draw(weight)),
        traits=specs,
        circle_size=draw(st.integers(3, 8)),
        role_levels=5,
    )
    return candidates, rules


def generated(n, fmt, seed, role_mix=(0.45, 0.45, 0.10), groups=12, forbidden_share=0.02):
    """A realistic instance like the benchmark's, smaller."""
    rnd = random.Random(seed)
    specs = tuple(TRAIT_POOL[:3]) + (TraitSpec("q8", "Directness", "similar"),)
    candidates = [
        Candidate(
            id=i + 1,
            name=f"P{i + 1}",
            group=f"G{rnd.randrange(groups)}",
            community=rnd.choice(["Faculty", "Students"]),
            role_level=rnd.randrange(5),
            preferred_role=rnd.choices(["coach", "coachee", "both"], role_mix)[0],
            traits={s.key: rnd.randint(1, 5) for s in specs if rnd.random() < 0.95},
            priorities=frozenset(rnd.sample(TOPICS, rnd.randint(1, 3))),
            strengths=frozenset(rnd.sample(TOPICS, rnd.randint(0, 2))),
            modalities=frozenset(rnd.sample(["Zoom", "In person", "Phone"], rnd.randint(1, 2))),
            times=frozenset(rnd.sample(["Morning", "Lunch", "Evening"], rnd.randint(1, 2))),
        )
        for i in range(n)
    ]
    forbidden = set()
    while len(forbidden) < forbidden_share * n * (n - 1) / 2:
        forbidden.add(frozenset(rnd.sample(range(1, n + 1), 2)))
    rules = Rules(
        format=fmt,
        different_group=True,
        forbidden=frozenset(forbidden),
        traits=specs,
        role_levels=5,
    )
    return candidates, rules


# -- independent checks ---------------------------------------------------------------------


def allowed(a: Candidate, b: Candidate, rules: Rules) -> bool:
    """The pair rules, written out again (roles aside)."""
    if a.id == b.id or frozenset((a.id, b.id)) in rules.forbidden:
        return False
    if rules.different_group and a.group and a.group == b.group:
        return False
    return not (rules.cross_community and a.community and a.community == b.community)


def may_coach(coach: Candidate, coachee: Candidate) -> bool:
    return coach.preferred_role != "coachee" and coachee.preferred_role != "coach"


def pair_value(a, b, rules) -> int | None:
    """Best allowed score of a pair (best orientation for one_way), None if not allowed."""
    if not allowed(a, b, rules):
        return None
    if rules.format != "one_way":
        return evaluate([a, b], rules)[0]
    scores = [evaluate([x, y], rules)[0] for x, y in ((a, b), (b, a)) if may_coach(x, y)]
    return max(scores) if scores else None


def check_proposal(proposal, candidates, rules):
    """Hard rules, everyone exactly once, scores that add up, explanations that match."""
    by_id = {c.id: c for c in candidates}
    placed = [m for g in proposal.groups for m in g.members] + [u.id for u in proposal.unmatched]
    assert sorted(placed) == sorted(by_id)
    for group in proposal.groups:
        members = [by_id[m] for m in group.members]
        if rules.format == "circle":
            assert 3 <= len(members) <= 8
        else:
            assert len(members) == 2
        for a, b in combinations(members, 2):
            assert allowed(a, b, rules), (a, b)
        if rules.format == "one_way":
            assert may_coach(*members)
            reverse = evaluate(members[::-1], rules)[0] if may_coach(*members[::-1]) else -1
            assert group.score >= reverse  # the better orientation was chosen
        else:
            assert list(group.members) == sorted(group.members)
        assert [c.key for c in group.components] == KEYS
        assert group.score == sum(c.points for c in group.components)
        pairs_inside = math.comb(len(members), 2)
        for c in group.components:
            assert c.max_points == getattr(rules.weights, c.key) * 10 * pairs_inside
            assert 0 <= c.points <= c.max_points
            assert c.text.endswith(".") and not c.text[0].islower()
        assert evaluate(members, rules) == (group.score, group.components)
        assert violations(members, rules) == []
    assert proposal.total_score == sum(g.score for g in proposal.groups)
    assert all(u.reason for u in proposal.unmatched)


def same_extreme(a: Candidate, b: Candidate, rules: Rules) -> bool:
    """The "avoid two people at the same extreme" rule, written out again."""
    for spec in rules.traits:
        if spec.rule != "avoid_both_extreme":
            continue
        low, high = (spec.low, spec.high) if spec.kind == "scale" else (0, spec.high)
        if spec.kind == "choice" and spec.options:
            high = len(spec.options) - 1
        x, y = a.traits.get(spec.key), b.traits.get(spec.key)
        if x is not None and x == y and x in (low, high):
            return True
    return False


def brute_force(candidates, rules) -> tuple[int, int, int]:
    """(pairs, -pairs at the same extreme, score) of the best matching over all matchings:
    most pairs, then fewest at the same extreme (a hard rule that gives way only to leave
    fewer people waiting), then most points."""
    n = len(candidates)
    value = {
        (i, j): pair_value(candidates[i], candidates[j], rules)
        for i, j in combinations(range(n), 2)
    }

    @cache
    def best(free: frozenset) -> tuple[int, int, int]:
        if not free:
            return (0, 0, 0)
        i = min(free)
        rest = free - {i}
        options = [best(rest)]
        for j in rest:
            if value[(i, j)] is not None:
                count, clear, score = best(rest - {j})
                clash = same_extreme(candidates[i], candidates[j], rules)
                options.append((count + 1, clear - clash, score + value[(i, j)]))
        return max(options)

    return best(frozenset(range(n)))


def cardinality_and_score(proposal, candidates, rules) -> tuple[int, int, int]:
    by_id = {c.id: c for c in candidates}
    clashes = sum(
        same_extreme(by_id[a], by_id[b], rules)
        for g in proposal.groups
        for a, b in combinations(g.members, 2)
    )
    return len(proposal.groups), -clashes, proposal.total_score


def networkx_optimum(candidates, rules) -> tuple[int, int, int]:
    import networkx as nx

    ordered = sorted(candidates, key=lambda c: c.id)
    pool = Pool(ordered, rules)
    everyone = np.arange(pool.n)
    weights = pool.pair_weights(everyone[:, None], everyone[None, :])
    bonus = 501 * pool.n
    graph = nx.Graph()
    graph.add_nodes_from(range(pool.n))
    clash = {}
    for i, j in zip(*np.nonzero(np.triu(weights >= 0, 1)), strict=True):
        clash[i, j] = same_extreme(ordered[i], ordered[j], rules)
        weight = int(weights[i, j]) + (0 if clash[i, j] else bonus)
        graph.add_edge(int(i), int(j), weight=weight)
    matching = [tuple(sorted(p)) for p in nx.max_weight_matching(graph, maxcardinality=True)]
    return (
        len(matching),
        -sum(clash[p] for p in matching),
        sum(int(weights[p]) for p in matching),
    )


# -- scores -------------------------------------------------------------------------------


def reference_points(a: Candidate, b: Candidate, rules: Rules, forward: bool | None) -> dict:
    """The scoring rules of DESIGN.md written out plainly with Fractions."""

    def answer(spec, c):
        v = c.traits.get(spec.key)
        low, high = (spec.low, spec.high) if spec.kind == "scale" else (0, spec.high)
        if spec.kind == "choice" and spec.options:
            high = len(spec.options) - 1
        return v if v is not None and low <= v <= high else None, (low, high)

    def trait(spec):
        (x, ends), (y, _) = answer(spec, a), answer(spec, b)
        if x is None or y is None:
            return Fraction(1, 2)
        if spec.rule == "avoid_both_extreme":
            return Fraction(0 if x == y and x in ends else 1)
        if spec.kind == "choice":
            return Fraction(int((x == y) == (spec.rule == "similar")))
        gap = Fraction(abs(x - y), max(1, spec.high - spec.low))
        return 1 - gap if spec.rule == "similar" else gap

    def direction(coach, coachee):
        if not coachee.priorities:
            return Fraction(1, 2)
        if coach.strengths:
            return Fraction(len(coachee.priorities & coach.strengths), len(coachee.priorities))
        union = coachee.priorities | coach.priorities
        return Fraction(len(coachee.priorities & coach.priorities), len(union))

    def shared(x, y):
        return Fraction(1, 2) if not x or not y else Fraction(int(bool(x & y)))

    traits = [trait(s) for s in rules.traits]
    flexible = (a.preferred_role == "both") + (b.preferred_role == "both")
    levels = rules.role_levels or 1 + max(
        (c.role_level for c in (a, b) if c.role_level is not None), default=-1
    )
    den = max(1, levels - 1)
    if a.role_level is None or b.role_level is None:
        seniority = Fraction(1, 2)
    else:
        gap = Fraction(min(abs(a.role_level - b.role_level), den), den)
        seniority = 1 - gap if rules.seniority == "similar" else gap
    values = {
        "traits": sum(traits) / len(traits) if traits else Fraction(1, 2),
        "goals": direction(a, b)
        if forward
        else (direction(a, b) + direction(b, a)) / 2
        if forward is None
        else direction(b, a),
        "roles": Fraction([4, 3, 2][flexible] if forward is not None else [2, 3, 4][flexible], 4),
        "preferences": (shared(a.modalities, b.modalities) + shared(a.times, b.times)) / 2,
        "seniority": seniority,
    }
    weights = rules.weights
    return {k: math.floor(getattr(weights, k) * 10 * v + Fraction(1, 2)) for k, v in values.items()}


@FAST
@given(st.sampled_from(["one_way", "reciprocal"]).flatmap(lambda f: instances(f, 2, 6)))
def test_scores_follow_the_written_rules(instance):
    candidates, rules = instance
    for a, b in combinations(candidates, 2):
        forward = True if rules.format == "one_way" else None
        _, components = evaluate([a, b], rules)
        assert {c.key: c.points for c in components} == reference_points(a, b, rules, forward)


@FAST
@given(st.sampled_from(["one_way", "reciprocal", "circle"]).flatmap(lambda f: instances(f, 2, 9)))
def test_block_scores_equal_pair_scores(instance):
    """The vectorised matrix the optimiser uses equals evaluate() on each pair."""
    candidates, rules = instance
    ordered = sorted(candidates, key=lambda c: c.id)
    pool = Pool(ordered, rules)
    everyone = np.arange(pool.n)
    weights = pool.pair_weights(everyone[:, None], everyone[None, :])
    for i, j in combinations(range(pool.n), 2):
        expected = pair_value(ordered[i], ordered[j], rules)
        assert weights[i, j] == weights[j, i] == (-1 if expected is None else expected)


def test_role_levels_default_to_the_highest_rank_among_candidates():
    candidates, rules = generated(40, "reciprocal", seed=3)
    inferred = Rules(**{**vars(rules), "role_levels": 0})
    assert propose(candidates, inferred) == propose(candidates, rules)  # ranks 0..4: 5 levels


# -- proposals: hard rules and bookkeeping ---------------------------------------------------


@settings(FAST, max_examples=150)
@given(st.sampled_from(["one_way", "reciprocal", "circle"]).flatmap(lambda f: instances(f)))
def test_proposals_keep_every_hard_rule_and_everyone_once(instance):
    candidates, rules = instance
    proposal = propose(candidates, rules)
    check_proposal(proposal, candidates, rules)
    check_proposal(greedy(candidates, rules), candidates, rules)


@settings(FAST, max_examples=120)
@given(st.sampled_from(["one_way", "reciprocal"]).flatmap(lambda f: instances(f, 0, 10)))
def test_pairs_are_optimal_against_brute_force(instance):
    candidates, rules = instance
    proposal = propose(candidates, rules)
    assert cardinality_and_score(proposal, candidates, rules) == brute_force(candidates, rules)
    assert cardinality_and_score(greedy(candidates, rules), candidates, rules) <= (
        cardinality_and_score(proposal, candidates, rules)
    )


@settings(FAST, max_examples=40)
@given(st.sampled_from(["one_way", "reciprocal"]).flatmap(lambda f: instances(f, 8, 10)))
def test_the_same_input_in_any_order_gives_the_same_proposal(instance):
    candidates, rules = instance
    shuffled = list(reversed(candidates))
    assert propose(shuffled, rules) == propose(candidates, rules)


@settings(FAST, max_examples=60)
@given(instances("circle", 0, 40))
def test_circles_keep_rules_and_improve_on_the_seed(instance):
    candidates, rules = instance
    proposal = propose(candidates, rules)
    seed = greedy(candidates, rules)
    check_proposal(proposal, candidates, rules)
    assert len(proposal.unmatched) == len(seed.unmatched)
    assert proposal.total_score >= seed.total_score


@settings(FAST, max_examples=60)
@given(instances("circle", 0, 60, loose=True))
def test_circle_sizes_are_equal_within_one_when_rules_allow(instance):
    candidates, rules = instance
    proposal = propose(candidates, rules)
    sizes = sorted(len(g.members) for g in proposal.groups)
    if len(candidates) < 3:
        assert not sizes and len(proposal.unmatched) == len(candidates)
        return
    assert not proposal.unmatched
    assert sizes == sorted(circle_sizes(len(candidates), rules.circle_size))
    assert sizes[-1] - sizes[0] <= 1 and sizes[0] >= 3 and sizes[-1] <= 8


@pytest.mark.parametrize("n", range(3, 120))
def test_circle_sizes_plan(n):
    for target in range(3, 9):
        sizes = circle_sizes(n, target)
        assert sum(sizes) == n and max(sizes) - min(sizes) <= 1
        assert min(sizes) >= 3 and max(sizes) <= 8


def test_circles_on_realistic_data():
    candidates, rules = generated(300, "circle", seed=11)
    proposal = propose(candidates, rules)
    check_proposal(proposal, candidates, rules)
    assert not proposal.unmatched
    # The planned size holds: circles do not shrink to keep the "same extreme" rule; where
    # it gives way, the circle says so.
    assert {len(g.members) for g in proposal.groups} == {5}
    by_id = {c.id: c for c in candidates}
    for group in proposal.groups:
        clashes = sum(
            same_extreme(by_id[a], by_id[b], rules) for a, b in combinations(group.members, 2)
        )
        assert len(group.warnings) == clashes
    assert proposal.total_score > greedy(candidates, rules).total_score


# -- optimality at a few hundred people -------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "n", "seed", "mix"),
    [
        ("reciprocal", 160, 1, (0.45, 0.45, 0.10)),
        ("one_way", 200, 2, (0.45, 0.45, 0.10)),
        ("one_way", 240, 3, (0.5, 0.5, 0.0)),  # the assignment path
    ],
)
def test_full_graph_equals_networkx(fmt, n, seed, mix):
    candidates, rules = generated(n, fmt, seed, role_mix=mix)
    proposal = propose(candidates, rules)
    assert "exact" in proposal.method
    assert cardinality_and_score(proposal, candidates, rules) == networkx_optimum(candidates, rules)
    check_proposal(proposal, candidates, rules)


@pytest.mark.parametrize(
    ("fmt", "n", "seed", "groups"),
    [("reciprocal", 240, 4, 12), ("one_way", 240, 5, 12), ("reciprocal", 200, 6, 3)],
)
def test_candidate_graph_equals_networkx(monkeypatch, fmt, n, seed, groups):
    """The candidate-graph path finds the full optimum here."""
    monkeypatch.setattr(pairs_module, "FULL_GRAPH_LIMIT", 10)
    candidates, rules = generated(n, fmt, seed, groups=groups)
    proposal = propose(candidates, rules)
    assert "20 nearest + LP reduced cost" in proposal.method
    assert cardinality_and_score(proposal, candidates, rules) == networkx_optimum(candidates, rules)
    check_proposal(proposal, candidates, rules)


def test_candidate_graph_keeps_the_most_pairs_when_few_partners_fit(monkeypatch):
    """Faculty can pair only with Students: people with few allowed partners get all of
    their edges back when the candidate graph leaves them over."""
    monkeypatch.setattr(pairs_module, "FULL_GRAPH_LIMIT", 10)
    monkeypatch.setattr(pairs_module, "CANDIDATE_K", 3)
    candidates, rules = generated(120, "reciprocal", seed=8)
    candidates = [
        Candidate(**{**vars(c), "community": "Students" if c.id % 4 == 0 else "Faculty"})
        for c in candidates
    ]
    rules = Rules(**{**vars(rules), "cross_community": True})
    proposal = propose(candidates, rules)
    check_proposal(proposal, candidates, rules)
    assert len(proposal.groups) == networkx_optimum(candidates, rules)[0] == 30


def test_candidate_graph_resolves_when_it_missed_an_augmenting_path(monkeypatch):
    """Everyone's single best partner is the same person: the 1-nearest graph is a star with
    one pair; the people left over get their other edges and all are paired."""
    monkeypatch.setattr(pairs_module, "FULL_GRAPH_LIMIT", 2)
    monkeypatch.setattr(pairs_module, "CANDIDATE_K", 1)
    monkeypatch.setattr(pairs_module, "REDUCED_COST_SLACK", None)
    others = [Candidate(i, priorities=frozenset({f"Topic {i}"})) for i in range(2, 8)]
    star = Candidate(1, "Star", strengths=frozenset().union(*(c.priorities for c in others)))
    rules = Rules(format="reciprocal", weights=Weights(0, 10, 0, 0, 0))
    proposal = propose([star, *others], rules)
    assert "re-solved with more edges for 5 left over" in proposal.method
    everyone = [star, *others]
    assert cardinality_and_score(proposal, everyone, rules) == brute_force(everyone, rules)
    assert brute_force(everyone, rules) == (3, 0, 75)


# -- the "avoid two people at the same extreme" rule -----------------------------------------

CONTROL = TraitSpec("q2", "Need for control", "avoid_both_extreme")


def _extremes_case():
    """Ann and Bea both at the top of Need for control, and each the other's best fit on
    everything else; Cy and Dov are clash-free partners for them."""
    topics = frozenset({"Delegation", "Feedback"})
    ann = Candidate(1, "Ann", traits={"q2": 5}, priorities=topics, strengths=topics)
    bea = Candidate(2, "Bea", traits={"q2": 5}, priorities=topics, strengths=topics)
    cy = Candidate(3, "Cy", traits={"q2": 3})
    dov = Candidate(4, "Dov", traits={"q2": 3})
    rules = Rules(format="reciprocal", traits=(CONTROL,), weights=Weights(1, 10, 0, 0, 0))
    return [ann, bea, cy, dov], rules


def _pairs_of(proposal):
    return sorted(tuple(g.members) for g in proposal.groups)


def test_two_at_the_same_extreme_are_not_paired_when_a_clash_free_matching_exists():
    people, rules = _extremes_case()
    # The points alone favour Ann with Bea (what the rule as a small penalty produced).
    soft = propose(people, Rules(**{**vars(rules), "avoid_extremes_hard": False}))
    assert (1, 2) in _pairs_of(soft)
    for fmt in ("reciprocal", "one_way"):
        hard = propose(people, Rules(**{**vars(rules), "format": fmt}))
        assert len(hard.groups) == 2
        assert all(set(g.members) != {1, 2} for g in hard.groups), fmt
        assert not any(g.warnings for g in hard.groups)


def test_the_same_extreme_gives_way_only_to_pair_someone_and_says_so():
    people, rules = _extremes_case()
    # Cy and Dov may not be with Ann or Bea: only Ann with Bea pairs them.
    forbidden = frozenset(frozenset(p) for p in ((1, 3), (1, 4), (2, 3), (2, 4)))
    proposal = propose(people, Rules(**{**vars(rules), "forbidden": forbidden}))
    assert _pairs_of(proposal) == [(1, 2), (3, 4)]
    clash = next(g for g in proposal.groups if g.members == (1, 2))
    (warning,) = clash.warnings
    assert warning.startswith("Ann and Bea are both at the top of Need for control")
    assert "gives way here" in warning


def test_circles_keep_people_at_the_same_extreme_apart():
    people = [
        Candidate(i, f"P{i}", traits={"q2": 5 if i <= 3 else 3}) for i in range(1, 10)
    ]  # three at the top, six in the middle: three circles of three
    rules = Rules(format="circle", traits=(CONTROL,), circle_size=3)
    proposal = propose(people, rules)
    assert not proposal.unmatched
    for group in proposal.groups:
        assert len({m for m in group.members if m <= 3}) <= 1
        assert not group.warnings


# -- circles: more circles before anyone waits ------------------------------------------------


def test_fourteen_in_three_groups_open_more_circles_before_anyone_waits():
    groups = ["Networking"] * 5 + ["Security"] * 5 + ["Service desk"] * 4
    people = [Candidate(i, f"P{i}", group=g) for i, g in enumerate(groups, start=1)]
    # Without the different-groups rule (the default for circles): nobody waits.
    proposal = propose(people, Rules(format="circle", circle_size=5))
    assert not proposal.unmatched
    assert sorted(len(g.members) for g in proposal.groups) == [4, 5, 5]
    # With it a circle holds at most three: the plan of three circles left five waiting;
    # four circles of three leave two, and each is told why.
    proposal = propose(people, Rules(format="circle", circle_size=5, different_group=True))
    assert sorted(len(g.members) for g in proposal.groups) == [3, 3, 3, 3]
    assert len(proposal.unmatched) == 2
    assert all(u.reason.startswith("Could not be placed") for u in proposal.unmatched)
    assert "more circle" in proposal.method


# -- questions the form never asked -----------------------------------------------------------


def test_components_the_form_never_asked_give_and_take_no_points():
    ann = Candidate(1, "Ann", priorities=frozenset({"Feedback"}))
    bob = Candidate(2, "Bob", strengths=frozenset({"Feedback"}))
    asked_all = Rules(format="reciprocal")
    asked_goals = Rules(format="reciprocal", asked=frozenset({"goals"}))
    _score, every = evaluate([ann, bob], asked_all)
    assert [c.key for c in every] == KEYS  # unanswered traits cost half their points
    assert next(c for c in every if c.key == "traits").points == 25
    score, components = evaluate([ann, bob], asked_goals)
    assert [c.key for c in components] == ["goals"]
    assert score == components[0].points and components[0].max_points == 50


# -- explanations and reasons ------------------------------------------------------------------


def test_pair_explanation_names_people_topics_and_traits():
    specs = (TRAIT_POOL[0], TRAIT_POOL[1])
    dana = Candidate(
        1, "Dana", role_level=3, role_level_label="Manager", preferred_role="coach",
        traits={"q1": 4, "q2": 5}, strengths=frozenset({"Delegation", "Career mapping"}),
        modalities=frozenset({"Zoom"}), times=frozenset({"Morning"}),
    )  # fmt: skip
    sam = Candidate(
        2, "Sam", role_level=1, role_level_label="Individual contributor",
        preferred_role="coachee", traits={"q1": 4, "q2": 5},
        priorities=frozenset({"Delegation", "Career mapping", "Feedback"}),
        modalities=frozenset({"Zoom", "In person"}), times=frozenset({"Evening"}),
    )  # fmt: skip
    rules = Rules(format="one_way", traits=specs, role_levels=5)
    score, components = evaluate([dana, sam], rules)
    text = {c.key: c.text for c in components}
    assert text["traits"] == (
        "Similar on Pace of work (4 and 4); both at the top of Need for control — a likely clash."
    )
    assert text["goals"] == (
        "Dana can help with Career mapping and Delegation, which Sam wants to work on."
    )
    assert text["roles"] == "Dana wants to coach and Sam wants to be coached."
    assert text["preferences"] == "Both can meet on Zoom; no common time of day."
    assert text["seniority"] == "Manager with Individual contributor: two levels apart."
    points = {c.key: c.points for c in components}
    # traits (1 + 0) / 2; goals 2/3; roles 1; preferences (1 + 0) / 2; seniority 1 - 2/4.
    assert points == {"traits": 25, "goals": 33, "roles": 30, "preferences": 10, "seniority": 10}
    assert score == 108


def test_circle_explanation_and_zero_weight_component():
    candidates, rules = generated(5, "circle", seed=2, groups=50, forbidden_share=0)
    rules = Rules(**{**vars(rules), "weights": Weights(seniority=0)})
    (group,) = propose(candidates, rules).groups
    seniority = group.components[-1]
    assert (seniority.points, seniority.max_points) == (0, 0) and seniority.text
    assert group.components[0].max_points == 50 * 10  # 5 members: 10 pairs


def test_unmatched_reasons_say_which_rule_excludes_everyone():
    people = [Candidate(i, f"P{i}", group="Networking") for i in (1, 2, 3)]
    rules = Rules(format="reciprocal", different_group=True)
    proposal = propose(people, rules)
    assert [u.reason for u in proposal.unmatched] == [
        "No possible partner: of the 2 others, 2 are in the same group (Networking)."
    ] * 3

    pair = [Candidate(1, "Ann"), Candidate(2, "Bob")]
    rules = Rules(format="one_way", forbidden=frozenset({frozenset({1, 2})}))
    assert [u.reason for u in propose(pair, rules).unmatched] == [
        "No possible partner: the only other person was a previous partner, marked never "
        "together or taken apart by hand."
    ] * 2

    coaches = [Candidate(i, preferred_role="coach") for i in (1, 2, 3)]
    (first, *_) = propose(coaches, Rules(format="one_way")).unmatched
    assert first.reason == "No possible partner: of the 2 others, 2 also only want to coach."


def test_odd_one_out_gets_a_hint():
    proposal = propose([Candidate(i) for i in (1, 2, 3)], Rules(format="reciprocal"))
    (left,) = proposal.unmatched
    assert left.reason.startswith("Odd one out: each of their 2 possible partners")
    assert "trio" in left.reason


def test_surplus_coaches_are_told_why():
    people = [Candidate(i, preferred_role="coach") for i in (1, 2, 3)]
    people.append(Candidate(4, preferred_role="coachee"))
    proposal = propose(people, Rules(format="one_way"))
    assert proposal.method == "scipy linear_sum_assignment (exact)"
    assert len(proposal.groups) == 1 and len(proposal.unmatched) == 2
    for left in proposal.unmatched:
        assert left.reason.startswith("Odd one out: their only possible partner was matched")
        assert "More applicants want only to coach than can be coached." in left.reason


def test_violations_in_plain_words():
    a = Candidate(1, "Ann", group="Law", community="Faculty", preferred_role="coachee")
    b = Candidate(2, "Bob", group="Law", community="Faculty", preferred_role="coach")
    rules = Rules(
        format="one_way",
        different_group=True,
        cross_community=True,
        forbidden=frozenset({frozenset({1, 2})}),
    )
    assert violations([a, b], rules) == [
        "Ann and Bob are both in Law; partners must come from different groups.",
        "Ann and Bob are both in the Faculty community; partners must come from different "
        "communities.",
        "Ann and Bob were partners before or are marked never together.",
        "Ann prefers to be coached, not to coach.",
        "Bob prefers to coach, not to be coached.",
    ]
    assert violations([b, a], Rules(format="one_way")) == []
    assert violations([a, b], Rules(format="circle")) == ["A circle needs 3 to 8 members."]


def test_evaluate_scores_any_group_as_given():
    assert evaluate([], Rules(format="one_way"))[0] == 0
    (_, components) = evaluate([Candidate(1)], Rules(format="circle"))
    assert {c.text for c in components} == {"A group needs at least two people."}
    wrong_way = [
        Candidate(1, "Ann", preferred_role="coachee"),
        Candidate(2, "Bob", preferred_role="coach"),
    ]
    score, components = evaluate(wrong_way, Rules(format="one_way"))
    assert score == sum(c.points for c in components) and violations(
        wrong_way, Rules(format="one_way")
    )


def test_trio_is_scored_as_the_sum_of_its_pairs():
    candidates, rules = generated(3, "reciprocal", seed=5, forbidden_share=0)
    score, components = evaluate(candidates, rules)
    pair_scores = [evaluate(list(p), rules)[0] for p in combinations(candidates, 2)]
    assert score == sum(pair_scores) == sum(c.points for c in components)


# -- the API's promises ------------------------------------------------------------------------


def test_progress_is_reported_up_to_100():
    seen = []
    candidates, rules = generated(50, "reciprocal", seed=9)
    propose(candidates, rules, progress=seen.append)
    assert seen[0] == 0 and seen[-1] == 100 and seen == sorted(set(seen))


def test_duplicate_ids_are_refused():
    with pytest.raises(ValueError, match="unique"):
        propose([Candidate(1), Candidate(1)], Rules(format="reciprocal"))


def test_empty_and_tiny_pools():
    for fmt in ("one_way", "reciprocal", "circle"):
        assert propose([], Rules(format=fmt)).groups == ()
        (alone,) = propose([Candidate(7)], Rules(format=fmt)).unmatched
        assert alone.id == 7 and alone.reason


def test_importing_the_module_loads_neither_django_nor_the_solvers():
    code = (
        "import sys, programs.matching; "
        "bad = [m for m in ('django', 'scipy', 'rustworkx', 'networkx') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
