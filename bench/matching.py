"""Matching: wall time, score and peak memory of `programs.matching.propose` at scale.

Generated applicants: 5 work-personality traits (1-5 scales, mixed rules), 12 groups,
2 communities, 5 role levels, 8 priority topics with strengths, 3 modalities, 3 times of day;
the different-group rule on and 2 % of all pairs forbidden (previous partners / never
together). Role preferences: "open" (everyone says both: reciprocal and circles), "mixed"
(45 % coach, 45 % coachee, 10 % both) and "strict" (nobody says both: the exact assignment).
Each run is its own subprocess, so its peak RSS (taken right after `propose`) is its own.

Two of the five traits are "never two at the same extreme", a hard rule: `propose` keeps it
wherever that leaves nobody waiting, so its score may be below the points-only optimum
(the column "optimum" is the best score with that rule taken as a mere penalty); the last
column counts the pairs where the rule had to give way.

For pairs the bench also certifies the optimum: the fractional-matching LP (HiGHS), grown
by column generation until its prices cover every allowed pair and tightened with odd-set
rows while its solution has odd fractional cycles, bounds every matching; a pair whose
reduced cost exceeds (bound - propose's score) is in no better matching, so a blossom on the
remaining pairs is exact. one_way without flexible people is exact by the assignment itself.

Run: .venv/bin/python bench/matching.py [--sizes 500 2000 5000] [--no-optimum]  (~3 min)
Last line: RESULT reciprocal_5000_s=... score=... optimum=... greedy=... one_way_5000_s=...
"""

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# Run as a script, bench/ comes first on sys.path, where http.py would shadow the standard
# library's `http`; the project root is what this script needs instead.
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [str(BASE_DIR)] + [p for p in sys.path if str(Path(p or ".").resolve()) != _HERE]

import numpy as np  # noqa: E402

from programs.matching import (  # noqa: E402
    Candidate,
    Rules,
    TraitSpec,
    Weights,
    greedy,
    propose,
)

TRAITS = (
    TraitSpec("q1", "Pace of work", "similar"),
    TraitSpec("q2", "Need for control", "avoid_both_extreme"),
    TraitSpec("q3", "Attention to detail", "different"),
    TraitSpec("q4", "Appetite for risk", "similar"),
    TraitSpec("q5", "Directness", "avoid_both_extreme"),
)
TOPICS = (
    "Delegation",
    "Career mapping",
    "Feedback",
    "Time management",
    "Networking",
    "Public speaking",
    "Conflict",
    "Strategy",
)
LEVELS = ("Individual contributor", "Senior", "Lead", "Manager", "Director")
ROLE_MIX = {
    "mixed": (0.45, 0.45, 0.10),  # coach, coachee, both
    "strict": (0.5, 0.5, 0.0),
    "open": (0.0, 0.0, 1.0),
}
FORBIDDEN_SHARE = 0.02


def generate(n: int, fmt: str, mix: str, seed: int = 7) -> tuple[list[Candidate], Rules]:
    rnd = random.Random(seed * 100_003 + n)
    candidates = []
    for i in range(n):
        level = rnd.choices(range(5), (35, 25, 20, 15, 5))[0]
        candidates.append(
            Candidate(
                id=i + 1,
                name=f"Person {i + 1}",
                group=f"Group {rnd.randrange(12)}",
                community=rnd.choice(("Faculty", "Students")),
                role_level=level,
                role_level_label=LEVELS[level],
                preferred_role=rnd.choices(("coach", "coachee", "both"), ROLE_MIX[mix])[0],
                traits={t.key: rnd.randint(1, 5) for t in TRAITS if rnd.random() < 0.97},
                priorities=frozenset(rnd.sample(TOPICS, rnd.randint(1, 3))),
                strengths=frozenset(rnd.sample(TOPICS, rnd.randint(0, 3))),
                modalities=frozenset(rnd.sample(("Zoom", "In person", "Phone"), rnd.randint(1, 2))),
                times=frozenset(rnd.sample(("Morning", "Lunchtime", "Evening"), rnd.randint(1, 2))),
            )
        )
    forbidden = set()
    while len(forbidden) < FORBIDDEN_SHARE * n * (n - 1) / 2:
        a, b = rnd.sample(range(1, n + 1), 2)
        forbidden.add(frozenset((a, b)))
    rules = Rules(
        format=fmt,
        different_group=True,
        forbidden=frozenset(forbidden),
        weights=Weights(),
        traits=TRAITS,
        circle_size=5,
        role_levels=len(LEVELS),
    )
    return candidates, rules


