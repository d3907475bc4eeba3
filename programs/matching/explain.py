"""Plain-language sentences for each score component, and Group construction.

Points always come from the integer scorer (`scoring.Pool`); the sentences only describe
the same facts, so a group's explanation adds up to its score.
"""

from fractions import Fraction
from itertools import combinations

import numpy as np

from .datatypes import COMPONENT_KEYS, COMPONENT_LABELS, Candidate, Component, Group, Rules
from .scoring import Pool, is_clash, trait_answer, trait_value

_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def display_name(c: Candidate) -> str:
    return c.name or f"#{c.id}"


def listing(items, limit: int = 4) -> str:
    """'A', 'A and B', 'A, B and C', 'A, B, C and 2 more'."""
    items = list(items)
    if len(items) > limit:
        items = items[: limit - 1] + [f"{len(items) - limit + 1} more"]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def count_word(k: int) -> str:
    return _WORDS[k] if 0 <= k < len(_WORDS) else str(k)


def sentence(clauses: list[str]) -> str:
    text = "; ".join(c for c in clauses if c)
    return text[:1].upper() + text[1:] + "."


# -- traits ---------------------------------------------------------------------------------


def trait_fit(spec, a: Candidate, b: Candidate) -> tuple[Fraction, str]:
    """The per-trait value the scorer uses, and a clause describing it."""
    x, y = trait_answer(spec, a), trait_answer(spec, b)
    value, label = trait_value(spec, x, y), spec.label
    if x is None or y is None:
        missing = [display_name(c) for c, v in ((a, x), (b, y)) if v is None]
        return value, f"no answer on {label} from {listing(missing)}"
    if spec.kind == "scale":
        shown = f"({x} and {y})"
        if spec.rule == "similar":
            word = "far apart"
            if value >= Fraction(1, 2):
                word = "similar" if value >= Fraction(3, 4) else "somewhat apart"
            return value, f"{word} on {label} {shown}"
        if spec.rule == "different":
            if value >= Fraction(1, 2):
                return value, f"complementary on {label} {shown}"
            return value, f"alike on {label} {shown}, where a difference helps"
        if value == 0:
            end = "top" if x == spec.high else "bottom"
            return value, f"both at the {end} of {label} — a likely clash"
        return value, f"no clash on {label} {shown}"
    shown_x = spec.options[x] if x < len(spec.options) else str(x)
    shown_y = spec.options[y] if y < len(spec.options) else str(y)
    if spec.rule == "avoid_both_extreme":
        if value == 0:
            return value, f"both chose “{shown_x}” on {label} — a likely clash"
        return value, f"no clash on {label}"
    if x == y:
        where = "" if spec.rule == "similar" else ", where a difference helps"
        return value, f"same answer on {label} ({shown_x}){where}"
    return value, f"different answers on {label} ({shown_x} and {shown_y})"


def _traits_pair(a: Candidate, b: Candidate, rules: Rules) -> str:
    if not rules.traits:
        return "This program asks no work-personality questions."
    fits = [trait_fit(spec, a, b) for spec in rules.traits]
    best = max(range(len(fits)), key=lambda t: fits[t][0])
    worst = min(reversed(range(len(fits))), key=lambda t: fits[t][0])
    return sentence([fits[best][1]] + ([fits[worst][1]] if worst != best else []))


def _traits_circle(members: list[Candidate], rules: Rules) -> str:
    if not rules.traits:
        return "This program asks no work-personality questions."
    pairs = list(combinations(members, 2))
    means = []
    clashes = []
    for spec in rules.traits:
        values = [trait_value(spec, trait_answer(spec, a), trait_answer(spec, b)) for a, b in pairs]
        means.append(sum(values) / len(values))
        if spec.rule == "avoid_both_extreme":
            clashes.append((sum(v == 0 for v in values), spec.label))
    best = max(range(len(means)), key=lambda t: means[t])
    worst = min(reversed(range(len(means))), key=lambda t: means[t])
    clauses = [f"best fit on {rules.traits[best].label}"]
    if worst != best:
        clauses.append(f"weakest on {rules.traits[worst].label}")
    for count, label in clashes:
        if count:
            pairs_word = "pair" if count == 1 else "pairs"
            clauses.append(f"{count} {pairs_word} both at an extreme of {label} — a likely clash")
    return sentence(clauses)


# -- goals ----------------------------------------------------------------------------------


