"""Solvers for the pairing problem on a candidate graph, and certified upper bounds.

Exact: rustworkx's `max_weight_matching` (a compiled blossom algorithm) on the candidate graph,
for pools up to EXACT_LIMIT people. Larger pools: a *cycle cover*. The maximum-weight assignment
below (SciPy's sparse LAPJV), with a zero diagonal, is a permutation whose cycles use candidate
edges (or fixed points: people left alone); its 2-cycles are
pairs, an even cycle gives the better of its two alternating matchings, an odd cycle drops the
one vertex whose removal leaves the heaviest alternating path. The same assignment with the
diagonal tau gives the bound (half its value, below). On top-k graphs the relaxation is nearly
integral (at n = 10,000 nearly every cycle is a 2-cycle), so the cover is within a hair of the
graph's optimum. Vectorised pair swaps that may
use *any* feasible pair (scored exactly) then polish it for a fixed number of rounds (a work
budget, so the same input gives the same pairing whatever the machine's load); a wall-clock
limit only caps a runaway search, and the result says when it did.

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
  steps y_i <- (y_i + t_i) / 2 with t_i >= max(floor_i, max_j (w_ij - y_j)) over every j but
  i's partner in a given matching, and t_i + t_j >= w_ij for partners. Every step keeps y
  feasible: for an edge (i, k) that is not a matched pair, the two half-steps add up to at least
  ((y_i + w_ik - y_k) + (y_k + w_ik - y_i)) / 2 = w_ik; for partners both y and t cover w_ij.
  Moving partners together (split the excess evenly) is what lets the sum fall to within
  ~0.05 % of the assignment bound; vertex-only steps stall about 0.5 % above it.
  Used beyond ASSIGNMENT_LIMIT people, where LAPJVsp takes most of a minute.
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
SWAP_ROUNDS = 50  # rounds of pair swaps: the work budget of the local search
ASSIGNMENT_LIMIT = 30000  # LAPJVsp beyond this gets slow: auction primal + LP dual bound
DUAL_ITERATIONS = 150
SCALE = 1_000_000  # float scores -> integers for the blossom algorithm (exact on 1e-6 grid)


@dataclass
class Solution:
    pairs: list[tuple[int, int]]  # local vertex pairs (a < b)
    weight: float
    upper_bound: float
    solver: str
    bound_method: str
    exact: bool = True  # the pairing is a proven optimum of the graph it was given
    time_capped: bool = False  # the local search stopped on the safety time limit


@dataclass
class Swaps:
    pairs: list[tuple[int, int]]
    rounds: int  # rounds that applied at least one swap
    time_capped: bool  # stopped by the deadline before the budget or a local optimum


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
    rounds: int = SWAP_ROUNDS,
    deadline: float = float("inf"),
) -> Swaps:
    """Pair-swap local search: (a, a'), (b, b') -> (a, b), (a', b') when it gains.

    (a, b) runs over candidate edges; (a', b') may be any feasible pair, scored exactly by
    `score`. Unmatched vertices act as partners of weight 0, so this also absorbs people left
    over. Each round applies a conflict-free set of the best swaps, all at once. It stops at a
    local optimum or after `rounds` rounds, whichever comes first: a work budget, so the
    result never depends on the machine's speed. `deadline` (perf_counter) is a safety cap
    only; when it stops the search first, `time_capped` says so.
    """
    mate = np.full(m, -1, dtype=np.int64)
    val = np.zeros(m, dtype=np.float64)  # weight of the pair the vertex is in
    for (pa, pb), x in zip(pairs, _pair_weights(pairs, ei, ej, w, m), strict=True):
        mate[pa], mate[pb] = pb, pa
        val[pa] = val[pb] = x
    used_rounds = 0
    capped = False
    for _ in range(rounds):
        if time.perf_counter() > deadline:
            capped = True
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
        used_rounds += 1
    out = sorted((int(v), int(mate[v])) for v in range(m) if mate[v] > v)
    return Swaps(out, used_rounds, capped)


def _pair_weights(pairs: list[tuple[int, int]], ei: Idx, ej: Idx, w: F64, m: int) -> F64:
    if not pairs:
        return np.zeros(0)
    key = ei * m + ej
    order = np.argsort(key)
    p = np.array(pairs, dtype=np.int64)
    pos = np.searchsorted(key[order], p[:, 0] * m + p[:, 1])
    return w[order][pos]


def assignment(m: int, ei: Idx, ej: Idx, w: F64, tau: F64) -> tuple[Idx, F64]:
    """Maximum-weight assignment with diagonal max(tau, 0) (see module docstring).

    Returns the permutation sigma and the weight of each arc i -> sigma[i] (w of the edge, or
    the diagonal value when sigma[i] == i); half the sum of the arcs is the upper bound.
    """
    if m == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    diag = np.maximum(tau, 0.0)
    rows = np.concatenate([ei, ej, np.arange(m)])
    cols = np.concatenate([ej, ei, np.arange(m)])
    vals = np.concatenate([w, w, diag])
    top = float(vals.max()) + 1.0 if vals.size else 1.0
    # LAPJVsp minimises; costs must be > 0 because a stored 0 would read as "no edge".
    cost = sp.csr_matrix((top - vals, (rows, cols)), shape=(m, m))
    r, c = min_weight_full_bipartite_matching(cost)
    sigma = np.empty(m, dtype=np.int64)
    sigma[r] = c
    arc = np.empty(m, dtype=np.float64)
    arc[r] = top - np.asarray(cost[r, c]).ravel()
    return sigma, arc


def assignment_bound(m: int, ei: Idx, ej: Idx, w: F64, tau: F64) -> float:
    """Half the maximum-weight assignment with diagonal max(tau, 0) (see module docstring)."""
    _, arc = assignment(m, ei, ej, w, tau)
    return float(arc.sum()) / 2.0


def cycle_cover_pairs(sigma: Idx, arc: F64) -> list[tuple[int, int]]:
    """A matching from the cycles of an assignment (see module docstring).

    Deterministic: cycles are walked from their smallest vertex, ties go to the first option.
    """
    m = sigma.size
    idx = np.arange(m)
    fixed = sigma == idx
    two = (sigma[sigma] == idx) & ~fixed
    lo = np.nonzero(two & (idx < sigma))[0]
    pairs = list(zip(lo.tolist(), sigma[lo].tolist(), strict=True))
    seen = fixed | two
    sig = sigma.tolist()
    for s in np.nonzero(~seen)[0].tolist():
        if seen[s]:
            continue
        cyc = []
        v = s
        while not seen[v]:
            seen[v] = True
            cyc.append(v)
            v = sig[v]
        size = len(cyc)
        arcs = arc[cyc]  # arcs[t] is the edge (cyc[t], cyc[t + 1 mod size])
        if size % 2 == 0:
            start = 0 if arcs[0::2].sum() >= arcs[1::2].sum() else 1
            use = range(start, size, 2)
        else:
            # Dropping cyc[p] leaves the path cyc[p+1] ... cyc[p-1]; it takes the arcs
            # p+1, p+3, ..., p+size-2 (mod size). Stride-2 prefix sums give every p at once.
            twice = np.concatenate([arcs, arcs])
            pre = np.zeros(twice.size + 2)
            pre[2:] = twice
            for par in (0, 1):
                pre[2 + par :: 2] = np.cumsum(twice[par::2])
            p = np.arange(size)
            gain = pre[p + size] - pre[p + 1]  # sum of twice[p+1], twice[p+3], ..., p+size-2
            best = int(np.argmax(gain))
            use = range(best + 1, best + size - 1, 2)
        for t in use:
            a, b = cyc[t % size], cyc[(t + 1) % size]
            pairs.append((min(a, b), max(a, b)))
    return sorted(pairs)


def graph_lookup(m: int, ei: Idx, ej: Idx, w: F64) -> PairScoreFn:
    """Scores of arbitrary pairs from the graph alone: a pair that is not an edge is infeasible."""
    key = ei * m + ej
    order = np.argsort(key)
    sk, sw = key[order], w[order]

    def score(a: Idx, b: Idx) -> tuple[F64, npt.NDArray[np.bool_]]:
        q = np.minimum(a, b) * m + np.maximum(a, b)
        if sk.size == 0:
            return np.zeros(q.size), np.zeros(q.size, dtype=bool)
        pos = np.minimum(np.searchsorted(sk, q), sk.size - 1)
        hit = sk[pos] == q
        return np.where(hit, sw[pos], 0.0), hit

    return score


def dual_bound(
    m: int,
    ei: Idx,
    ej: Idx,
    w: F64,
    tau: F64,
    iterations: int = 300,
    pairs: list[tuple[int, int]] | None = None,
) -> float:
    """Sum of a feasible LP dual (see module docstring)."""
    return float(dual_solution(m, ei, ej, w, tau, iterations, pairs).sum())


def dual_solution(
    m: int,
    ei: Idx,
    ej: Idx,
    w: F64,
    tau: F64,
    iterations: int = 300,
    pairs: list[tuple[int, int]] | None = None,
) -> F64:
    """A feasible LP dual y (y_i + y_j >= w_ij on every edge, y_i >= max(tau_i, 0) / 2).

    Given a matching, partners move together: a matched pair (i, j) aims at the least
    y_i + y_j that still covers w_ij and every other edge of i and of j, split evenly.
    """
    floor = np.maximum(tau, 0.0) / 2.0
    rows = np.concatenate([ei, ej])
    cols = np.concatenate([ej, ei])
    vals = np.concatenate([w, w])
    order = np.argsort(rows, kind="stable")
    rows, cols, vals = rows[order], cols[order], vals[order]
    starts = np.searchsorted(rows, np.arange(m))
    has = np.bincount(rows, minlength=m) > 0
    mate = np.full(m, -1, dtype=np.int64)
    if pairs:
        pa = np.array(pairs, dtype=np.int64)
        mate[pa[:, 0]], mate[pa[:, 1]] = pa[:, 1], pa[:, 0]
    partner = cols == mate[rows]
    wm = np.zeros(m)
    wm[rows[partner]] = vals[partner]  # 0 when the pair is not a candidate edge
    matched = mate >= 0
    other = np.maximum(mate, 0)
    best = np.zeros(m)
    if vals.size:
        best[has] = np.maximum.reduceat(vals, starts[has])
    y = np.maximum(np.maximum(best, np.maximum(tau, 0.0)), 0.0)
    # -inf on the partner's edge, once: -inf - y stays -inf, so each iteration is one pass.
    others = np.where(partner, -np.inf, vals)
    seg = starts[has]
    for _ in range(iterations):
        need = np.zeros(m)
        if vals.size:
            need[has] = np.maximum.reduceat(others - y[cols], seg)
        lo = np.maximum(floor, np.maximum(need, 0.0))
        excess = np.where(matched, wm - lo - lo[other], 0.0)
        target = np.where(excess > 0, lo + excess / 2.0, lo)
        new = 0.5 * (y + target)
        if np.abs(new - y).max(initial=0.0) < 1e-9:
            y = new
            break
        y = new
    # Repair rounding: make every candidate edge feasible exactly.
    if vals.size:
        slack = vals - y[rows] - y[cols]
        if (slack > 0).any():
            np.maximum.at(y, rows[slack > 0], y[rows[slack > 0]] + slack[slack > 0])
    return y


def _run_starts(x: Idx) -> npt.NDArray[np.bool_]:
    """True where a run of equal values starts: np.r_[True, x[1:] != x[:-1]] (x not empty),
    without np.r_'s Python overhead (it runs once per auction round)."""
    out = np.empty(x.size, dtype=bool)
    out[0] = True
    np.not_equal(x[1:], x[:-1], out=out[1:])
    return out


