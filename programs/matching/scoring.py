"""Integer pair scores and hard-rule feasibility, vectorised over blocks of pairs.

Each component value v is an exact fraction, and its points are round(weight * 10 * v)
with halves rounded up. Traits, roles, preferences and seniority look their points up in
tables computed with `fractions.Fraction`; goals divide in float64 and add 1e-9 before
flooring, which is exact because their denominators stay below 8 * topics**2 (far above
the float error, far below the 1e-9 margin). So a score computed for a block of pairs, a
list of pairs or one hand-edited group is always the same integer.

Index arguments come in two shapes: "block" (rows shaped (r, 1), columns (1, m): the result
is r x m) or "pairs" (two aligned 1-d arrays: one value per pair).
"""

import math
from dataclasses import replace
from fractions import Fraction
from itertools import chain

import numpy as np

from .datatypes import COMPONENT_KEYS, Candidate, Rules, TraitSpec, Weights

COACH, COACHEE, BOTH = 0, 1, 2
ROLE_CODES = {"coach": COACH, "coachee": COACHEE, "both": BOTH}
BLOCK_CELLS = 1_000_000  # pairs scored at once: bounds the temporaries to tens of MB
ROLE_QUARTERS = {True: (4, 3, 2), False: (2, 3, 4)}  # by flexible count; True = one_way


def points(weight: int, value: Fraction) -> int:
    """round(weight * 10 * value), halves up, exactly."""
    return math.floor(weight * 10 * value + Fraction(1, 2))


def points_table(weight: int, values) -> np.ndarray:
    return np.array([points(weight, Fraction(v)) for v in values], np.int16)


def trait_span(spec: TraitSpec) -> int:
    return max(1, spec.high - spec.low)


def trait_last_option(spec: TraitSpec) -> int:
    return len(spec.options) - 1 if spec.options else spec.high


def trait_bounds(spec: TraitSpec) -> tuple[int, int]:
    return (spec.low, spec.high) if spec.kind == "scale" else (0, trait_last_option(spec))


def trait_answer(spec: TraitSpec, candidate: Candidate) -> int | None:
    """The candidate's answer, or None when missing or outside the scale (counts as no answer)."""
    value = candidate.traits.get(spec.key)
    low, high = trait_bounds(spec)
    return value if value is not None and low <= value <= high else None


def trait_value(spec: TraitSpec, x: int | None, y: int | None) -> Fraction:
    """Compatibility of two answers to one trait, 0..1; 1/2 when either is missing."""
    if x is None or y is None:
        return Fraction(1, 2)
    if spec.kind == "scale" and spec.rule != "avoid_both_extreme":
        gap = Fraction(abs(x - y), trait_span(spec))
        return 1 - gap if spec.rule == "similar" else gap
    if spec.rule == "similar":
        return Fraction(x == y)
    if spec.rule == "different":
        return Fraction(x != y)
    return Fraction(not (x == y and x in trait_bounds(spec)))


def effective_weights(rules: Rules) -> Weights:
    """The program's weights, with 0 for every component the form never asked about."""
    unasked = {key: 0 for key in COMPONENT_KEYS if not rules.counts(key)}
    return replace(rules.weights, **unasked) if unasked else rules.weights


def is_clash(spec: TraitSpec, x: int | None, y: int | None) -> bool:
    """Both answered the same extreme of an "avoid two at the same extreme" question."""
    return (
        spec.rule == "avoid_both_extreme" and x is not None and x == y and x in trait_bounds(spec)
    )


def role_levels(candidates: list[Candidate], rules: Rules) -> int:
    """Levels on the seniority scale: the program's list length, else highest rank + 1."""
    if rules.role_levels:
        return rules.role_levels
    ranks = [c.role_level for c in candidates if c.role_level is not None]
    return max(ranks) + 1 if ranks else 0


def _codes(values: list[str]) -> np.ndarray:
    """Small integer per distinct non-empty string; -1 for empty (never conflicts)."""
    table: dict[str, int] = {}
    return np.array([table.setdefault(v, len(table)) if v else -1 for v in values], np.int32)