def _goal_clause(coach: Candidate, coachee: Candidate, one_way: bool) -> str:
    a, b = display_name(coach), display_name(coachee)
    if not coachee.priorities:
        return f"{b} named no topics to work on"
    if coach.strengths:
        matched = sorted(coachee.priorities & coach.strengths)
        if matched and one_way:
            return f"{a} can help with {listing(matched)}, which {b} wants to work on"
        if matched:
            return f"{a} can help {b} with {listing(matched)}"
        wanted = listing(sorted(coachee.priorities), 3)
        return f"{a} lists none of the topics {b} wants to work on ({wanted})"
    shared = sorted(coachee.priorities & coach.priorities)
    if shared:
        return f"{a} named no strengths, but both want to work on {listing(shared)}"
    return f"{a} named no strengths and they share no topics"


def _goals_pair(a: Candidate, b: Candidate, forward: bool | None) -> str:
    if forward is not None:
        return sentence([_goal_clause(a, b, True)])
    if not a.priorities and not b.priorities:
        return "Neither named topics to work on."
    if not a.strengths and not b.strengths:
        shared = sorted(a.priorities & b.priorities)
        if shared:
            return f"Neither named strengths, but both want to work on {listing(shared)}."
        return "Neither named strengths, and they share no topics to work on."
    return sentence([_goal_clause(a, b, False), _goal_clause(b, a, False)])


def _goals_circle(members: list[Candidate]) -> str:
    if not any(m.priorities for m in members):
        return "No one in the circle named topics to work on."
    helps = []
    for coachee in members:
        for coach in members:
            matched = sorted(coachee.priorities & coach.strengths) if coach is not coachee else []
            if matched:
                a, b = display_name(coach), display_name(coachee)
                helps.append(f"{a} can help {b} with {listing(matched)}")
    if not helps:
        return "No member lists a strength that another wants to work on."
    shown = helps[:3] + ([f"and {len(helps) - 3} more matches"] if len(helps) > 3 else [])
    return sentence(shown)


# -- roles, preferences, seniority ---------------------------------------------------------


_COACH_SIDE = {"coach": "wants to coach", "both": "is open to either role"}
_COACHEE_SIDE = {"coachee": "wants to be coached", "both": "is open to either role"}
_PREFERS = {
    "coach": "prefers to coach",
    "coachee": "prefers to be coached",
    "both": "is open to either role",
}


def _roles_pair(a: Candidate, b: Candidate, forward: bool | None) -> str:
    x, y = a.preferred_role, b.preferred_role
    if forward is not None:
        if x == y == "both":
            return f"Both are open to either role; {display_name(a)} coaches here."
        side_a = _COACH_SIDE.get(x, "prefers to be coached, not to coach")
        side_b = _COACHEE_SIDE.get(y, "prefers to coach, not to be coached")
        return f"{display_name(a)} {side_a} and {display_name(b)} {side_b}."
    if x == y == "both":
        return "Both are open to either role, as a reciprocal pair needs."
    clauses = [f"{display_name(c)} {_PREFERS[c.preferred_role]}" for c in (a, b)]
    return sentence(clauses + ["here both coach and are coached"])


def _roles_circle(members: list[Candidate]) -> str:
    open_ = sum(m.preferred_role == "both" for m in members)
    if open_ == len(members):
        return "Everyone is open to either role."
    if open_ == 0:
        return "Everyone has a role preference; in a circle all coach and are coached."
    return f"{open_} of {len(members)} are open to either role; the others have a preference."


def _shared_clause(sets, names, what, phrase) -> str:
    missing = [n for s, n in zip(sets, names, strict=True) if not s]
    if missing:
        return f"{what} not given by {listing(missing)}"
    common = sorted(frozenset.intersection(*sets))
    return phrase(common) if common else f"no common {what}"


def _way(modality: str) -> str:
    return modality.lower() if modality.lower() in ("in person", "in-person") else f"on {modality}"


def _preferences(members: list[Candidate]) -> str:
    names = [display_name(m) for m in members]
    everyone = "both" if len(members) == 2 else "all"
    ways = _shared_clause(
        [m.modalities for m in members],
        names,
        "way to meet",
        lambda common: f"{everyone} can meet " + " or ".join(_way(m) for m in common),
    )
    times = _shared_clause(
        [m.times for m in members],
        names,
        "time of day",
        lambda common: f"common time of day: {listing(common, 3)}",
    )
    return sentence([ways, times])


def level_label(c: Candidate) -> str:
    return c.role_level_label or f"level {c.role_level + 1}"


def _seniority(members: list[Candidate]) -> str:
    unknown = [display_name(m) for m in members if m.role_level is None]
    known = sorted((m for m in members if m.role_level is not None), key=lambda m: m.role_level)
    if len(members) == 2 and not unknown:
        a, b = members
        gap = abs(a.role_level - b.role_level)
        if gap == 0:
            return f"Both at the {level_label(a)} level."
        apart = f"{count_word(gap)} level{'s' if gap > 1 else ''} apart"
        return sentence([f"{level_label(a)} with {level_label(b)}: {apart}"])
    clauses = []
    if known:
        low, high = level_label(known[0]), level_label(known[-1])
        same = known[0].role_level == known[-1].role_level
        clauses.append(f"all at the {low} level" if same else f"levels from {low} to {high}")
    if unknown:
        clauses.append(f"level not given for {listing(unknown)}")
    return sentence(clauses)