SMALL_ROUND = 8  # auction rounds with at most this many bidders run in scalar code


def _small_round(
    free: Idx,
    indptr: Idx,
    cols: Idx,
    vals: F64,
    prices: F64,
    owner: Idx,
    assigned: Idx,
    eps: float,
) -> Idx:
    """One auction round for a handful of bidders, one at a time; returns the new free rows.

    The same round as the segment-array code in `auction_assignment` (bids against the
    prices at the start of the round; each column to its highest bid, ties to the lowest
    row) with the same float operations, so the result is identical, at a fraction of the
    fixed cost of some twenty array calls.
    """
    best_bid: dict[int, tuple[float, int]] = {}
    for who in free.tolist():
        s0, s1 = int(indptr[who]), int(indptr[who + 1])
        cs = cols[s0:s1]
        gain = vals[s0:s1] - prices[cs]
        at = int(np.argmax(gain))
        v1 = float(gain[at])
        v2 = v1 - eps
        if s1 - s0 > 1:
            gain[at] = -np.inf
            v2 = float(gain.max())
            if not np.isfinite(v2):
                v2 = v1 - eps
        jj = int(cs[at])
        bid = float(prices[jj]) + (v1 - v2) + eps
        cur = best_bid.get(jj)
        if cur is None or bid > cur[0] or (bid == cur[0] and who < cur[1]):
            best_bid[jj] = (bid, who)
    out = set(free.tolist())
    for jj, (bid, who) in best_bid.items():
        ev = int(owner[jj])
        if ev >= 0:
            assigned[ev] = -1
            out.add(ev)
        owner[jj] = who
        assigned[who] = jj
        prices[jj] = bid
        out.discard(who)
    return np.array(sorted(out), dtype=np.int64)


