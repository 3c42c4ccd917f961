"""Bring your own scores: a maximum-weight matching of a listed graph.

A pair that is not listed may not be matched. With `trios`, a person left over joins the pair
where both of their pairs with its members are listed and add the most. The listed graph is
the whole problem here, so the upper bound needs no tau (every feasible pair is an edge).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from .model import UNMATCHED_REASONS, Group, MatchResult, Unmatched
from .solvers import SWAP_ROUNDS, solve_pairs

Idx = npt.NDArray[np.int64]


def match_weights(
    pairs: Sequence[tuple[str, str, float]],
    ids: Sequence[str] | None = None,
    trios: bool = False,
    time_limit: float = 300.0,
    progress: Callable[[int, int], None] | None = None,
    rounds: int = SWAP_ROUNDS,
) -> MatchResult:
    """Match the listed pairs; `ids` (default: every id in `pairs`) are the people.

    Up to EXACT_LIMIT people the result is a maximum-weight matching; beyond, it is a
    heuristic (cycle cover and `rounds` rounds of pair swaps) and says so in
    `MatchResult.heuristic`, with its certified gap. `time_limit` is a safety cap only.
    """
    t0 = time.perf_counter()
    names = sorted({x for a, b, _ in pairs for x in (a, b)}) if ids is None else list(ids)
    index = {v: k for k, v in enumerate(names)}
    for a, b, _ in pairs:
        for pid in (a, b):
            if pid not in index:
                raise ValueError(f"pair names unknown id {pid!r}")
    m = len(names)
    weight: dict[tuple[int, int], float] = {}
    for a_id, b_id, x in pairs:
        i, j = index[a_id], index[b_id]
        weight[(min(i, j), max(i, j))] = float(x)
    keys = sorted(weight)
    ei = np.array([k[0] for k in keys], dtype=np.int64)
    ej = np.array([k[1] for k in keys], dtype=np.int64)
    w = np.array([weight[k] for k in keys], dtype=np.float64)
    positive = w > 0  # a pair worth nothing or less never improves a maximum-weight matching
    ei, ej, w = ei[positive], ej[positive], w[positive]

    def lookup(a: Idx, b: Idx) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
        vals = np.array(
            [weight.get((min(x, y), max(x, y)), 0.0) for x, y in zip(a, b, strict=True)]
        )
        ok = np.array(
            [(min(x, y), max(x, y)) in weight for x, y in zip(a, b, strict=True)], dtype=bool
        )
        return vals, ok & (vals > 0)

    if progress is not None:
        progress(0, 1)
    sol = solve_pairs(m, ei, ej, w, np.zeros(m), lookup, time_limit, rounds)
    if progress is not None:
        progress(1, 1)
    matched = {v for p in sol.pairs for v in p}
    adj: dict[int, dict[int, float]] = {}
    for a, b, x in zip(ei.tolist(), ej.tolist(), w.tolist(), strict=True):
        adj.setdefault(a, {})[b] = x
        adj.setdefault(b, {})[a] = x
    extra: dict[int, int] = {}
    if trios:
        taken: set[int] = set()
        options = []
        for v in range(m):
            if v in matched:
                continue
            for k, (pa, pb) in enumerate(sol.pairs):
                nb = adj.get(v, {})
                if pa in nb and pb in nb:
                    options.append((-(nb[pa] + nb[pb]), v, k))
        for _, v, k in sorted(options):
            if v not in extra and k not in taken:
                extra[v] = k
                taken.add(k)
    members_of = {k: [a, b] for k, (a, b) in enumerate(sol.pairs)}
    for v, k in extra.items():
        members_of[k].append(v)
    groups = []
    total = 0.0
    for gid, k in enumerate(sorted(members_of, key=lambda k: sorted(members_of[k])), start=1):
        mem = sorted(members_of[k])
        score = sum(adj.get(x, {}).get(y, 0.0) for i, x in enumerate(mem) for y in mem[i + 1 :])
        total += score
        groups.append(
            Group(
                id=gid,
                members=tuple(names[x] for x in mem),
                score=round(score, 9),
                components={"weight": round(score, 9)},
                reasons=(),
                kind="trio" if len(mem) == 3 else "pair",
            )
        )
    unmatched = []
    for v in range(m):
        if v in matched or v in extra:
            continue
        if v not in adj:
            code = "no_feasible_partner"
        elif trios:
            code = "no_trio_fit"
        elif m % 2 == 1 and m - len(matched) == 1:
            code = "odd_one_out"
        else:
            code = "not_chosen"
        unmatched.append(Unmatched(names[v], code, f"{names[v]}: {UNMATCHED_REASONS[code]}"))
    upper, method = sol.upper_bound, sol.bound_method
    if sol.exact:
        # The listed graph is the whole problem: an exact matching of it is the optimum.
        upper, method = sol.weight, "exact optimum (every listed pair)"
    gap = 0.0 if upper <= 0 else max(0.0, 1.0 - sol.weight / upper)
    return MatchResult(
        groups=tuple(groups),
        unmatched=tuple(unmatched),
        total_weight=round(total, 9),
        pair_weight=round(sol.weight, 9),
        upper_bound=round(upper, 9),
        gap=gap,
        seconds=time.perf_counter() - t0,
        solver=sol.solver,
        bound_method=method,
        bound_scope="pairs",
        mode="weights",
        n=m,
        heuristic=not sol.exact,
        time_capped=sol.time_capped,
    )