def _set_matrices(*families: list[frozenset[str]]) -> list[np.ndarray]:
    """0/1 float32 matrices over one shared vocabulary (BLAS then counts overlaps)."""
    items = sorted(set().union(*(s for family in families for s in family)))
    column = {item: k for k, item in enumerate(items)}
    matrices = []
    for family in families:
        matrix = np.zeros((len(family), len(items)), np.float32)
        for row, s in enumerate(family):
            matrix[row, [column[item] for item in s]] = 1
        matrices.append(matrix)
    return matrices


class Pool:
    """Candidates as arrays, ready for block scoring. Candidates keep the given order."""

    def __init__(self, candidates: list[Candidate], rules: Rules):
        self.candidates = cs = list(candidates)
        self.rules = rules
        w = self.weights = effective_weights(rules)
        n = self.n = len(cs)
        self.role = np.array([ROLE_CODES[c.preferred_role] for c in cs], np.int8)
        self.flexible = (self.role == BOTH).astype(np.int8)
        self.group = _codes([c.group for c in cs])
        self.community = _codes([c.community for c in cs])

        # Traits: per trait a state per person (answer, or "missing" as the last state) and
        # a table of numerators over a common denominator, so sums stay integers.
        specs = rules.traits
        self.trait_den = math.lcm(*(2 * trait_span(s) for s in specs)) if specs else 2
        self.trait_code = np.zeros((n, len(specs)), np.int32)
        self.trait_table, self.trait_states = [], []
        self.extreme_states: list[tuple[int, np.ndarray]] = []
        for t, spec in enumerate(specs):
            low, high = trait_bounds(spec)
            states = list(range(low, high + 1)) + [None]
            for i, c in enumerate(cs):
                answer = trait_answer(spec, c)
                self.trait_code[i, t] = len(states) - 1 if answer is None else answer - low
            table = [
                [int(trait_value(spec, x, y) * self.trait_den) for y in states] for x in states
            ]
            self.trait_table.append(np.array(table, np.int32).ravel())
            self.trait_states.append(len(states))
            if spec.rule == "avoid_both_extreme":
                # The answer's state is a clash state when it is one of the two ends.
                ends = np.array([s is not None and s in (low, high) for s in states], bool)
                self.extreme_states.append((t, ends))
        full = self.trait_den * max(1, len(specs))
        values = [Fraction(k, full) for k in range(full + 1)] if specs else [Fraction(1, 2)]
        self.trait_points = points_table(w.traits, values)

        self.pri, self.strg = _set_matrices([c.priorities for c in cs], [c.strengths for c in cs])
        self.npri = self.pri.sum(1).astype(np.int32)
        self.nstr = self.strg.sum(1).astype(np.int32)
        self.inv_pri = 1 / np.maximum(self.npri, 1)
        self.mod, self.time = _set_matrices([c.modalities for c in cs], [c.times for c in cs])
        self.mod_known = self.mod.sum(1) > 0
        self.time_known = self.time.sum(1) > 0
        self.preference_points = points_table(w.preferences, (Fraction(k, 4) for k in range(5)))
        self.role_points = {
            one_way: points_table(w.roles, (Fraction(q, 4) for q in quarters))
            for one_way, quarters in ROLE_QUARTERS.items()
        }

        self.rank = np.array([-1 if c.role_level is None else c.role_level for c in cs], np.int32)
        den = self.level_den = max(1, role_levels(cs, rules) - 1)
        by_gap = [Fraction(g, den) for g in range(den + 1)]
        if rules.seniority == "similar":
            by_gap = [1 - v for v in by_gap]
        self.seniority_points = points_table(w.seniority, by_gap + [Fraction(1, 2)])

        # Forbidden pairs as sorted codes row * n + col, both directions; row i's partners
        # are forbidden_to[forbidden_ptr[i]:forbidden_ptr[i + 1]].
        pairs = [p for p in rules.forbidden if len(p) == 2]
        ends = np.fromiter(chain.from_iterable(pairs), np.int64, 2 * len(pairs)).reshape(-1, 2)
        ids = np.array([c.id for c in cs], np.int64)
        by_id = np.argsort(ids)
        at = np.minimum(np.searchsorted(ids[by_id], ends), max(n - 1, 0))
        known = (ids[by_id][at] == ends).all(1) if n else np.zeros(len(ends), bool)
        ends = by_id[at[known]] if n else ends[:0]
        codes = np.sort(np.concatenate([ends @ [n, 1], ends @ [1, n]]))
        self.forbidden_codes = codes[np.diff(codes, prepend=-1) != 0]
        self.forbidden_ptr = np.searchsorted(self.forbidden_codes // max(n, 1), np.arange(n + 1))
        self.forbidden_to = self.forbidden_codes % max(n, 1)

    # -- feasibility ----------------------------------------------------------------------

    def feasible(self, rows, cols) -> np.ndarray:
        """True where the two may be together under the pair rules (roles aside)."""
        ok = rows != cols
        for codes, rule in (
            (self.group, self.rules.different_group),
            (self.community, self.rules.cross_community),
        ):
            if rule:
                a, b = codes[rows], codes[cols]
                ok = ok & ((a < 0) | (a != b))
        if self.forbidden_codes.size:
            ok = ok & ~self.forbidden(rows, cols)
        return ok

    def forbidden(self, rows, cols) -> np.ndarray:
        """True where the pair is marked never together (or were partners before)."""
        if rows.ndim == 1:
            return np.isin(rows * self.n + cols, self.forbidden_codes)
        r, c = rows[:, 0], cols[0]
        mask = np.zeros((r.size, c.size), bool)
        position = np.full(self.n, -1)
        position[c] = np.arange(c.size)
        starts = self.forbidden_ptr[r]
        counts = self.forbidden_ptr[r + 1] - starts
        at_row = np.repeat(np.arange(r.size), counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        hit = position[self.forbidden_to[np.repeat(starts, counts) + offsets]]
        mask[at_row[hit >= 0], hit[hit >= 0]] = True
        return mask

    def allowed(self, rows, cols) -> np.ndarray:
        """True where the two may be paired: the pair rules, and for one_way some orientation."""
        ok = self.feasible(rows, cols)
        if self.rules.format == "one_way":
            ok &= self.orientation_ok(rows, cols) | self.orientation_ok(cols, rows)
        return ok

    def orientation_ok(self, coaches, coachees) -> np.ndarray:
        """one_way: the coach does not insist on being coached and vice versa."""
        return (self.role[coaches] != COACHEE) & (self.role[coachees] != COACH)

    def clash(self, rows, cols) -> np.ndarray:
        """True where both are at the same extreme of an "avoid" question."""
        out = np.zeros(np.broadcast_shapes(rows.shape, cols.shape), bool)
        for t, ends in self.extreme_states:
            a, b = self.trait_code[rows, t], self.trait_code[cols, t]
            out |= (a == b) & ends[a]
        return out

    @property
    def clash_is_hard(self) -> bool:
        return bool(self.extreme_states) and self.rules.avoid_extremes_hard

    # -- scores ---------------------------------------------------------------------------

    def components(self, rows, cols, forward: bool | None) -> dict[str, np.ndarray]:
        """Points per component. forward=None: reciprocal-style (both directions);
        True: rows coach cols; False: cols coach rows."""
        return {
            "traits": self.traits(rows, cols),
            "goals": self.goals(rows, cols, forward),
            "roles": self.roles(rows, cols, forward),
            "preferences": self.preferences(rows, cols),
            "seniority": self.seniority(rows, cols),
        }

    def symmetric(self, rows, cols) -> np.ndarray:
        """The components that do not depend on who coaches whom."""
        total = self.traits(rows, cols).astype(np.int32)
        total += self.preferences(rows, cols)
        total += self.seniority(rows, cols)
        return total

    def score(self, rows, cols, forward: bool | None, symmetric=None) -> np.ndarray:
        total = self.symmetric(rows, cols) if symmetric is None else symmetric.copy()
        total += self.goals(rows, cols, forward)
        total += self.roles(rows, cols, forward)
        return total

    def pair_weights(self, rows, cols) -> np.ndarray:
        """Best allowed score of each pair (best orientation for one_way); -1 if not allowed."""
        ok = self.feasible(rows, cols)
        if self.rules.format != "one_way":
            return np.where(ok, self.score(rows, cols, None), -1)
        both = self.symmetric(rows, cols)
        forward = ok & self.orientation_ok(rows, cols)
        backward = ok & self.orientation_ok(cols, rows)
        best = np.where(forward, self.score(rows, cols, True, both), -1)
        return np.maximum(best, np.where(backward, self.score(rows, cols, False, both), -1))

    def blocks(self, rows: np.ndarray, cols: np.ndarray):
        """Yield (start, row-block shaped (r, 1), cols shaped (1, m)) covering rows x cols."""
        step = max(1, BLOCK_CELLS // max(1, cols.size))
        for start in range(0, rows.size, step):
            yield start, rows[start : start + step, None], cols[None, :]

    def _overlap(self, a, rows, b, cols) -> np.ndarray:
        """|A_row ∩ B_col| for each pair, from 0/1 matrices."""
        if rows.ndim == 2:
            return a[rows[:, 0]] @ b[cols[0]].T
        return (a[rows] * b[cols]).sum(1)

    def traits(self, rows, cols) -> np.ndarray:
        total = np.zeros(np.broadcast_shapes(rows.shape, cols.shape), np.int32)
        for t, (table, states) in enumerate(zip(self.trait_table, self.trait_states, strict=True)):
            total += table[self.trait_code[rows, t] * states + self.trait_code[cols, t]]
        return self.trait_points[total]

    def _goal_direction(self, offered, shared, union, coach, coachee) -> np.ndarray:
        """How well the coach's strengths cover the coachee's priorities, as float64 0..1.

        A coach without strengths counts shared priorities (Jaccard) instead; a coachee
        without priorities gives 1/2.
        """
        cover = offered * self.inv_pri[coachee]
        value = np.where(self.nstr[coach] > 0, cover, shared / np.maximum(union, 1))
        return np.where(self.npri[coachee] == 0, 0.5, value)

    def goals(self, rows, cols, forward) -> np.ndarray:
        shared = self._overlap(self.pri, rows, self.pri, cols).astype(np.float64)
        union = self.npri[rows] + self.npri[cols] - shared
        value = 0.0
        if forward is None or forward:
            offered = self._overlap(self.strg, rows, self.pri, cols)
            value = value + self._goal_direction(offered, shared, union, rows, cols)
        if not forward:
            offered = self._overlap(self.pri, rows, self.strg, cols)
            value = value + self._goal_direction(offered, shared, union, cols, rows)
        scale = self.weights.goals * (5 if forward is None else 10)
        return np.floor(value * scale + (0.5 + 1e-9)).astype(np.int16)

    def roles(self, rows, cols, forward) -> np.ndarray:
        return self.role_points[forward is not None][self.flexible[rows] + self.flexible[cols]]

    def preferences(self, rows, cols) -> np.ndarray:
        # Halves per aspect: 1 when either gave nothing, 2 when they share one, else 0.
        quarters = 0
        for sets, known in ((self.mod, self.mod_known), (self.time, self.time_known)):
            shared = self._overlap(sets, rows, sets, cols) > 0
            quarters = quarters + np.where(known[rows] & known[cols], 2 * shared, 1)
        return self.preference_points[quarters]

    def seniority(self, rows, cols) -> np.ndarray:
        a, b = self.rank[rows], self.rank[cols]
        gap = np.minimum(np.abs(a - b), self.level_den)
        return self.seniority_points[np.where((a < 0) | (b < 0), self.level_den + 1, gap)]