def auction_assignment(
    m: int, ei: Idx, ej: Idx, w: F64, rel_eps: float = 1e-6, prices_out: F64 | None = None
) -> tuple[Idx, F64]:
    """A near-optimal maximum-weight assignment with a zero diagonal, by Bertsekas' auction.

    For pools where LAPJVsp slows down (about 50 s at n = 100,000, 0.1 s at 10,000). Every
    unassigned person bids at once for their best column (value minus price) by the gap to
    the second best plus eps; each column goes to its highest bid (ties: lowest row). eps
    shrinks 5x per phase to rel_eps * the largest weight, so the result is within
    m * eps of the optimum. Deterministic. Returns sigma and each arc's weight, as `assignment`.
    """
    rows = np.concatenate([ei, ej, np.arange(m)])
    cols = np.concatenate([ej, ei, np.arange(m)])
    vals = np.concatenate([w, w, np.zeros(m)])
    order = np.lexsort((cols, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    indptr = np.searchsorted(rows, np.arange(m + 1))
    deg = np.diff(indptr)
    top = float(vals.max(initial=0.0)) or 1.0
    final = top * rel_eps
    eps = top / 4.0
    prices = np.zeros(m)
    assigned = np.full(m, -1, dtype=np.int64)
    while True:
        owner = np.full(m, -1, dtype=np.int64)
        assigned[:] = -1
        free = np.arange(m)
        while free.size:
            if free.size == 1:
                # The long tail of a phase: one bidder at a time. The same round as below,
                # with scalars instead of segment arrays (identical result, a tenth the cost).
                who = int(free[0])
                s0, s1 = int(indptr[who]), int(indptr[who + 1])
                cs = cols[s0:s1]
                gain = vals[s0:s1] - prices[cs]
                at = int(np.argmax(gain))
                best = float(gain[at])
                second = best - eps
                if s1 - s0 > 1:
                    gain[at] = -np.inf
                    second = float(gain.max())
                    if not np.isfinite(second):
                        second = best - eps
                jj = int(cs[at])
                prices[jj] = prices[jj] + (best - second) + eps
                ev = int(owner[jj])
                owner[jj] = who
                assigned[who] = jj
                if ev >= 0:
                    assigned[ev] = -1
                    free = np.array([ev], dtype=np.int64)
                else:
                    free = free[:0]
                continue
            if free.size <= SMALL_ROUND:
                free = _small_round(free, indptr, cols, vals, prices, owner, assigned, eps)
                continue
            cnt = deg[free]
            segstart = np.cumsum(cnt) - cnt
            seg = np.repeat(indptr[free] - segstart, cnt) + np.arange(int(cnt.sum()))
            val = vals[seg] - prices[cols[seg]]
            v1 = np.maximum.reduceat(val, segstart)
            sid = np.repeat(np.arange(free.size), cnt)
            hit = np.flatnonzero(val == v1[sid])
            sh = sid[hit]  # sorted: each free row's first best column starts a new run
            first = hit[_run_starts(sh)]
            val[first] = -np.inf
            v2 = np.maximum.reduceat(val, segstart)
            v2 = np.where(np.isfinite(v2), v2, v1 - eps)  # a single option: any small bid
            j = cols[seg[first]]
            bid = prices[j] + (v1 - v2) + eps
            by = np.lexsort((free, -bid, j))
            jo = j[by]
            win = by[_run_starts(jo)]
            wj, wr = j[win], free[win]
            evicted = owner[wj]
            evicted = evicted[evicted >= 0]
            assigned[evicted] = -1
            owner[wj] = wr
            assigned[wr] = wj
            prices[wj] = bid[win]
            lost = np.ones(free.size, dtype=bool)
            lost[win] = False
            free = np.sort(np.concatenate([free[lost], evicted]))
        if eps <= final:
            break
        eps = max(eps / 5.0, final)
    key = rows * m + cols
    arc = vals[np.searchsorted(key, np.arange(m) * m + assigned)]
    if prices_out is not None:
        prices_out[:] = prices
    return assigned, arc


def auction_dual(m: int, ei: Idx, ej: Idx, w: F64) -> F64:
    """A feasible dual of the graph's fractional matching LP, near its optimum.

    The auction's final prices p give profits pi_i = max_j (w_ij - p_j) over i's arcs (the
    zero diagonal included), so pi_i + p_j >= w_ij for every arc, exactly, whatever the
    prices. Then y_i = (pi_i + p_i) / 2 covers every edge, y_i + y_j >= (w_ij + w_ji) / 2 =
    w_ij, and y_i >= 0 (the diagonal). By eps-complementary slackness its sum is within
    m * eps / 2 of half the optimal assignment, the LP optimum.
    """
    if m == 0:
        return np.zeros(0)
    prices = np.zeros(m)
    auction_assignment(m, ei, ej, w, prices_out=prices)
    rows = np.concatenate([ei, ej, np.arange(m)])
    vals = np.concatenate([w, w, np.zeros(m)]) - prices[np.concatenate([ej, ei, np.arange(m)])]
    profit = np.full(m, -np.inf)
    np.maximum.at(profit, rows, vals)
    return (profit + prices) / 2.0


def solve_pairs(
    m: int,
    ei: Idx,
    ej: Idx,
    w: F64,
    tau: F64,
    score: PairScoreFn | None = None,
    time_limit: float = float("inf"),
    rounds: int = SWAP_ROUNDS,
) -> Solution:
    """Best matching we can certify on the graph, its weight and an upper bound.

    Up to EXACT_LIMIT vertices the pairing is a proven optimum of the graph; beyond, a cycle
    cover polished by `rounds` rounds of pair swaps (`time_limit` seconds cap the swaps only
    as a safety net, reported in `time_capped`).
    """
    capped = False
    if m <= EXACT_LIMIT:
        pairs = exact_matching(m, ei, ej, w)
        solver = "exact (rustworkx blossom)"
        bound = assignment_bound(m, ei, ej, w, tau)
        method = "assignment relaxation"
    else:
        deadline = time.perf_counter() + time_limit
        # With tau on the diagonal, people whose left-out pairs *might* be worth more sit on
        # fixed points: right for the bound, wasteful for the primal. The primal comes from
        # the same relaxation restricted to the graph (diagonal 0).
        bound = -1.0
        if m <= ASSIGNMENT_LIMIT:
            sigma, arc = assignment(m, ei, ej, w, tau)
            bound = float(arc.sum()) / 2.0
            if np.any(tau > 0):
                sigma, arc = assignment(m, ei, ej, w, np.zeros(m))
            solver = "assignment cycle cover + pair swaps"
        else:
            sigma, arc = auction_assignment(m, ei, ej, w)
            solver = "auction cycle cover + pair swaps"
        pairs = cycle_cover_pairs(sigma, arc)
        look = score if score is not None else graph_lookup(m, ei, ej, w)
        swaps = improve_by_swaps(m, ei, ej, w, pairs, look, rounds, deadline)
        pairs, capped = swaps.pairs, swaps.time_capped
        if bound >= 0:
            method = "assignment relaxation"
        else:
            bound = dual_bound(m, ei, ej, w, tau, DUAL_ITERATIONS, pairs)
            method = "LP dual (fractional matching)"
    weight = _total(pairs, ei, ej, w, m, score)
    # An exact matching on a complete graph is its own proof; the bound may still be higher.
    exact = m <= EXACT_LIMIT
    return Solution(pairs, weight, max(bound, weight), solver, method, exact, capped)


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
