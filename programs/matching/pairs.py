"""Pairs: maximum-cardinality, maximum-score matching, and the greedy baseline.

Objective everywhere (optimiser, tests' oracles): first the number of people matched, then
the total score. Three ways to reach it:

- one_way where nobody is flexible: a bipartite assignment (scipy), exact;
- up to FULL_GRAPH_LIMIT people: blossom on every allowed pair (rustworkx), exact;
- above: blossom on a candidate graph: each person's CANDIDATE_K best allowed partners, plus
  every pair whose reduced cost under the prices of the fractional-matching LP (HiGHS, on
  those nearest pairs) is at most REDUCED_COST_SLACK points. The LP prices say which pairs
  an optimum can use, where plain nearness misses some (an optimal partner can rank 90th).
  On every generated instance checked against the certified optimum (bench/matching.py,
  2,000 to 5,000 people) the result was the optimum; it is not proven optimal in general.
"""

import numpy as np

from .datatypes import Proposal, Unmatched
from .explain import build_groups
from .reasons import no_partner, odd_one_out
from .scoring import BOTH, COACH, COACHEE, Pool

FULL_GRAPH_LIMIT = 600  # full graph: 0.6 s at 600 people, 4 s at 1,000 (candidate graph: 0.3 s)
CANDIDATE_K = 20
REDUCED_COST_SLACK: float | None = 4  # None: nearest pairs only
MORE_EDGES = 1_000_000  # extra edges at most when people are left over on the candidate graph
# Added to a pair that keeps the "avoid the same extreme" rule, in the int16 weight matrix:
# above any pair score (at most 500), so such pairs rank first everywhere a matrix is read.
CLEAR = 1024


def weight_matrix(pool: Pool, rows: np.ndarray, cols: np.ndarray, report=None) -> np.ndarray:
    """Best allowed pair score for rows x cols (int16, -1 where not allowed).

    When the "avoid the same extreme" rule is hard, pairs that keep it carry CLEAR more;
    `_split` takes the two apart again.
    """
    out = np.empty((rows.size, cols.size), np.int16)
    hard = pool.clash_is_hard
    for start, r, c in pool.blocks(rows, cols):
        weights = pool.pair_weights(r, c)
        if hard:
            weights = np.where((weights >= 0) & ~pool.clash(r, c), weights + CLEAR, weights)
        out[start : start + r.shape[0]] = weights
        if report:
            report(start + r.shape[0], rows.size)
    return out


