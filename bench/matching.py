"""Benchmark the matching engine against networkx on the same synthetic cohorts.

    .venv/bin/python bench/matching.py            # n = 200 ... 100,000 (a few minutes)
    .venv/bin/python bench/matching.py --quick    # n = 200, 1,000, 2,000 (about a minute)
    .venv/bin/python bench/matching.py --sizes 100000   # just these sizes
    .venv/bin/python bench/matching.py --offline-bound --sizes 2000 20000   # gap vs the truth

`--offline-bound` checks the gap the engine reports on demo-shaped cohorts
(`synthetic.company`) against the best independent figures it can compute in minutes: the
fractional matching LP of *every* pair (column generation with exact pricing of all n^2
pairs until no pair is violated: a valid upper bound on every pairing) and the best pairing
known (rustworkx's exact blossom on each person's 32 best candidates).

Each engine run happens in a child process so its peak memory (ru_maxrss) is its own.
networkx runs `max_weight_matching` on the engine's candidate graph (every feasible pair when
n <= 400, each person's top-k beyond) — the same graph rustworkx solved — and only where it
finishes in reasonable time; bigger sizes print "—".
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NX_LIMIT = 2000
NX_LIMIT_QUICK = 1000


def run_engine(n: int, seed: int) -> dict[str, float | str]:
    """One engine run in this process (called in the child)."""
    import numpy as np

    from twoway.matching import MatchSettings, match
    from twoway.matching.candidates import build_graph
    from twoway.matching.engine import Context
    from twoway.matching.synthetic import cohort

    people = cohort(n, seed=seed)
    t0, c0 = time.perf_counter(), time.process_time()
    result = match(people, MatchSettings(seed=seed))
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    out: dict[str, float | str] = {
        "n": n,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "load": os.getloadavg()[0],
        "total": result.pair_weight,
        "upper_bound": result.upper_bound,
        "gap": result.gap,
        "solver": result.solver,
        "unmatched": len(result.unmatched),
        "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if n <= NX_LIMIT:
        # Save the candidate graph for the networkx reference (outside the timed part).
        ctx = Context.build(people, MatchSettings(seed=seed))
        g = build_graph(ctx.cohort, ctx.scorer, ctx.cons, np.arange(n), ctx.cohort.settings.top_k)
        path = Path(f"/tmp/twoway-bench-graph-{n}-{seed}.json")
        path.write_text(json.dumps([g.ei.tolist(), g.ej.tolist(), g.w.tolist()]))
        out["graph"] = str(path)
    return out


def run_networkx(graph_file: str) -> tuple[float, float]:
    import networkx as nx

    ei, ej, w = json.loads(Path(graph_file).read_text())
    g = nx.Graph()
    g.add_weighted_edges_from(zip(ei, ej, w, strict=True))
    t0 = time.perf_counter()
    mate = nx.max_weight_matching(g)
    seconds = time.perf_counter() - t0
    return sum(g[a][b]["weight"] for a, b in mate), seconds


def offline_bound(n: int, seed: int) -> None:
    """Engine gap vs the LP of every pair and vs the best pairing known (see module doc)."""
    import numpy as np

    import twoway.matching.candidates as cand
    from twoway.matching import MatchSettings, match
    from twoway.matching.engine import Context
    from twoway.matching.solvers import exact_matching
    from twoway.matching.synthetic import company

    people = company(n, seed=seed)
    settings = MatchSettings(seed=seed)
    t0 = time.perf_counter()
    result = match(people, settings)
    print(
        f"n = {n:,} (synthetic.company, seed {seed}), load {os.getloadavg()[0]:.2f}\n"
        f"  engine: total {result.pair_weight:.3f}, bound {result.upper_bound:.3f} "
        f"({result.bound_method}), reported gap {100 * result.gap:.4f} %, "
        f"{time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    ctx = Context.build(people, settings)
    nodes = np.arange(n, dtype=np.int64)
    graph = cand.build_graph(ctx.cohort, ctx.scorer, ctx.cons, nodes, settings.top_k)
    t0 = time.perf_counter()
    # Exact pricing of every pair, column generation to convergence (or 8 rounds).
    old = cand.EXACT_SCAN_LIMIT, cand.PRICE_ADD
    cand.EXACT_SCAN_LIMIT, cand.PRICE_ADD = 10**9, 32
    try:
        lp = cand.priced_bound(ctx.cohort, ctx.scorer, ctx.cons, graph, rounds=8)
    finally:
        cand.EXACT_SCAN_LIMIT, cand.PRICE_ADD = old
    assert lp is not None
    independent = 1 - result.pair_weight / lp
    print(
        f"  LP of every pair (exact pricing): {lp:.3f} ({time.perf_counter() - t0:.0f} s); "
        f"the engine's true gap is at most {100 * independent:.4f} %; "
        f"reported / independent gap: {result.gap / max(independent, 1e-12):.2f}",
        flush=True,
    )
    t0 = time.perf_counter()
    wide = cand.build_graph(ctx.cohort, ctx.scorer, ctx.cons, nodes, 32)
    mate = exact_matching(wide.m, wide.ei, wide.ej, wide.w)
    ends = np.array(mate, dtype=np.int64)
    known = float(ctx.feasible_scores(ends[:, 0], ends[:, 1])[0].sum())
    best = max(known, result.pair_weight)
    print(
        f"  best pairing known (exact blossom on 32 candidates each): {known:.3f} "
        f"({time.perf_counter() - t0:.0f} s); the engine is "
        f"{100 * (1 - result.pair_weight / best):.4f} % below it",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sizes", type=int, nargs="+", help="these sizes only (e.g. 100000)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--offline-bound", action="store_true", help="gap vs independent bound")
    args = parser.parse_args()
    if args.offline_bound:
        for n in args.sizes or [2000, 20_000]:
            offline_bound(n, args.seed)
        return 0
    if args.one:
        print(json.dumps(run_engine(args.one, args.seed)))
        return 0
    sizes = [200, 1000, 2000] if args.quick else [200, 1000, 2000, 10_000, 100_000]
    sizes = args.sizes or sizes
    nx_limit = NX_LIMIT_QUICK if args.quick else NX_LIMIT
    header = (
        f"{'n':>7} {'seconds':>8} {'cpu s':>8} {'load':>5} {'total':>12} "
        f"{'upper bound':>12} {'gap':>8} "
        f"{'nx seconds':>10} {'nx total':>12} {'same':>5} {'engine/nx':>9} {'peak MiB':>9}"
    )
    print(header)
    print("-" * len(header))
    for n in sizes:
        proc = subprocess.run(
            [sys.executable, __file__, "--one", str(n), "--seed", str(args.seed)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(proc.stdout)
        nx_sec = nx_total = "—"
        same = ratio = "—"
        if "graph" in r and n <= nx_limit:
            total, secs = run_networkx(str(r["graph"]))
            nx_sec, nx_total = f"{secs:.2f}", f"{total:.4f}"
            same = "yes" if abs(total - float(r["total"])) <= 1e-6 * total else "NO"
            ratio = f"{float(r['seconds']) / secs:.4f}"
        print(
            f"{n:>7} {float(r['seconds']):>8.2f} {float(r['cpu_seconds']):>8.2f} "
            f"{float(r['load']):>5.2f} {float(r['total']):>12.4f} "
            f"{float(r['upper_bound']):>12.4f} {100 * float(r['gap']):>7.3f}% "
            f"{nx_sec:>10} {nx_total:>12} {same:>5} {ratio:>9} {float(r['maxrss_mib']):>9.0f}",
            flush=True,
        )
    print(
        "\nseconds: match() end to end (wall; cpu s: process_time; load: 1-min load average "
        "at the end, the machine may be shared) from parsed participants (scoring, "
        "candidates, solve, bound, trios, explanations); the cohort is generated outside "
        "the timing.\n"
        "total: weight of the pairing; upper bound: certified (assignment relaxation or LP "
        "dual with tau for pairs outside the candidate graph); gap = 1 - total / bound.\n"
        f"networkx: max_weight_matching on the same candidate graph, only for n <= {nx_limit} "
        "(it takes minutes beyond); '—' = not run. peak MiB: ru_maxrss of the engine's process."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