def _reduced_costs(weights, prices, start, stop):
    """y_i + y_j - w_ij for rows start..stop (odd-set prices left out: they only add)."""
    return prices[start:stop, None] + prices[None, :] - weights[start:stop]


def _odd_sets(n, us, vs, x, sets):
    """Odd vertex sets spanned by fractional LP edges whose pairs exceed (|S| - 1) / 2."""
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components

    fractional = (x > 1e-6) & (x < 1 - 1e-6)
    if not fractional.any():
        return []
    graph = coo_array((np.ones(fractional.sum()), (us[fractional], vs[fractional])), (n, n))
    _, label = connected_components(graph, directed=False)
    touched = np.unique(np.concatenate([us[fractional], vs[fractional]]))
    found = []
    for component in np.unique(label[touched]):
        members = np.flatnonzero(label == component)
        inside = (label[us] == component) & (label[vs] == component)
        key = tuple(members.tolist())
        if members.size % 2 and x[inside].sum() > (members.size - 1) / 2 + 1e-6 and key not in sets:
            found.append(members)
    return found


def certified_optimum(candidates, rules, lower_bound: int, matched: int) -> dict:
    """The exact pair optimum, or None with the reason it could not be certified.

    The fractional-matching LP (degree rows, plus odd-set rows added while the solution
    has odd fractional cycles) is solved by HiGHS on a growing set of pairs until its
    prices y, z cover every allowed pair (y_i + y_j + z >= w_ij): then its value bounds every
    matching. A pair with y_i + y_j - w_ij > bound - lower_bound is in no matching at least
    as good as propose's, so a blossom on the remaining pairs is exact. Needs propose's
    matching to have the most pairs possible (at most one person with a partner left over).
    """
    import rustworkx as rx
    from scipy import sparse
    from scipy.optimize import linprog

    from programs.matching.pairs import _dedupe, weight_matrix
    from programs.matching.scoring import Pool

    started = time.perf_counter()
    # The points-only optimum: "never two at the same extreme" taken as a mere penalty, as
    # before it became a hard rule; propose's score is at most this, the gap is its price.
    pool = Pool(sorted(candidates, key=lambda c: c.id), replace(rules, avoid_extremes_hard=False))
    n = pool.n
    everyone = np.arange(n)
    weights = weight_matrix(pool, everyone, everyone)
    with_partner = int(((weights >= 0).sum(1) > 0).sum())
    if with_partner - 2 * matched > 1:
        return {"optimum": None, "why": "cardinality not certified"}
    best = np.argpartition(-weights, 29, axis=1)[:, :30]
    picked = np.take_along_axis(weights, best, 1)
    keep = picked >= 0
    us, vs, ws = _dedupe(
        np.broadcast_to(everyone[:, None], best.shape)[keep], best[keep], picked[keep], n
    )
    odd_sets: list[np.ndarray] = [everyone] if n % 2 else []
    rounds = 0
    for rounds in range(1, 60):  # noqa: B007 - reported below
        m = us.size
        rows = [
            sparse.csr_array(
                (np.ones(2 * m), (np.concatenate([us, vs]), np.concatenate([np.arange(m)] * 2))),
                shape=(n, m),
            )
        ]
        inside = np.zeros(n, bool)
        for members in odd_sets:
            inside[:] = False
            inside[members] = True
            rows.append(sparse.csr_array((inside[us] & inside[vs]).astype(float)[None, :]))
        limits = np.concatenate([np.ones(n), [(s.size - 1) // 2 for s in odd_sets]])
        lp = linprog(
            -ws.astype(float),
            A_ub=sparse.vstack(rows).tocsr(),
            b_ub=limits,
            bounds=(0, None),
            method="highs-ipm",
        )
        duals = -lp.ineqlin.marginals
        prices, set_prices = duals[:n], duals[n:]
        found = [], []
        for start in range(0, n, 500):
            block = weights[start : start + 500]
            reduced = _reduced_costs(weights, prices, start, start + 500)
            a, b = np.nonzero((reduced < -1e-7) & (block >= 0))
            found[0].append(a + start)
            found[1].append(b)
        more_u, more_v = np.concatenate(found[0]), np.concatenate(found[1])
        # Pairs inside an odd set also carry that set's price.
        slack = prices[more_u] + prices[more_v] - weights[more_u, more_v]
        for z, members in zip(set_prices, odd_sets, strict=True):
            inside[:] = False
            inside[members] = True
            slack = slack + z * (inside[more_u] & inside[more_v])
        more_u, more_v = more_u[slack < -1e-7], more_v[slack < -1e-7]
        if more_u.size:  # under-priced pairs outside the LP: add them and solve again
            us, vs, ws = _dedupe(
                np.concatenate([us, more_u]),
                np.concatenate([vs, more_v]),
                np.concatenate([ws, weights[more_u, more_v]]),
                n,
            )
            continue
        bound = float(
            prices.sum()
            + sum(z * ((s.size - 1) // 2) for z, s in zip(set_prices, odd_sets, strict=True))
        )
        keys = {tuple(s.tolist()) for s in odd_sets}
        new_sets = _odd_sets(n, us, vs, lp.x, keys)
        if bound < lower_bound + 1 or not new_sets:
            break
        odd_sets += new_sets
    else:
        return {"optimum": None, "why": "LP did not converge"}
    gap = bound - lower_bound + 1e-6
    keep_u, keep_v = [], []
    for start in range(0, n, 500):
        block = weights[start : start + 500]
        reduced = _reduced_costs(weights, prices, start, start + 500)
        upper = everyone[None, :] > everyone[start : start + 500, None]
        a, b = np.nonzero((reduced <= gap) & (block >= 0) & upper)
        keep_u.append(a + start)
        keep_v.append(b)
    keep_u, keep_v = np.concatenate(keep_u), np.concatenate(keep_v)
    graph = rx.PyGraph(multigraph=False)
    graph.add_nodes_from(range(n))
    kept_weights = (weights[keep_u, keep_v] + 1).tolist()
    graph.add_edges_from(list(zip(keep_u.tolist(), keep_v.tolist(), kept_weights, strict=True)))
    matching = rx.max_weight_matching(graph, max_cardinality=True, weight_fn=int)
    return {
        "optimum": int(sum(int(weights[a, b]) for a, b in matching)),
        "bound": round(bound, 1),
        "kept_edges": int(keep_u.size),
        "odd_sets": len(odd_sets),
        "lp_rounds": rounds,
        "seconds": round(time.perf_counter() - started, 1),
    }


def run_one(fmt: str, mix: str, n: int, with_optimum: bool) -> dict:
    candidates, rules = generate(n, fmt, mix)
    started = time.perf_counter()
    proposal = propose(candidates, rules)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    matched = sum(len(g.members) for g in proposal.groups)
    started = time.perf_counter()
    baseline = greedy(candidates, rules)
    result = {
        "format": fmt,
        "mix": mix,
        "n": n,
        "seconds": round(seconds, 2),
        "score": proposal.total_score,
        "matched": matched,
        "unmatched": len(proposal.unmatched),
        "groups": len(proposal.groups),
        "method": proposal.method,
        "same_extreme": sum(len(g.warnings) for g in proposal.groups),
        "greedy": baseline.total_score,
        "greedy_matched": sum(len(g.members) for g in baseline.groups),
        "greedy_seconds": round(time.perf_counter() - started, 2),
        "peak_rss_mb": round(peak_mb),
    }
    if fmt == "circle":
        sizes = [len(g.members) for g in proposal.groups]
        result["sizes"] = f"{min(sizes)}-{max(sizes)}" if sizes else "-"
        result["optimum"] = "n/a"
    elif "exact" in proposal.method and "scipy" in proposal.method:
        result["optimum"] = f"{proposal.total_score} (assignment is exact)"
    elif with_optimum:
        cert = certified_optimum(candidates, rules, proposal.total_score, len(proposal.groups))
        result["optimum"] = cert["optimum"] if cert["optimum"] is not None else "n/a"
        result["certificate"] = cert
    else:
        result["optimum"] = "n/a"
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 5000])
    parser.add_argument("--circle-sizes", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--no-optimum", action="store_true", help="skip the certified optimum")
    parser.add_argument("--one", nargs=3, metavar=("FORMAT", "MIX", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        fmt, mix, n = args.one
        print(json.dumps(run_one(fmt, mix, int(n), not args.no_optimum)))
        return

    runs = [("reciprocal", "open", n) for n in args.sizes]
    runs += [("one_way", "mixed", n) for n in args.sizes]
    runs += [("one_way", "strict", n) for n in args.sizes]
    runs += [("circle", "open", n) for n in args.circle_sizes]
    print(
        f"{'format':<10} {'roles':<7} {'n':>5} {'seconds':>8} {'score':>8} {'matched':>8} "
        f"{'greedy':>8} {'optimum':>28} {'rss MB':>7}  method"
    )
    results = []
    for fmt, mix, n in runs:
        command = [sys.executable, __file__, "--one", fmt, mix, str(n)]
        if args.no_optimum:
            command.append("--no-optimum")
        out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=BASE_DIR)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        results.append(r)
        extra = f" sizes {r['sizes']}" if "sizes" in r else ""
        cert = r.get("certificate") or {}
        if cert.get("optimum") is not None:
            extra += (
                f" [certified: LP bound {cert['bound']} after {cert['lp_rounds']} LPs,"
                f" {cert['odd_sets']} odd sets; blossom on {cert['kept_edges']} pairs;"
                f" {cert['seconds']} s]"
            )
        print(
            f"{fmt:<10} {mix:<7} {n:>5} {r['seconds']:>8} {r['score']:>8} {r['matched']:>8} "
            f"{r['greedy']:>8} {str(r['optimum']):>28} {r['peak_rss_mb']:>7}  "
            f"{r['method']}{extra}; {r['same_extreme']} at the same extreme",
            flush=True,
        )

    def pick(fmt, mix, n):
        return next((r for r in results if (r["format"], r["mix"], r["n"]) == (fmt, mix, n)), {})

    big = max(args.sizes)
    rec, one, strict = (
        pick("reciprocal", "open", big),
        pick("one_way", "mixed", big),
        pick("one_way", "strict", big),
    )
    circle = pick("circle", "open", max(args.circle_sizes))
    optimum = str(rec.get("optimum")).split(" ")[0]
    one_optimum = str(one.get("optimum")).split(" ")[0]
    print(
        f"RESULT reciprocal_{big}_s={rec.get('seconds')} score={rec.get('score')} "
        f"optimum={optimum} greedy={rec.get('greedy')} "
        f"one_way_{big}_s={one.get('seconds')} one_way_score={one.get('score')} "
        f"one_way_optimum={one_optimum} one_way_strict_{big}_s={strict.get('seconds')} "
        f"circle_{circle.get('n')}_s={circle.get('seconds')} circle_score={circle.get('score')} "
        f"circle_greedy={circle.get('greedy')} "
        f"peak_rss_mb={max(r['peak_rss_mb'] for r in results)}"
    )


if __name__ == "__main__":
    main()