def _split(pool: Pool, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(score, keeps the rule) of allowed entries of a `weight_matrix`."""
    weights = np.asarray(weights, np.int64)
    if not pool.clash_is_hard:
        return weights, np.ones(weights.shape, bool)
    clear = weights >= CLEAR
    return weights - CLEAR * clear, clear


def _rule_bonus(pool: Pool, edges: int) -> int:
    """Worth more than any score a matching of `edges` pairs can gain: keeping the rule in
    one more pair always beats points, and the matching size still comes first."""
    return (10 * sum(vars(pool.weights).values()) + 1) * max(1, edges) + 1


def _blossom(pool: Pool, us, vs, ws) -> list[tuple[int, int]]:
    import rustworkx as rx

    n = pool.n
    score, clear = _split(pool, ws)
    # Objective, in order: most pairs (max_cardinality), fewest pairs at the same extreme
    # (the bonus), then the total score. +1: every allowed edge weighs > 0; with
    # max_cardinality all optima have the same number of edges, so it changes no winner.
    weights = score + 1 + clear * _rule_bonus(pool, n // 2)
    graph = rx.PyGraph(multigraph=False)
    graph.add_nodes_from(range(n))
    graph.add_edges_from(list(zip(us.tolist(), vs.tolist(), weights.tolist(), strict=True)))
    matching = rx.max_weight_matching(graph, max_cardinality=True, weight_fn=int)
    return sorted((min(a, b), max(a, b)) for a, b in matching)


def _assignment(pool: Pool, report) -> tuple[list[tuple[int, int]], np.ndarray]:
    from scipy.optimize import linear_sum_assignment

    coaches = np.flatnonzero(pool.role == COACH)
    coachees = np.flatnonzero(pool.role == COACHEE)
    weights = weight_matrix(pool, coaches, coachees, report)
    allowed = weights >= 0
    score, clear = _split(pool, weights)
    # BIG outweighs any sum of scores and rule bonuses, so the assignment first maximises
    # allowed pairs, then the pairs that keep the "avoid the same extreme" rule, then scores.
    edges = min(coaches.size, coachees.size)
    bonus = _rule_bonus(pool, edges) if pool.clash_is_hard else 0
    big = (int(score.max(initial=0)) + bonus) * edges + 1
    value = np.where(allowed, (score + clear * bonus).astype(np.float64) + big, 0.0)
    rows, cols = linear_sum_assignment(value, maximize=True)
    keep = allowed[rows, cols]
    pairs = list(zip(coaches[rows[keep]].tolist(), coachees[cols[keep]].tolist(), strict=True))
    degree = np.zeros(pool.n, np.int64)
    degree[coaches] = allowed.sum(1)
    degree[coachees] = allowed.sum(0)
    return pairs, degree


def _full_graph(pool: Pool, report) -> tuple[list[tuple[int, int]], np.ndarray]:
    everyone = np.arange(pool.n)
    weights = weight_matrix(pool, everyone, everyone, report)
    us, vs = np.nonzero(np.triu(weights >= 0, 1))
    degree = (weights >= 0).sum(1)
    return _blossom(pool, us, vs, weights[us, vs].astype(np.int64)), degree


def _nearest(weights: np.ndarray, rows: np.ndarray, k: int):
    """(u, v, w): each row's k best allowed partners (ties: as argpartition leaves them)."""
    n = weights.shape[1]
    kk = min(k, n - 1)
    us, vs, ws = [], [], []
    step = max(1, 1_000_000 // max(1, n))
    for start in range(0, rows.size if kk > 0 else 0, step):
        block_rows = rows[start : start + step]
        block = weights[block_rows]
        best = np.argpartition(-block, kk - 1, axis=1)[:, :kk]
        w = np.take_along_axis(block, best, 1)
        keep = w >= 0
        us.append(np.broadcast_to(block_rows[:, None], best.shape)[keep])
        vs.append(best[keep])
        ws.append(w[keep])
    return tuple(np.concatenate(a) if a else np.zeros(0, np.int64) for a in (us, vs, ws))


def _lp_prices(n: int, us, vs, ws) -> np.ndarray | None:
    """Optimal prices of the fractional-matching LP on the given pairs, None if unsolved."""
    from scipy import sparse
    from scipy.optimize import linprog

    m = us.size
    if not m:
        return None
    degree = sparse.csr_array(
        (np.ones(2 * m), (np.concatenate([us, vs]), np.tile(np.arange(m), 2))), shape=(n, m)
    )
    lp = linprog(
        -ws.astype(np.float64),
        A_ub=degree,
        b_ub=np.ones(n),
        bounds=(0, None),
        method="highs-ipm",
    )
    return -lp.ineqlin.marginals if lp.status == 0 else None


def _near_prices(weights: np.ndarray, prices: np.ndarray, slack: float):
    """(u, v, w), u < v: allowed pairs with prices[u] + prices[v] - w <= slack."""
    n = weights.shape[0]
    us, vs = [], []
    step = max(1, 1_000_000 // max(1, n))
    for start in range(0, n, step):
        block = weights[start : start + step]
        reduced = prices[start : start + step, None] + prices[None, :] - block
        upper = np.arange(n)[None, :] > np.arange(start, start + block.shape[0])[:, None]
        u, v = np.nonzero((reduced <= slack + 1e-6) & (block >= 0) & upper)
        us.append(u + start)
        vs.append(v)
    us, vs = np.concatenate(us), np.concatenate(vs)
    return us, vs, weights[us, vs]


def _merge(edges, more, n):
    return _dedupe(*(np.concatenate([a, b]) for a, b in zip(edges, more, strict=True)), n)


def _cover_certifies(pool: Pool, stranded: np.ndarray, pair_count: int) -> bool:
    """True when the matching provably has the most pairs possible: the allowed partners X
    of the people left over touch every allowed pair (nobody outside X may pair with anyone
    outside X) and |X| equals the number of pairs, so no matching can have more.

    This is the usual shape of a structural surplus: more Faculty than Students under the
    cross-community rule, more would-be coaches than coachees.
    """
    everyone = np.arange(pool.n)
    partners = np.zeros(pool.n, bool)
    for _, r, c in pool.blocks(stranded, everyone):
        partners |= pool.allowed(r, c).any(0)
    if partners.sum() != pair_count:
        return False
    rest = np.flatnonzero(~partners)
    return not any(pool.allowed(r, c).any() for _, r, c in pool.blocks(rest, rest))


def _candidate_graph(
    pool: Pool, block_progress, report
) -> tuple[list[tuple[int, int]], np.ndarray, str]:
    """Blossom on the candidate graph; returns (pairs, allowed partners each, method)."""
    n = pool.n
    everyone = np.arange(n)
    # Kept whole (n * n int16: 50 MB at 5,000 people): read three times below.
    weights = weight_matrix(pool, everyone, everyone, block_progress)
    degree = (weights >= 0).sum(1)
    edges = _dedupe(*_nearest(weights, everyone, CANDIDATE_K), n)
    method = f"rustworkx blossom on candidate graph: {CANDIDATE_K} nearest"
    prices = None if REDUCED_COST_SLACK is None else _lp_prices(n, *edges)
    report(65)
    if prices is not None:
        edges = _merge(edges, _near_prices(weights, prices, REDUCED_COST_SLACK), n)
        method += f" + LP reduced cost <= {REDUCED_COST_SLACK}"
    pairs = _blossom(pool, *edges)
    matched = {x for p in pairs for x in p}
    stranded = np.array([u for u in range(n) if u not in matched and degree[u] > 0], np.int64)
    if stranded.size < 2 or _cover_certifies(pool, stranded, len(pairs)):
        return pairs, degree, method
    # The candidate graph may have missed an augmenting path: give the people left over
    # more of their edges (all of them while that stays small) and solve once more.
    more_k = n if stranded.size * n <= MORE_EDGES else MORE_EDGES // stranded.size
    edges = _merge(edges, _nearest(weights, stranded, more_k), n)
    pairs = _blossom(pool, *edges)
    return pairs, degree, method + f", re-solved with more edges for {stranded.size} left over"


def _dedupe(us, vs, ws, n):
    us, vs, ws = (np.asarray(a, np.int64) for a in (us, vs, ws))
    low, high = np.minimum(us, vs), np.maximum(us, vs)
    _, first = np.unique(low * n + high, return_index=True)
    return low[first], high[first], ws[first]


def _orient(pool: Pool, pairs: list[tuple[int, int]]) -> list[list[int]]:
    """one_way: coach first, taking the allowed orientation with the higher score."""
    if not pairs:
        return []
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    forward = np.where(pool.orientation_ok(a, b), pool.score(a, b, True), -1)
    backward = np.where(pool.orientation_ok(b, a), pool.score(a, b, False), -1)
    flip = backward > forward
    return [[y, x] if f else [x, y] for x, y, f in zip(a.tolist(), b.tolist(), flip, strict=True)]


def _proposal(pool: Pool, pairs, degree, method: str) -> Proposal:
    one_way = pool.rules.format == "one_way"
    members = _orient(pool, pairs) if one_way else [list(p) for p in pairs]
    groups = build_groups(pool, members, True if one_way else None, fallback=True)
    matched = {x for p in pairs for x in p}
    unmatched = tuple(
        Unmatched(
            pool.candidates[u].id,
            odd_one_out(int(degree[u]), pool.candidates[u].preferred_role if one_way else None)
            if degree[u] > 0
            else no_partner(pool, u),
        )
        for u in range(pool.n)
        if u not in matched
    )
    groups = tuple(sorted(groups, key=lambda g: g.members))
    return Proposal(groups, unmatched, sum(g.score for g in groups), method)


def propose_pairs(pool: Pool, report) -> Proposal:
    """Max-cardinality, then max-score pairs (exact except on the candidate-graph path)."""
    n = pool.n

    def block_progress(done, total):
        report(5 + 45 * done // max(1, total))

    if pool.rules.format == "one_way" and not (pool.role == BOTH).any():
        pairs, degree = _assignment(pool, block_progress)
        method = "scipy linear_sum_assignment (exact)"
    elif n <= FULL_GRAPH_LIMIT:
        pairs, degree = _full_graph(pool, block_progress)
        method = "rustworkx blossom, full graph (exact)"
    else:
        pairs, degree, method = _candidate_graph(pool, block_progress, report)
    report(90)
    return _proposal(pool, pairs, degree, method)


def greedy_pairs(pool: Pool) -> Proposal:
    """Repeatedly take the best remaining allowed pair (ties: lowest indices first)."""
    n = pool.n
    everyone = np.arange(n)
    cells = n * n
    top = 10 * sum(vars(pool.rules.weights).values()) + 1
    keys, degree = [], np.zeros(n, np.int64)
    for start, r, c in pool.blocks(everyone, everyone):
        weights = pool.pair_weights(r, c)
        degree[start : start + r.shape[0]] = (weights >= 0).sum(1)
        us, vs = np.nonzero((weights >= 0) & (c > r))
        # One sortable int64 per edge: best weight first, then lowest (u, v).
        keys.append((top - weights[us, vs]).astype(np.int64) * cells + (us + start) * n + vs)
    order = np.sort(np.concatenate(keys)) if keys else np.zeros(0, np.int64)
    free = [True] * n
    pairs = []
    while order.size:
        head, order = order[: 4 * n], order[4 * n :]
        for key in head.tolist():
            u, v = divmod(key % cells, n)
            if free[u] and free[v]:
                free[u] = free[v] = False
                pairs.append((u, v))
        # Drop edges that touch someone already matched before scanning further.
        rest = order % cells
        alive = np.array(free)
        order = order[alive[rest // n] & alive[rest % n]]
    return _proposal(pool, sorted(pairs), degree, "greedy: best remaining pair first")
