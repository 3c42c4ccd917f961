"""Solvers for the pairing problem on a candidate graph, and certified upper bounds.

Exact: rustworkx's `max_weight_matching` (a compiled blossom algorithm) on the candidate graph,
for pools up to EXACT_LIMIT people. Larger pools: a greedy matching improved by vectorised pair
swaps that may use *any* feasible pair (scored exactly), not only candidate edges.

Upper bounds (both valid for the full problem, not just the candidate graph):

- Assignment relaxation. Any matching M gives a permutation: each pair of M that is a graph
  edge becomes a 2-cycle (value 2 w_ij); every other person is a fixed point of value
  d_i = max(tau_i, 0). A pair of M outside the graph has w_ij <= min(tau_i, tau_j), so its two
  fixed points are worth d_i + d_j >= 2 w_ij; an unmatched person adds d_i >= 0. Hence
  2 w(M) <= value of the best permutation, i.e. w(M) <= half the maximum-weight assignment
  with diagonal d. SciPy's sparse LAPJV solves that assignment exactly.
- LP dual. Any y >= 0 with y_i + y_j >= w_ij for every feasible pair bounds the fractional
  matching LP, hence every matching (weak duality). Candidate edges are checked directly; for
  the pairs left out, y_i >= tau_i / 2 for all i suffices, since w_ij <= min(tau_i, tau_j)
  <= (tau_i + tau_j) / 2. We start from y_i = max(best edge, tau_i) and take damped Jacobi
  steps y_i <- max(floor_i, (y_i + max_j (w_ij - y_j)) / 2), which keep y feasible (the two
  half-steps of an edge still add up to w_ij) and never increase the sum.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import rustworkx as rx
import scipy.sparse as sp
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

Idx = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
PairScoreFn = Callable[[Idx, Idx], tuple[F64, npt.NDArray[np.bool_]]]

EXACT_LIMIT = 6000
ASSIGNMENT_LIMIT = 30000
SCALE = 1_000_000  # float scores -> integers for the blossom algorithm (exact on 1e-6 grid)


@dataclass
class Solution:
    pairs: list[tuple[int, int]]  # local vertex pairs (a < b)
    weight: float
    upper_bound: float
    solver: str
    bound_method: str


def integer_weights(w: F64) -> tuple[npt.NDArray[np.int64], float]:
    """Integer weights for rustworkx and the factor back to the original scale."""
    if w.size and np.all(w == np.round(w)) and np.abs(w).max() < 2**53:
        return w.astype(np.int64), 1.0
    return np.round(w * SCALE).astype(np.int64), float(SCALE)


def exact_matching(m: int, ei: Idx, ej: Idx, w: F64) -> list[tuple[int, int]]:
    """Maximum-weight matching (not maximum cardinality) of the graph, exactly."""
    if ei.size == 0:
        return []
    iw, _ = integer_weights(w)
    keep = iw > 0  # zero-weight edges never raise the total; dropping them is harmless
    g: rx.PyGraph = rx.PyGraph(multigraph=False)
    g.add_nodes_from(range(m))
    g.extend_from_weighted_edge_list(
        list(zip(ei[keep].tolist(), ej[keep].tolist(), iw[keep].tolist(), strict=True))
    )
    mate = rx.max_weight_matching(g, max_cardinality=False, weight_fn=int)
    return sorted((min(a, b), max(a, b)) for a, b in mate)


def greedy_matching(m: int, ei: Idx, ej: Idx, w: F64) -> list[tuple[int, int]]:
    """Heaviest edge first; ties by vertex ids, so the result is deterministic."""
    order = np.lexsort((ej, ei, -w))
    free = np.ones(m, dtype=bool)
    out = []
    for a, b in zip(ei[order].tolist(), ej[order].tolist(), strict=True):
        if free[a] and free[b]:
            free[a] = free[b] = False
            out.append((a, b))
    return sorted(out)


def improve_by_swaps(
    m: int,
    ei: Idx,
    ej: Idx,
    w: F64,
    pairs: list[tuple[int, int]],
    score: PairScoreFn,
    deadline: float,
) -> list[tuple[int, int]]:
    """Pair-swap local search: (a, a'), (b, b') -> (a, b), (a', b') when it gains.

    (a, b) runs over candidate edges; (a', b') may be any feasible pair, scored exactly by
    `score`. Unmatched vertices act as partners of weight 0, so this also absorbs people left
    over. Each round applies a conflict-free set of the best swaps, all at once.
    """
    mate = np.full(m, -1, dtype=np.int64)
    val = np.zeros(m, dtype=np.float64)  # weight of the pair the vertex is in
    for (pa, pb), x in zip(pairs, _pair_weights(pairs, ei, ej, w, m), strict=True):
        mate[pa], mate[pb] = pb, pa
        val[pa] = val[pb] = x
    for _ in range(50):
        if time.perf_counter() > deadline:
            break
        a, b, wab = ei, ej, w
        sel = mate[a] != b
        a, b, wab = a[sel], b[sel], wab[sel]
        ma, mb = mate[a], mate[b]
        both = (ma >= 0) & (mb >= 0) & (ma != b)
        wother = np.zeros(a.size, dtype=np.float64)
        feas = np.ones(a.size, dtype=bool)
        if both.any():
            x, ok = score(ma[both], mb[both])
            wother[both] = x
            feas[both] = ok
        # Lost: the pairs a and b were in (counted once if a and b were partners' partners).
        gain = wab + np.where(feas, wother, 0.0) - val[a] - val[b]
        good = np.nonzero(gain > 1e-9)[0]
        if good.size == 0:
            break
        good = good[np.lexsort((b[good], a[good], -gain[good]))]
        used = np.zeros(m, dtype=bool)
        applied = 0
        for k in good.tolist():
            xa, xb, ya, yb = int(a[k]), int(b[k]), int(ma[k]), int(mb[k])
            group = [v for v in (xa, xb, ya, yb) if v >= 0]
            if used[group].any():
                continue
            used[group] = True
            for v in group:
                mate[v] = -1
                val[v] = 0.0
            mate[xa], mate[xb] = xb, xa
            val[xa] = val[xb] = float(wab[k])
            if ya >= 0 and yb >= 0 and feas[k] and wother[k] > 0:
                mate[ya], mate[yb] = yb, ya
                val[ya] = val[yb] = float(wother[k])
            applied += 1
        if applied == 0:
            break
    return sorted((int(v), int(mate[v])) for v in range(m) if mate[v] > v)


def _pair_weights(pairs: list[tuple[int, int]], ei: Idx, ej: Idx, w: F64, m: int) -> F64:
    if not pairs:
        return np.zeros(0)
    key = ei * m + ej
    order = np.argsort(key)
    p = np.array(pairs, dtype=np.int64)
    pos = np.searchsorted(key[order], p[:, 0] * m + p[:, 1])
    return w[order][pos]


def assignment_bound(m: int, ei: Idx, ej: Idx, w: F64, tau: F64) -> float:
    """Half the maximum-weight assignment with diagonal max(tau, 0) (see module docstring)."""
    if m == 0:
        return 0.0
    diag = np.maximum(tau, 0.0)
    rows = np.concatenate([ei, ej, np.arange(m)])
    cols = np.concatenate([ej, ei, np.arange(m)])
    vals = np.concatenate([w, w, diag])
    top = float(vals.max()) + 1.0 if vals.size else 1.0
    # LAPJVsp minimises; costs must be > 0 because a stored 0 would read as "no edge".
    cost = sp.csr_matrix((top - vals, (rows, cols)), shape=(m, m))
    r, c = min_weight_full_bipartite_matching(cost)
    picked = top - np.asarray(cost[r, c]).ravel()
    return float(picked.sum()) / 2.0


def dual_bound(m: int, ei: Idx, ej: Idx, w: F64, tau: F64, iterations: int = 300) -> float:
    """Sum of a feasible LP dual (see module docstring)."""
    floor = np.maximum(tau, 0.0) / 2.0
    rows = np.concatenate([ei, ej])
    cols = np.concatenate([ej, ei])
    vals = np.concatenate([w, w])
    order = np.argsort(rows, kind="stable")
    rows, cols, vals = rows[order], cols[order], vals[order]
    starts = np.searchsorted(rows, np.arange(m))
    has = np.bincount(rows, minlength=m) > 0
    best = np.zeros(m)
    if vals.size:
        best[has] = np.maximum.reduceat(vals, starts[has])
    y = np.maximum(np.maximum(best, np.maximum(tau, 0.0)), 0.0)
    for _ in range(iterations):
        need = np.zeros(m)
        if vals.size:
            need[has] = np.maximum.reduceat(vals - y[cols], starts[has])
        new = np.maximum(floor, np.maximum(0.5 * (y + need), 0.0))
        if np.abs(new - y).max(initial=0.0) < 1e-9:
            y = new
            break
        y = new
    # Repair rounding: make every candidate edge feasible exactly.
    if vals.size:
        slack = vals - y[rows] - y[cols]
        if (slack > 0).any():
            np.maximum.at(y, rows[slack > 0], y[rows[slack > 0]] + slack[slack > 0])
    return float(y.sum())


def solve_pairs(
    m: int,
    ei: Idx,
    ej: Idx,
    w: F64,
    tau: F64,
    score: PairScoreFn | None = None,
    time_limit: float = 20.0,
) -> Solution:
    """Best matching we can certify on the graph, its weight and an upper bound."""
    if m <= EXACT_LIMIT:
        pairs = exact_matching(m, ei, ej, w)
        solver = "exact (rustworkx blossom)"
    else:
        deadline = time.perf_counter() + time_limit
        pairs = greedy_matching(m, ei, ej, w)
        solver = "greedy + pair swaps"
        if score is not None:
            pairs = improve_by_swaps(m, ei, ej, w, pairs, score, deadline)
    weight = _total(pairs, ei, ej, w, m, score)
    if m <= ASSIGNMENT_LIMIT:
        bound = assignment_bound(m, ei, ej, w, tau)
        method = "assignment relaxation"
    else:
        bound = dual_bound(m, ei, ej, w, tau)
        method = "LP dual (fractional matching)"
    # An exact matching on a complete graph is its own proof; the bound may still be higher.
    return Solution(pairs, weight, max(bound, weight), solver, method)


def _total(
    pairs: list[tuple[int, int]], ei: Idx, ej: Idx, w: F64, m: int, score: PairScoreFn | None
) -> float:
    if not pairs:
        return 0.0
    p = np.array(pairs, dtype=np.int64)
    key = ei * m + ej
    order = np.argsort(key)
    sk = key[order]
    q = p[:, 0] * m + p[:, 1]
    pos = np.minimum(np.searchsorted(sk, q), max(sk.size - 1, 0))
    found = sk.size > 0 and True
    vals = np.zeros(len(pairs))
    if found:
        hit = sk[pos] == q
        vals[hit] = w[order][pos[hit]]
        miss = ~hit
    else:
        miss = np.ones(len(pairs), dtype=bool)
    if miss.any():
        assert score is not None, "a pair outside the graph needs the scorer"
        x, _ = score(p[miss, 0], p[miss, 1])
        vals[miss] = x
    return float(vals.sum())
