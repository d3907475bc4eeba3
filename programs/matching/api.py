"""The four calls the Django services make; everything else in the package is internal."""

from collections.abc import Callable

from .circles import propose_circles
from .datatypes import Candidate, Component, Proposal, Rules
from .explain import build_groups, clash_warnings
from .pairs import greedy_pairs, propose_pairs
from .reasons import violations as _violations
from .scoring import Pool


def _pool(candidates: list[Candidate], rules: Rules) -> Pool:
    if rules.format not in ("one_way", "reciprocal", "circle"):
        raise ValueError(f"Unknown format {rules.format!r}.")
    ordered = sorted(candidates, key=lambda c: c.id)
    if any(a.id == b.id for a, b in zip(ordered, ordered[1:], strict=False)):
        raise ValueError("Candidate ids must be unique.")
    return Pool(ordered, rules)


def propose(
    candidates: list[Candidate], rules: Rules, *, progress: Callable[[int], object] | None = None
) -> Proposal:
    """The best grouping under the hard rules.

    Guarantees: no group breaks a hard rule; every candidate is in exactly one group or in
    `unmatched` with a reason; pairs first maximise how many people are matched, then the
    total score (exact up to FULL_GRAPH_LIMIT people and for one_way without flexible
    people); the same input gives the same output. `progress(percent)` is called now and
    then with 0..100. Raises ValueError for duplicate ids or an unknown format.
    """
    last = -1

    def report(percent: int):
        nonlocal last
        if progress and percent > last:
            last = percent
            progress(min(100, percent))

    report(0)
    pool = _pool(candidates, rules)
    if rules.format == "circle":
        result = propose_circles(pool, report)
    else:
        result = propose_pairs(pool, report)
    report(100)
    return result


def greedy(candidates: list[Candidate], rules: Rules) -> Proposal:
    """Baseline: pairs take the best remaining allowed pair; circles the greedy seed only."""
    pool = _pool(candidates, rules)
    if rules.format == "circle":
        return propose_circles(pool, lambda percent: None, improve=False)
    return greedy_pairs(pool)


def evaluate(members: list[Candidate], rules: Rules) -> tuple[int, tuple[Component, ...]]:
    """Score and explanation of a group as given, allowed or not (see `violations`).

    one_way with two members: members[0] coaches. Three or more members (trios, circles):
    the sum over every unordered pair of the reciprocal-style pair score. With
    `rules.role_levels` set, the score equals the one `propose` gave the same group.
    """
    pool = Pool(list(members), rules)
    forward = True if rules.format == "one_way" and len(members) == 2 else None
    (group,) = build_groups(pool, [list(range(len(members)))], forward)
    return group.score, group.components


def violations(members: list[Candidate], rules: Rules) -> list[str]:
    """Plain-language hard-rule violations of the group as given; [] when it is allowed.

    one_way with two members: members[0] is the coach.
    """
    return _violations(list(members), rules)


def warnings(members: list[Candidate], rules: Rules) -> list[str]:
    """Soft-rule problems of a group as given, e.g. two people at the same extreme of an
    "avoid" question (allowed in a hand edit, but worth saying)."""
    return list(clash_warnings(rules, list(members), fallback=False))
