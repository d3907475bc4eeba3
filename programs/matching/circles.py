"""Circles: equal sizes (within one), every pair inside allowed, high total pair score.

A greedy seed lets the hardest-to-place people (fewest allowed partners) each start a
circle, then places the others, hardest first, into the circle with room where they add
the most; local search then moves and swaps members between circles while that raises
the total and keeps every hard rule. Both steps are deterministic (no time limit: a bound
on passes instead), so the same input always gives the same circles.
"""

import numpy as np

from .datatypes import CIRCLE_MAX, CIRCLE_MIN, Proposal, Unmatched
from .explain import build_groups
from .reasons import TOO_FEW_FOR_CIRCLE, no_partner, not_placed
from .scoring import Pool

MAX_PASSES = 30


CLASH_COST = 1000  # int16-safe: pair scores are 0..500
MORE_CIRCLES = 10  # circles opened at most beyond the plan while people are left out


def split_sizes(n: int, k: int) -> list[int]:
    q, r = divmod(n, k)
    return [q + 1] * r + [q] * (k - r)


def circle_sizes(n: int, target: int) -> list[int]:
    """Sizes differing by at most one, each in 3..8, about n / target circles."""
    if n < CIRCLE_MIN:
        return []
    target = min(CIRCLE_MAX, max(CIRCLE_MIN, target))
    k = max(1, (2 * n + target) // (2 * target))  # round(n / target), halves up
    while -(-n // k) > CIRCLE_MAX:
        k += 1
    while k > 1 and n // k < CIRCLE_MIN:
        k -= 1
    return split_sizes(n, k)


def pair_matrices(pool: Pool, report) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(score, not allowed, same extreme) for every two people, as n x n int16 matrices."""
    n = pool.n
    everyone = np.arange(n)
    w = np.empty((n, n), np.int16)  # a pair scores at most 500
    bad = np.empty((n, n), np.int16)
    clash = np.zeros((n, n), np.int16)
    for start, r, c in pool.blocks(everyone, everyone):
        end = start + r.shape[0]
        w[start:end] = pool.score(r, c, None)
        bad[start:end] = ~pool.feasible(r, c)
        if pool.clash_is_hard:
            clash[start:end] = pool.clash(r, c)
        report(5 + 35 * end // n)
    for matrix in (w, bad, clash):
        np.fill_diagonal(matrix, 0)
    return w, bad, clash


class Circles:
    """Membership plus, per person and circle, the summed score and conflict count."""

    def __init__(self, w: np.ndarray, bad: np.ndarray, sizes: list[int]):
        n, k = w.shape[0], len(sizes)
        self.w, self.bad = w, bad
        self.capacity = list(sizes)
        self.members: list[list[int]] = [[] for _ in range(k)]
        self.size = np.zeros(k, np.int64)
        self.where = np.full(n, -1)
        # Per circle c and person p (circle-major, rows contiguous; w and bad are symmetric):
        # gain[c, p] = sum of w[p, m] and conflicts[c, p] = sum of bad[p, m] over c's members.
        self.gain = np.zeros((k, n), np.int32)  # at most 8 members x 500 points
        self.conflicts = np.zeros((k, n), np.int32)
        self.own = np.zeros(n, np.int32)  # own[p] = gain[where[p], p]; 0 when not placed

    def add(self, p: int, c: int):
        self.members[c].append(p)
        self.size[c] += 1
        self.where[p] = c
        self.gain[c] += self.w[p]
        self.conflicts[c] += self.bad[p]
        self.own[self.members[c]] = self.gain[c, self.members[c]]

    def remove(self, p: int):
        c = self.where[p]
        self.members[c].remove(p)
        self.size[c] -= 1
        self.where[p] = -1
        self.gain[c] -= self.w[p]
        self.conflicts[c] -= self.bad[p]
        self.own[self.members[c]] = self.gain[c, self.members[c]]
        self.own[p] = 0

    def sizes(self) -> np.ndarray:
        return self.size.copy()

    def total(self) -> int:
        placed = np.flatnonzero(self.where >= 0)
        return int(self.gain[self.where[placed], placed].sum()) // 2

    def place(self, p: int, limit: np.ndarray) -> bool:
        """Into the allowed circle below `limit` where p adds most; False if none."""
        ok = (self.size < limit) & (self.conflicts[:, p] == 0)
        if not ok.any():
            return False
        self.add(p, int(np.argmax(np.where(ok, self.gain[:, p], np.iinfo(np.int32).min))))
        return True

    def place_by_ejecting(self, p: int, limit: np.ndarray) -> bool:
        """Put p in place of a member q who moves on to another circle with room (below
        `limit`); circles where p adds most are tried first. False if no such chain."""
        lowest = np.iinfo(np.int32).min
        room = self.size < limit
        for c in np.argsort(-self.gain[:, p], kind="stable").tolist():
            if self.conflicts[c, p] > 1:
                continue
            members = self.members[c]
            if self.conflicts[c, p] == 1:
                members = [q for q in members if self.bad[p, q]]
            for q in members:
                targets = room & (self.conflicts[:, q] == 0)
                targets[c] = False
                if targets.any():
                    self.remove(q)
                    self.add(q, int(np.argmax(np.where(targets, self.gain[:, q], lowest))))
                    self.add(p, c)
                    return True
        return False

    def seed(self, order: np.ndarray) -> list[int]:
        """Greedy placement; returns who could not be placed anywhere."""
        capacity = np.array(self.capacity)
        largest = np.full(len(capacity), CIRCLE_MAX)
        left = []
        # The hardest to place each start a circle, so every planned circle gets used.
        for c, p in enumerate(order[: len(capacity)].tolist()):
            self.add(p, c)
        for p in order[len(capacity) :].tolist():
            # Planned sizes first; a circle may grow up to the maximum only when no chain of
            # one move makes room.
            if not any(
                attempt(p, limit)
                for limit in (capacity, largest)
                for attempt in (self.place, self.place_by_ejecting)
            ):
                left.append(p)
        # A circle left with fewer than three people is dissolved into the others.
        for c, size in enumerate(self.sizes().tolist()):
            if 0 < size < CIRCLE_MIN:
                for p in list(self.members[c]):
                    self.remove(p)
                    capacity[c] = 0
                    largest[c] = 0
                    if not self.place(p, largest):
                        left.append(p)
        self.balance()
        return sorted(left)

    def place_relaxed(self, people: list[int], loose: np.ndarray) -> list[int]:
        """Place people the strict rules left out into a circle where only the looser rules
        hold (the "same extreme" rule gives way for them alone, not for everyone); returns
        who still cannot be placed."""
        left = []
        lowest = np.iinfo(np.int32).min
        for p in people:
            relaxed = np.array([int(loose[p, m].sum()) if m else 0 for m in self.members])
            for limit in (np.array(self.capacity), np.full(len(self.capacity), CIRCLE_MAX)):
                ok = (self.size > 0) & (self.size < limit) & (relaxed == 0)
                if ok.any():
                    self.add(p, int(np.argmax(np.where(ok, self.gain[:, p], lowest))))
                    break
            else:
                left.append(p)
        self.balance()
        return sorted(left)

    def balance(self):
        """Move people from the largest circles to the smallest (best score change first)
        until sizes differ by at most one, as far as the hard rules allow."""
        while True:
            sizes = self.sizes()
            alive = sizes > 0
            if not alive.any():
                return
            small = np.flatnonzero(alive & (sizes == sizes[alive].min()))
            big = np.flatnonzero(sizes == sizes.max())
            if sizes.max() - sizes[alive].min() <= 1:
                return
            best = None
            for b in big:
                for p in self.members[b]:
                    for s in small:
                        if self.conflicts[s, p] == 0:
                            delta = self.gain[s, p] - self.gain[b, p]
                            if best is None or delta > best[0]:
                                best = (delta, p, s)
            if best is None:
                return
            self.remove(best[1])
            self.add(best[1], int(best[2]))

    def improve(self, report):
        """Best-improvement moves and swaps per person until no gain or MAX_PASSES."""
        for done in range(MAX_PASSES):
            improved = False
            for a in np.flatnonzero(self.where >= 0).tolist():
                improved |= self._improve_one(a)
            report(40 + 50 * (done + 1) // MAX_PASSES)
            if not improved:
                return

    def _improve_one(self, a: int) -> bool:
        home = self.where[a]
        there = self.where
        placed = (there >= 0) & (there != home)
        other = np.where(placed, there, 0)
        # a's column is gathered first: reading gain[other, a] directly jumps across rows.
        gain_a, conflicts_a = self.gain[:, a], self.conflicts[:, a]
        # Swap a <-> b: a joins b's circle without b, b joins a's without a.
        swap = gain_a[other] - 2 * self.w[a] - gain_a[home] + self.gain[home] - self.own
        allowed = (
            placed
            & (conflicts_a[other] - self.bad[a] == 0)
            & (self.conflicts[home] - self.bad[a] == 0)
        )
        swap = np.where(allowed, swap, 0)
        b = int(np.argmax(swap))
        sizes = self.size
        # Move a to a smaller circle: the multiset of sizes stays the same.
        can_move = (sizes < sizes[home]) & (sizes > 0) & (conflicts_a == 0)
        move = np.where(can_move, gain_a - gain_a[home], 0)
        c = int(np.argmax(move))
        if move[c] > 0 and move[c] >= swap[b]:
            self.remove(a)
            self.add(a, c)
            return True
        if swap[b] > 0:
            target = int(there[b])
            self.remove(a)
            self.remove(b)
            self.add(a, target)
            self.add(b, int(home))
            return True
        return False


def propose_circles(pool: Pool, report, improve: bool = True) -> Proposal:
    """Circles under the hard rules; with `improve=False` only the greedy seed.

    The "avoid the same extreme" rule is kept whenever the planned circles allow it, and
    otherwise gives way (each such pair flagged). When the planned circles leave people out,
    more circles are opened (smaller, still 3 to 8 members) before anyone is left waiting.
    """
    n = pool.n
    planned = circle_sizes(n, pool.rules.circle_size)
    if not planned:
        unmatched = tuple(Unmatched(c.id, TOO_FEW_FOR_CIRCLE) for c in pool.candidates)
        return Proposal((), unmatched, 0, "none: too few people")
    w, bad, clash = pair_matrices(pool, report)
    strict = [bad | clash] if pool.clash_is_hard and clash.any() else []
    if strict:
        # Where the rule must give way, placement and local search still avoid every pair
        # at the same extreme they can: one costs more than any pair can score (500).
        w = w - CLASH_COST * clash
    best = None
    # The planned sizes come first: circles do not shrink to keep the "avoid the same
    # extreme" rule (it gives way, flagged, inside the plan); more circles are opened only
    # when people would otherwise wait.
    last = min(n // CIRCLE_MIN, len(planned) + MORE_CIRCLES)
    for k in range(len(planned), last + 1):
        sizes = planned if k == len(planned) else split_sizes(n, k)
        for conflicts in [*strict, bad]:
            # Hardest first: people with the fewest allowed partners; ties by id (pool order).
            order = np.argsort((conflicts == 0).sum(1), kind="stable")
            circles = Circles(w, conflicts, sizes)
            left = circles.seed(order)
            if left and conflicts is not bad:
                left = circles.place_relaxed(left, bad)
            # Fewest left out, then the planned sizes kept; ties keep the stricter attempt.
            planned_kept = sorted(s for s in circles.sizes().tolist() if s) == sorted(sizes)
            key = (len(left), not planned_kept)
            if best is None or key < best[0]:
                best = (key, circles, left, k)
            if key == (0, False):
                break
        if best[0] == (0, False):
            break
    _key, circles, left, k = best
    degree = (bad == 0).sum(1) - 1  # allowed partners, for the reasons of those left out
    if improve:
        circles.improve(report)
    members = [sorted(m) for m in circles.members if m]
    groups = tuple(
        sorted(build_groups(pool, members, None, fallback=True), key=lambda g: g.members)
    )
    unmatched = tuple(
        Unmatched(
            pool.candidates[p].id,
            no_partner(pool, p) if degree[p] == 0 else not_placed(pool.rules),
        )
        for p in left
    )
    method = "greedy seed + local search" if improve else "greedy seed (no local search)"
    if k > len(planned):
        method += f", {k - len(planned)} more circle{'s' if k - len(planned) > 1 else ''} opened"
    return Proposal(groups, unmatched, sum(g.score for g in groups), method)