# -- groups ---------------------------------------------------------------------------------


def texts(members: list[Candidate], rules: Rules, forward: bool | None) -> dict[str, str]:
    """One sentence per component; for 2 members `forward` as in `Pool.components`."""
    if len(members) < 2:
        return dict.fromkeys(COMPONENT_KEYS, "A group needs at least two people.")
    if len(members) == 2:
        a, b = members
        return {
            "traits": _traits_pair(a, b, rules),
            "goals": _goals_pair(a, b, forward),
            "roles": _roles_pair(a, b, forward),
            "preferences": _preferences(members),
            "seniority": _seniority(members),
        }
    return {
        "traits": _traits_circle(members, rules),
        "goals": _goals_circle(members),
        "roles": _roles_circle(members),
        "preferences": _preferences(members),
        "seniority": _seniority(members),
    }


def group_pairs(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions (i, j), i < j, of every unordered pair in a group of `size`."""
    i, j = np.triu_indices(size, 1)
    return i, j


def build_groups(
    pool: Pool, groups: list[list[int]], forward: bool | None, fallback: bool = False
) -> list[Group]:
    """Groups (pool indices, in order) scored in one vectorised call, then explained.

    `fallback`: the groups come from the optimiser, which breaks the "avoid the same
    extreme" rule only when keeping it would leave more people waiting; the warnings say so.

    Two members and forward=True: the first coaches. Three or more: the sum over all
    unordered pairs of the reciprocal-style pair score.
    """
    rows, cols, owner, sizes = [], [], [], []
    for g, members in enumerate(groups):
        i, j = group_pairs(len(members))
        rows.append(np.asarray(members, np.int64)[i])
        cols.append(np.asarray(members, np.int64)[j])
        owner.append(np.full(i.size, g, np.int64))
        sizes.append(i.size)
    if not groups:
        return []
    rows, cols, owner = np.concatenate(rows), np.concatenate(cols), np.concatenate(owner)
    per_pair = {key: np.zeros(rows.size, np.int64) for key in COMPONENT_KEYS}
    duo = np.array([len(m) == 2 for m in groups])[owner]
    for direction, mask in ((forward, duo), (None, ~duo)):
        if mask.any():
            parts = pool.components(rows[mask], cols[mask], direction)
            for key in COMPONENT_KEYS:
                per_pair[key][mask] = parts[key]
    totals = {k: np.bincount(owner, per_pair[k], len(groups)) for k in COMPONENT_KEYS}
    weights = pool.weights
    # A component the form never asked about is left out: it gives and takes no points.
    shown = [k for k in COMPONENT_KEYS if pool.rules.counts(k)]
    result = []
    for g, members in enumerate(groups):
        people = [pool.candidates[i] for i in members]
        words = texts(people, pool.rules, forward if len(members) == 2 else None)
        components = tuple(
            Component(
                key=k,
                label=COMPONENT_LABELS[k],
                points=int(totals[k][g]),
                max_points=getattr(weights, k) * 10 * sizes[g],
                text=words[k],
            )
            for k in shown
        )
        ids = tuple(p.id for p in people)
        warnings = clash_warnings(pool.rules, people, fallback) if pool.extreme_states else ()
        result.append(Group(ids, sum(c.points for c in components), components, warnings))
    return result


FALLBACK = (
    " No pairing that keeps this rule would leave as few people waiting, so it gives way"
    " here; swap by hand if you prefer someone to wait."
)


def clash_warnings(rules: Rules, people: list[Candidate], fallback: bool) -> tuple[str, ...]:
    """One sentence per pair in the group at the same extreme of an "avoid" question."""
    out = []
    for a, b in combinations(people, 2):
        for spec in rules.traits:
            x, y = trait_answer(spec, a), trait_answer(spec, b)
            if is_clash(spec, x, y):
                if spec.kind == "scale":
                    end = "top" if x == spec.high else "bottom"
                else:
                    end = f"“{spec.options[x]}”" if x < len(spec.options) else str(x)
                    end = f"the same answer, {end}"
                where = f"the {end}" if spec.kind == "scale" else end
                text = (
                    f"{display_name(a)} and {display_name(b)} are both at {where} of "
                    f"{spec.label}: the rule to avoid two people at the same extreme is broken."
                )
                out.append(text + (FALLBACK if fallback else ""))
    return tuple(out)
