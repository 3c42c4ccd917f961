"""The candidate graph: which pairs the solver may use, and a bound on every pair it may not.

Small pools (<= FULL_LIMIT people) keep every feasible pair, so the matching is the exact
optimum of the whole problem. Larger pools keep each person's top-k partners; for each person
i we also return tau[i] >= the score of every feasible pair (i, j) that was *not* kept. The
solvers turn tau into a certified upper bound (see solvers.py), so leaving pairs out never makes
the reported gap a guess.

Up to EXACT_SCAN_LIMIT people the top-k is taken on the exact score. Beyond, a full exact
scan costs too much (10^10 pairs at n = 100,000), so we scan a *linear upper bound*
u(i, j) = f_i . g_j + slack_i >= score(i, j) with one float32 matrix product per block of rows,
keep each row's SCAN_FACTOR * k largest u, rescore those pairs exactly and keep the k best by
exact score. Every pair (i, j) left out of row i is then either outside the scanned list, so
score <= u <= (smallest u kept) + slack_i, or inside it but beaten, so score <= the best exact
score dropped. tau[i] = the larger of the two (plus a float32 rounding margin) is therefore a
valid bound for every pair left out, and rescoring a longer list makes it nearly as tight as an
exact scan: with the list long enough the first term falls below the second.

In peer mode F G^T is symmetric (checked), so the scan multiplies only the blocks on and above
the diagonal, each serving its rows and, transposed, its columns, and filters each block against
per-row thresholds taken from a sample of columns instead of a top-k per block; the bound
argument is unchanged, with "smallest u kept" replaced by the bound ub_i of _symmetric_scan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from .constraints import Constraints
from .features import Cohort
from .scoring import IN_PERSON, VIDEO, Scorer, meeting_upper_table

Idx = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Progress = Callable[[int, int], None]

FULL_LIMIT = 400
EXACT_SCAN_LIMIT = 6000
ROW_BLOCK = 256
LINEAR_ROW_BLOCK = 512  # rows per float32 product in the linear scan (~200 MB at n = 100,000)
SCAN_FACTOR = 4  # the linear scan rescores SCAN_FACTOR * k candidates per person
GROUP = 32  # columns per group in the strided top-k (see _topk)
# float32 products round differently from the exact scorer; pad tau so it stays an upper bound.
TAU_MARGIN = 5e-4
SYM_BLOCK = 2048  # rows (and columns) per block product in the symmetric scan
SCAN_THREADS = 2  # threads for the symmetric scan's block products and filters
SAMPLE_COLUMNS = 2048  # columns sampled for the per-row thresholds of the symmetric scan
SAMPLE_OVER = 2.0  # thresholds expect SAMPLE_OVER * k columns above them
TIME_RANK = 48  # principal directions of the calendars kept in the linear scan
GOAL_RANK = 64  # principal directions of the goal vectors kept (64 = all: exact)


@dataclass
class Graph:
    """An undirected candidate graph on local vertices 0..m-1 (`nodes` maps them to the cohort).

    Edges are (ei[k], ej[k]) with ei < ej, sorted, with exact scores `w`.
    """

    nodes: Idx
    ei: Idx
    ej: Idx
    w: F64
    tau: F64
    complete: bool  # every feasible pair is an edge (tau is then all zero)
    repeats: set[tuple[int, int]] = field(default_factory=set)  # allowed past partners (local)

    @property
    def m(self) -> int:
        return int(self.nodes.size)


def _topk(block: npt.NDArray[np.float32], k: int) -> tuple[Idx, npt.NDArray[np.float32]]:
    """Exact top-k column indices and values of each row (unsorted), k < block.shape[1].

    For wide rows a full argpartition costs ~120 s at n = 100,000. Instead, view the row as
    GROUP interleaved strips, take the maximum of each strided group (a fast vectorised
    reduction), keep the k groups with the largest maxima and select inside them. This is exact:
    an element among the top k lies in a group whose maximum is at least that element, and at
    most k - 1 groups can have a larger maximum (each holds a distinct larger element).
    """
    b, c = block.shape
    if c <= 8 * GROUP * max(k, 1) or c < 4096:
        idx = np.argpartition(block, c - k, axis=1)[:, c - k :]
        return idx.astype(np.int64), np.take_along_axis(block, idx, axis=1)
    ng = -(-c // GROUP)
    if ng * GROUP != c:
        pad = np.full((b, ng * GROUP - c), -np.inf, dtype=np.float32)
        block = np.concatenate([block, pad], axis=1)
    strips = block.reshape(b, GROUP, ng)  # column = s * ng + g
    gmax = strips.max(axis=1)
    groups = np.argpartition(gmax, ng - k, axis=1)[:, ng - k :]  # (b, k)
    cand = np.take_along_axis(strips, groups[:, None, :], axis=2).reshape(b, GROUP * k)
    cols = (np.arange(GROUP)[:, None] * ng + groups[:, None, :]).reshape(b, GROUP * k)
    sel = np.argpartition(cand, cand.shape[1] - k, axis=1)[:, cand.shape[1] - k :]
    return np.take_along_axis(cols, sel, axis=1), np.take_along_axis(cand, sel, axis=1)


def _project(x: npt.NDArray[np.float32], cap: int) -> tuple[npt.NDArray[np.float32], F64]:
    """Rows of x in the basis of their top principal directions, and what each row misses.

    x_i . x_j = p_i . p_j + r_i . r_j <= p_i . p_j + |r_i| |r_j| (Cauchy-Schwarz), so the
    projection plus the residual norms gives an upper bound; when the rows span at most `cap`
    directions (few distinct calendars or goal texts) the residuals are zero and it is exact,
    with fewer columns than x.
    """
    x64 = x.astype(np.float64)
    cov = (x64.T @ x64) / max(x.shape[0], 1)
    vals, vecs = np.linalg.eigh(cov)
    order = np.argsort(-vals)
    tol = 1e-9 * max(float(vals.max(initial=0.0)), 1.0)
    rank = int(min(cap, int((vals > tol).sum())))
    basis = np.ascontiguousarray(vecs[:, order[:rank]])
    proj64 = x64 @ basis
    # |r|^2 = |x|^2 - |p|^2 (orthonormal basis), without an n x d residual matrix; the 1e-12
    # covers float64 cancellation, so resid stays >= the true residual norm.
    r2 = np.einsum("ij,ij->i", x64, x64) - np.einsum("ij,ij->i", proj64, proj64)
    resid = np.sqrt(np.maximum(r2, 0.0) + 1e-12)
    return proj64.astype(np.float32), resid


Mutual = tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], float]


def mutual_factors(cohort: Cohort, nodes: Idx) -> Mutual:
    """(offers, seeks) as 0/1 rows and the mutual weight: c_ab = offers_a . seeks_b counts the
    skills a can teach b, and the two-way bonus is exactly w * min(1, c_ab, c_ba)."""
    c = cohort
    ob = (c.offer[nodes] > 0).astype(np.float32)
    sb = (c.seek[nodes] > 0).astype(np.float32)
    return ob, sb, float(c.settings.weights.mutual)


def _mutual_block(mutual: Mutual, a: slice | Idx, b: slice | Idx) -> npt.NDArray[np.float32]:
    ob, sb, w = mutual
    ab = ob[a] @ sb[b].T
    ba = sb[a] @ ob[b].T
    return np.asarray(np.minimum(np.minimum(ab, ba), 1.0) * np.float32(w), dtype=np.float32)


def linear_features(
    cohort: Cohort, nodes: Idx, time_rank: int = TIME_RANK, exact_mutual: bool = False
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], F64]:
    """F, G and slack with F[i] . G[j] + slack[i] >= score(i, j) for every unrequested pair.

    Exact terms: reciprocity, level, tenure, goals, the department half of cross_team and,
    when locations are few, meeting. Bounded terms:
    - mutual: [t_ab > 0][t_ba > 0] <= (c_ab + c_ba) / 2, where c_ab counts the skills a
      offers that b seeks (exact for the common one-skill-each-way case);
    - the team half of cross_team: <= 0.5 (same-team pairs are rare);
    - time: the availability cosine is projected on its top principal directions; what the
      projection misses is at most |r_i| |r_j| (Cauchy-Schwarz), so slack[i] gets
      w_time * |r_i| * max_j |r_j| (zero when the cohort's calendars span few directions);
    - goals: the same projection (exact with fewer columns when the goal texts are few);
    - meeting with many locations: location ignored.
    Requests are positive but sparse: requested pairs are always kept as candidates.
    """
    c = cohort
    w = c.settings.weights
    f: list[npt.NDArray[np.float32]] = []
    g: list[npt.NDArray[np.float32]] = []

    def onehot(codes: Idx, width: int) -> npt.NDArray[np.float32]:
        out = np.zeros((codes.size, width), dtype=np.float32)
        ok = codes >= 0
        out[np.nonzero(ok)[0], codes[ok]] = 1.0
        return out

    off, seek = c.offer[nodes], c.seek[nodes]
    f += [off * (w.reciprocity / 2), seek * (w.reciprocity / 2)]
    g += [seek, off]
    if not exact_mutual:  # else the symmetric scan adds it exactly (see mutual_factors)
        ob, sb = (off > 0).astype(np.float32), (seek > 0).astype(np.float32)
        f += [ob * (w.mutual / 2), sb * (w.mutual / 2)]
        g += [sb, ob]
    level_rule = _level_penalty(cohort)
    for tab, codes, weight in (
        (c.level_tab * w.level + level_rule, c.level_idx, 1.0),
        (c.year_tab, c.year_idx, w.tenure),
    ):
        width = tab.shape[0]
        local = np.where(codes[nodes] < 0, width - 1, codes[nodes])  # -1 = last = unknown
        f.append((tab[local] * weight).astype(np.float32))
        g.append(onehot(local, width))
    const = w.cross_team
    if len(c.dept_names) <= 256:
        f.append(onehot(c.dept[nodes], len(c.dept_names)) * (-0.5 * w.cross_team))
        g.append(onehot(c.dept[nodes], len(c.dept_names)))

    # time: 0.5 for pairs with an unknown calendar, else the cosine (projected + slack).
    known = c.avail_known[nodes].astype(np.float32)[:, None]
    proj, resid = _project(c.avail_unit[nodes], time_rank)
    # What the projection misses is at most |r_i| |r_j|: one more column on each side.
    r32 = resid.astype(np.float32)[:, None]
    f += [proj * w.time, known * (-0.5 * w.time), r32 * w.time]
    g += [proj, known, r32]
    slack = np.zeros(nodes.size, dtype=np.float64)
    const += 0.5 * w.time

    n_loc = int(c.loc.max(initial=-1)) + 2  # + "unknown"
    if 3 * n_loc <= 96:
        cat = c.pref[nodes] * n_loc + np.where(c.loc[nodes] < 0, n_loc - 1, c.loc[nodes])
        pc = np.repeat(np.arange(3), n_loc)
        lc = np.tile(np.arange(n_loc), 3)
        same = (lc[:, None] == lc[None, :]) & (lc[:, None] < n_loc - 1)
        room = (pc[:, None] == IN_PERSON) | (pc[None, :] == IN_PERSON)
        clash = ((pc[:, None] == IN_PERSON) & (pc[None, :] == VIDEO)) | (
            (pc[:, None] == VIDEO) & (pc[None, :] == IN_PERSON)
        )
        tab = np.where(room, same & ~clash, True).astype(np.float32)
        f.append(tab[cat] * w.meeting)
        g.append(onehot(cat, 3 * n_loc))
    else:
        f.append(meeting_upper_table()[c.pref[nodes]] * w.meeting)
        g.append(onehot(c.pref[nodes], 3))
    gproj, gres = _project(c.goals[nodes], GOAL_RANK)
    g32 = gres.astype(np.float32)[:, None]
    f += [gproj * w.goals, g32 * w.goals]
    g += [gproj, g32]
    ones = np.ones((nodes.size, 1), dtype=np.float32)
    f.append(ones)
    g.append(ones * const)
    ff, gg = np.concatenate(f, axis=1), np.concatenate(g, axis=1)
    # A column that is zero on either side adds nothing to any product: drop it.
    used = (ff != 0).any(axis=0) & (gg != 0).any(axis=0)
    return (
        np.ascontiguousarray(ff[:, used], dtype=np.float32),
        np.ascontiguousarray(gg[:, used], dtype=np.float32),
        slack,
    )


LEVEL_PENALTY = 1000.0  # a pair the level rule forbids scans far below any real score


def _level_penalty(cohort: Cohort) -> npt.NDArray[np.float32]:
    """-LEVEL_PENALTY for level pairs the peer level rule forbids, 0 elsewhere, in the layout
    of `level_tab` (known levels, then "unknown", which no rule holds to). The scan's bound
    stays an upper bound of every *feasible* pair; forbidden ones need none."""
    gap = cohort.settings.max_level_gap
    k = len(cohort.level_values)
    out = np.zeros((k + 1, k + 1), dtype=np.float32)
    if gap is not None and cohort.settings.mode == "peer" and k:
        lv = np.asarray(cohort.level_values, dtype=np.float64)
        out[:k, :k] = np.where(np.abs(lv[:, None] - lv[None, :]) > gap, -LEVEL_PENALTY, 0.0)
    return out


def build_graph(
    cohort: Cohort,
    scorer: Scorer,
    cons: Constraints,
    nodes: Idx,
    k: int,
    progress: Progress | None = None,
) -> Graph:
    """The candidate graph of the peer problem on `nodes` (cohort indices)."""
    m = nodes.size
    s = cohort.settings
    g2l = np.full(cohort.n, -1, dtype=np.int64)
    g2l[nodes] = np.arange(m)
    if m < 2:
        return Graph(nodes, *_empty_edges(), np.zeros(m), True)
    complete = m <= FULL_LIMIT or k >= m - 1
    kk = m - 1 if complete else k
    linear = not complete and m > EXACT_SCAN_LIMIT
    scan_k = min(SCAN_FACTOR * kk, m - 1) if linear else kk
    step = LINEAR_ROW_BLOCK if linear else ROW_BLOCK
    if linear:
        feat_f, feat_g, slack = linear_features(cohort, nodes, exact_mutual=True)
    rows_out: list[Idx] = []
    cols_out: list[Idx] = []
    w_out: list[F64] = []
    tau = np.zeros(m, dtype=np.float64)
    if linear and _symmetric(feat_f, feat_g):
        mutual = mutual_factors(cohort, nodes)
        for rows, top, vals, ub in _symmetric_scan(
            feat_f, feat_g, cons, nodes, g2l, scan_k, progress, mutual
        ):
            r, cc, x, bound = _rescore_rows(scorer, nodes, rows, top, vals, kk)
            # Left out of row i: never listed (u <= ub_i + slack_i, see _symmetric_scan) or
            # rescored and beaten (score <= the best exact score dropped).
            tau[rows] = np.maximum(ub + slack[rows] + TAU_MARGIN, bound)
            rows_out.append(r)
            cols_out.append(cc)
            w_out.append(x)
    if linear and not w_out:
        # The row-block scan takes the two-way bonus in its linear (looser) form.
        feat_f, feat_g, slack = linear_features(cohort, nodes)
    for start in range(0, m, step) if not w_out else ():
        rows = np.arange(start, min(start + step, m))
        if linear:
            block = feat_f[rows] @ feat_g.T
        else:
            block = scorer.block(nodes[rows], nodes)
            # Below the program's minimum fit (or worthless) is not a pair at all.
            block[(block < s.min_fit) | (block <= 0)] = -np.inf
        block[np.arange(rows.size), rows] = -np.inf
        ex = cons.hard_matrix[nodes[rows]].tocoo()
        lc = g2l[ex.col]
        ok = lc >= 0
        block[ex.row[ok], lc[ok]] = -np.inf
        if cons.has_level_rule and not linear:
            block[~cons.level_ok(nodes[rows][:, None], nodes[None, :])] = -np.inf
        if complete:
            r, cidx = np.nonzero(np.isfinite(block))
            rows_out.append(rows[r])
            cols_out.append(cidx.astype(np.int64))
        elif linear:
            top, vals = _topk(block, scan_k)
            del block
            r, cc, x, bound = _rescore_rows(scorer, nodes, rows, top, vals, kk)
            # Left out of row i: outside the scanned list (score <= u <= smallest u kept +
            # slack) or rescored and beaten (score <= the best exact score dropped).
            tau[rows] = np.maximum(vals.min(axis=1) + slack[rows] + TAU_MARGIN, bound)
            rows_out.append(r)
            cols_out.append(cc)
            w_out.append(x)
        else:
            top, vals = _topk(block, kk)
            # Every pair left out scores <= the k-th value kept (or is infeasible if -inf).
            tau[rows] = vals.min(axis=1)
            fin = np.isfinite(vals)
            rr = np.broadcast_to(rows[:, None], top.shape)[fin]
            rows_out.append(rr)
            cols_out.append(top[fin])
        if progress is not None:
            progress(min(start + step, m), m)
    tau = np.where(np.isfinite(tau), np.maximum(tau, 0.0), 0.0)
    ri = np.concatenate(rows_out) if rows_out else np.zeros(0, dtype=np.int64)
    ci = np.concatenate(cols_out) if cols_out else np.zeros(0, dtype=np.int64)

    # Name requests are always candidates (their bonus is not in the linear bound).
    req = scorer.requests[nodes][:, nodes].tocoo()
    if linear:
        # Scored already (and feasible: the scan masked hard constraints and past partners).
        known_ei, known_ej, known_w = _dedupe(m, ri, ci, np.concatenate(w_out))
        ri, ci = req.row.astype(np.int64), req.col.astype(np.int64)
    else:
        known_ei, known_ej, known_w = _empty_edges()
        ri = np.concatenate([ri, req.row.astype(np.int64)])
        ci = np.concatenate([ci, req.col.astype(np.int64)])

    ei, ej, w = _rescore(scorer, cons, nodes, ri, ci, past_ok=False)
    if known_ei.size:
        ei, ej, w = _dedupe(
            m,
            np.concatenate([known_ei, ei]),
            np.concatenate([known_ej, ej]),
            np.concatenate([known_w, w]),
        )
    repeats: set[tuple[int, int]] = set()
    if s.allow_repeats:
        ei, ej, w, repeats = _allow_repeats(cohort, scorer, cons, nodes, g2l, ei, ej, w, tau)
    return Graph(nodes, ei, ej, w, tau, complete, repeats)


def _symmetric(feat_f: npt.NDArray[np.float32], feat_g: npt.NDArray[np.float32]) -> bool:
    """Whether F G^T is a symmetric matrix (peer scores), tested on a few hundred rows."""
    h = min(feat_f.shape[0], 300)
    a = feat_f[:h].astype(np.float64) @ feat_g[:h].astype(np.float64).T
    return bool(np.allclose(a, a.T, rtol=0.0, atol=1e-6))


def _symmetric_scan(
    feat_f: npt.NDArray[np.float32],
    feat_g: npt.NDArray[np.float32],
    cons: Constraints,
    nodes: Idx,
    g2l: Idx,
    k: int,
    progress: Progress | None,
    mutual: Mutual | None = None,
) -> Iterator[tuple[Idx, Idx, npt.NDArray[np.float32], F64]]:
    """Each row's (up to) k best feasible columns of S = F G^T when S is symmetric.

    With `mutual`, S also holds the two-way bonus w * min(1, c_ab, c_ba) exactly (two small
    products and an elementwise minimum per block, still symmetric): its linear form
    w * (c_ab + c_ba) / 2 overestimates pairs that share several skills by several points.

    Yields, per block of rows in order: rows, columns (rows x k), values (-inf where a row has
    fewer than k) and ub with S[i, j] <= ub[i] for every feasible j != i not listed.

    Only blocks on or above the diagonal are multiplied: S[I, J] serves rows I and, transposed,
    rows J (S[j, i] = S[i, j] up to float32 rounding, which TAU_MARGIN covers as for any
    product). Instead of a top-k of every block, each row i has a threshold t[i] (a high
    quantile of its values on a sample of columns, expecting about SAMPLE_OVER * k columns
    above it) and a block only hands on the entries above it. A row then lists every column
    with S > t[i]; if that is k or more it keeps the k largest, and every column not kept has
    S <= the smallest kept; otherwise every column not listed has S <= t[i]. So ub[i] = the
    k-th value kept, or t[i] when fewer than k columns beat it: a valid bound whatever the
    sample gave, only a looser one when t[i] came out too high.
    """
    m = feat_f.shape[0]
    bsz = SYM_BLOCK
    ns = min(m, SAMPLE_COLUMNS)
    sample = (np.arange(ns, dtype=np.int64) * m) // ns
    rank = int(min(max(np.ceil(SAMPLE_OVER * k * ns / m), 1), max(ns - 1, 1)))
    thr = np.empty(m, dtype=np.float32)
    gs = feat_g[sample]
    for start in range(0, m, 8192):
        stop = min(start + 8192, m)
        ps = feat_f[start:stop] @ gs.T
        if mutual is not None:
            ps += _mutual_block(mutual, slice(start, stop), sample)
        hit = sample[None, :] == np.arange(start, stop)[:, None]
        ps[hit] = -np.inf
        thr[start:stop] = np.partition(ps, ns - rank, axis=1)[:, ns - rank]
    del gs
    starts = list(range(0, m, bsz))
    Piece = tuple[Idx, Idx, npt.NDArray[np.float32]]
    pend: list[list[Piece]] = [[] for _ in starts]

    def product(bi: int, bj: int) -> tuple[Piece, Piece | None]:
        """Entries of S[I, J] above their row's threshold, and (J > I) above their column's."""
        a0, b0 = starts[bi], starts[bj]
        a1, b1 = min(a0 + bsz, m), min(b0 + bsz, m)
        ta = thr[a0:a1]
        p = feat_f[a0:a1] @ feat_g[b0:b1].T
        if mutual is not None:
            p += _mutual_block(mutual, slice(a0, a1), slice(b0, b1))
        if bj == bi:
            np.fill_diagonal(p, -np.inf)
            lo = ta[:, None]
        else:
            lo = np.minimum.outer(ta, thr[b0:b1])
        # One pass finds every entry above its row's or its column's threshold.
        flat = np.flatnonzero(p > lo)
        v = p.ravel()[flat]
        r = flat // p.shape[1]
        c = flat - r * p.shape[1]
        side = v > ta[r]
        mine = (r[side], c[side] + b0, v[side])
        if bj == bi:
            return mine, None
        side = v > thr[b0:b1][c]
        return mine, (c[side], r[side] + a0, v[side])

    # NumPy's comparisons and nonzero run on one core and release the GIL: two threads keep
    # both cores busy, and the next block row is queued before this one is finished and
    # rescored by the caller. Results are collected in block order: deterministic output.
    with ThreadPoolExecutor(max_workers=SCAN_THREADS) as pool:

        def submit(bi: int) -> list[Future[tuple[Piece, Piece | None]]]:
            return [pool.submit(product, bi, bj) for bj in range(bi, len(starts))]

        queued = submit(0)
        for bi, a0 in enumerate(starts):
            a1 = min(a0 + bsz, m)
            current = queued
            for bj, fut in enumerate(current, start=bi):
                mine, theirs = fut.result()
                pend[bi].append(mine)
                if theirs is not None:
                    pend[bj].append(theirs)
            if bi + 1 < len(starts):
                queued = submit(bi + 1)
            pieces = pend[bi]
            pend[bi] = []
            yield _finish_rows(pieces, a0, a1, thr[a0:a1], cons, nodes, g2l, k)
            if progress is not None:
                progress(a1, m)


def _finish_rows(
    pieces: list[tuple[Idx, Idx, npt.NDArray[np.float32]]],
    a0: int,
    a1: int,
    thr: npt.NDArray[np.float32],
    cons: Constraints,
    nodes: Idx,
    g2l: Idx,
    k: int,
) -> tuple[Idx, Idx, npt.NDArray[np.float32], F64]:
    """The k best listed feasible columns of rows a0..a1-1 and their bounds ub (see above)."""
    m = nodes.size
    b = a1 - a0
    rows = np.arange(a0, a1, dtype=np.int64)
    r = np.concatenate([x[0] for x in pieces])
    c = np.concatenate([x[1] for x in pieces])
    v = np.concatenate([x[2] for x in pieces])
    counts = np.bincount(r, minlength=b)
    width = max(int(counts.max(initial=0)), k)
    order = np.argsort(r.astype(np.int16 if b <= 2**15 else np.int64), kind="stable")
    r, c, v = r[order], c[order], v[order]
    first = np.cumsum(counts) - counts
    pos = np.arange(r.size) - first[r]
    vals = np.full((b, width), -np.inf, dtype=np.float32)
    cols = np.zeros((b, width), dtype=np.int64)
    vals[r, pos] = v
    cols[r, pos] = c
    if width > k:
        sel = np.argpartition(vals, width - k, axis=1)[:, width - k :]
        vals = np.take_along_axis(vals, sel, axis=1)
        cols = np.take_along_axis(cols, sel, axis=1)
    # Every column not listed has S <= ub: the k-th value kept, or the threshold when fewer
    # than k beat it. Hard-excluded columns are then dropped (never pairs, they need no bound).
    ub = np.where(counts >= k, vals.min(axis=1), thr).astype(np.float64)
    ex = cons.hard_matrix[nodes[rows]].tocoo()
    lc = g2l[ex.col]
    ok = lc >= 0
    if ok.any():
        bad = np.unique(ex.row[ok].astype(np.int64) * m + lc[ok])
        keys = (rows[:, None] - a0) * m + cols
        at = np.minimum(np.searchsorted(bad, keys), bad.size - 1)
        vals[bad[at] == keys] = -np.inf
    if cons.has_level_rule:
        vals[~cons.level_ok(nodes[rows][:, None], nodes[cols])] = -np.inf
    return rows, cols, vals, ub


def _rescore_rows(
    scorer: Scorer, nodes: Idx, rows: Idx, top: Idx, vals: npt.NDArray[np.float32], k: int
) -> tuple[Idx, Idx, F64, F64]:
    """Exact scores of each row's scanned list; keep the k best feasible ones per row.

    Returns the kept (row, col, score) triples and, per row, the best exact score dropped
    (-inf when none): the second half of that row's tau.
    """
    s = scorer.cohort.settings
    fin = np.isfinite(vals)
    rr = np.broadcast_to(rows[:, None], top.shape)
    exact = np.full(top.shape, -np.inf)
    x, _ = scorer.pairs(nodes[rr[fin]], nodes[top[fin]])
    x64 = x.astype(np.float64)
    good = (x64 >= s.min_fit) & (x64 > 0)
    good &= scorer_level_ok(scorer, nodes[rr[fin]], nodes[top[fin]])
    exact[fin] = np.where(good, x64, -np.inf)
    order = np.argsort(-exact, axis=1, kind="stable")
    keep = order[:, :k]
    if order.shape[1] > k:
        dropped = np.take_along_axis(exact, order[:, k : k + 1], axis=1)[:, 0]
    else:
        dropped = np.full(rows.size, -np.inf)
    kv = np.take_along_axis(exact, keep, axis=1)
    kc = np.take_along_axis(top, keep, axis=1)
    ok = np.isfinite(kv)
    return rr[:, : keep.shape[1]][ok], kc[ok], kv[ok], dropped


def scorer_level_ok(scorer: Scorer, i: Idx, j: Idx) -> npt.NDArray[np.bool_]:
    """The peer level rule for cohort pairs, from the scorer's cohort alone (the linear scan
    lists pairs before any constraint object sees them)."""
    c = scorer.cohort
    gap = c.settings.max_level_gap
    if gap is None or c.settings.mode != "peer":
        return np.ones(i.shape, dtype=bool)
    li, lj = c.level_idx[i], c.level_idx[j]
    lv = np.asarray([*c.level_values, 0], dtype=np.float64)
    return np.asarray((li < 0) | (lj < 0) | (np.abs(lv[li] - lv[lj]) <= gap))


def _dedupe(m: int, ri: Idx, ci: Idx, w: F64) -> tuple[Idx, Idx, F64]:
    """Unique undirected edges (a < b, sorted) of scored local pairs (first score wins)."""
    a, b = np.minimum(ri, ci), np.maximum(ri, ci)
    keep = a != b
    key, first = np.unique(a[keep] * m + b[keep], return_index=True)
    return key // m, key % m, w[keep][first]


def _empty_edges() -> tuple[Idx, Idx, F64]:
    z = np.zeros(0, dtype=np.int64)
    return z, z.copy(), np.zeros(0, dtype=np.float64)


def _rescore(
    scorer: Scorer, cons: Constraints, nodes: Idx, ri: Idx, ci: Idx, past_ok: bool
) -> tuple[Idx, Idx, F64]:
    """Unique undirected feasible edges among local pairs, with exact scores."""
    s = scorer.cohort.settings
    m = nodes.size
    a, b = np.minimum(ri, ci), np.maximum(ri, ci)
    keep = a != b
    key = np.unique(a[keep] * m + b[keep])
    a, b = key // m, key % m
    bad = cons.excluded(nodes[a], nodes[b], past=not past_ok)
    a, b = a[~bad], b[~bad]
    w, _ = scorer.pairs(nodes[a], nodes[b])
    ok = (w >= s.min_fit) & (w > 0)
    return a[ok], b[ok], w[ok].astype(np.float64)


def _allow_repeats(
    cohort: Cohort,
    scorer: Scorer,
    cons: Constraints,
    nodes: Idx,
    g2l: Idx,
    ei: Idx,
    ej: Idx,
    w: F64,
    tau: F64,
) -> tuple[Idx, Idx, F64, set[tuple[int, int]]]:
    """Past partners come back only for people with no other feasible partner at all."""
    m = nodes.size
    deg = np.bincount(np.concatenate([ei, ej]), minlength=m)
    exhausted = np.nonzero((deg == 0) & (tau <= 0))[0]
    ri: list[int] = []
    ci: list[int] = []
    for loc in exhausted.tolist():
        for other in sorted(cohort.people[int(nodes[loc])].past_partners):
            j = cohort.index.get(other)
            if j is not None and g2l[j] >= 0:
                ri.append(loc)
                ci.append(int(g2l[j]))
    # A past pair also counts when only the other side listed it.
    past_pairs = cons.past
    pa, pb = past_pairs // cohort.n, past_pairs % cohort.n
    for loc in exhausted.tolist():
        gi = int(nodes[loc])
        for j in pb[pa == gi].tolist():
            if g2l[j] >= 0:
                ri.append(loc)
                ci.append(int(g2l[j]))
    if not ri:
        return ei, ej, w, set()
    ra, rb, rw = _rescore(scorer, cons, nodes, np.array(ri), np.array(ci), past_ok=True)
    repeats = {(int(x), int(y)) for x, y in zip(ra, rb, strict=True)}
    key = np.concatenate([ei * m + ej, ra * m + rb])
    allw = np.concatenate([w, rw])
    key, first = np.unique(key, return_index=True)
    return key // m, key % m, allw[first], repeats


PRICE_LIMIT = 30000  # beyond, a pricing scan costs as much as the whole match: floors only
PRICED_METHOD = "LP relaxation of every pair (candidate graph dual, priced out)"
PRICE_K = 64  # pairs per person whose reduced cost the pricing scan rescores exactly
PRICE_ROUNDS = 2  # pricing rounds: each adds the violated pairs found and solves again
PRICE_TIME_RANK = 96  # calendar directions in the pricing scan (tighter than the first scan)
PRICE_ADD = 8  # violated pairs per person added as new candidates in a round


def priced_bound(
    cohort: Cohort,
    scorer: Scorer,
    cons: Constraints,
    graph: Graph,
    k: int = PRICE_K,
    rounds: int = PRICE_ROUNDS,
) -> float | None:
    """An upper bound on every matching of the whole problem, by pricing out a graph dual.

    y is a dual of the candidate graph's fractional matching LP (`auction_dual`): it covers
    every candidate edge (y_i + y_j >= w_ij) but not, in general, the pairs left out. Pricing
    finds, for each person i, v_i >= max(0, w_ij - y_i - y_j) over every feasible j; then
    y + v / 2 covers every feasible pair (for a pair (i, j) left out, v_i / 2 + v_j / 2 >=
    w_ij - y_i - y_j), so its sum bounds the fractional matching LP of the whole problem,
    hence every matching (weak duality). Unlike the floors y_i >= tau_i / 2 of the assignment
    bound, only the pairs that really beat their dual pay. The violated pairs found become
    candidates and the LP is solved again (column generation), `rounds` times at most; every
    round's bound is valid, the smallest is returned.

    Up to EXACT_SCAN_LIMIT people the reduced costs are exact. Beyond, the linear scan of
    build_graph runs on S_ij = f_i . g_j - y_i - y_j (two more columns, still symmetric) and
    rescores each person's k best exactly; every pair not listed has S_ij <= ub_i (see
    _symmetric_scan), so v_i = max(listed, ub_i + TAU_MARGIN, 0). Returns None when that
    shortcut does not apply (a score that is not symmetric).
    """
    from .solvers import auction_dual

    nodes = graph.nodes
    m = nodes.size
    if m < 2 or graph.complete:
        return None
    g2l = np.full(cohort.n, -1, dtype=np.int64)
    g2l[nodes] = np.arange(m)
    feats = None
    if m > EXACT_SCAN_LIMIT:
        feat_f, feat_g, slack = linear_features(cohort, nodes, PRICE_TIME_RANK, exact_mutual=True)
        if not _symmetric(feat_f, feat_g) or np.any(slack > 0):
            return None
        feats = (feat_f, feat_g, mutual_factors(cohort, nodes))
    ei, ej, w = graph.ei, graph.ej, graph.w
    best = float("inf")
    for _ in range(rounds):
        y = auction_dual(m, ei, ej, w)
        if feats is None:
            v, add = _price_exact(cohort, scorer, cons, nodes, g2l, y)
        else:
            v, add = _price_linear(scorer, cons, nodes, g2l, y, feats, k)
        best = min(best, float(y.sum() + v.sum() / 2.0))
        if add[0].size == 0:
            break
        ei, ej, w = _dedupe(
            m,
            np.concatenate([ei, add[0]]),
            np.concatenate([ej, add[1]]),
            np.concatenate([w, add[2]]),
        )
    return best


def _violated(rows: Idx, cols: Idx, red: F64, x: F64) -> tuple[Idx, Idx, F64]:
    """Each row's PRICE_ADD most violated pairs (reduced cost > 0) as (i, j, score)."""
    keep = red > 1e-9
    rows, cols, red, x = rows[keep], cols[keep], red[keep], x[keep]
    order = np.lexsort((cols, -red, rows))
    rows, cols, x = rows[order], cols[order], x[order]
    first = np.searchsorted(rows, rows)
    rank = np.arange(rows.size) - first
    sel = rank < PRICE_ADD
    return rows[sel], cols[sel], x[sel]


def _price_exact(
    cohort: Cohort, scorer: Scorer, cons: Constraints, nodes: Idx, g2l: Idx, y: F64
) -> tuple[F64, tuple[Idx, Idx, F64]]:
    s = cohort.settings
    m = nodes.size
    v = np.zeros(m)
    found: list[tuple[Idx, Idx, F64]] = []
    for start in range(0, m, ROW_BLOCK):
        rows = np.arange(start, min(start + ROW_BLOCK, m))
        block = scorer.block(nodes[rows], nodes).astype(np.float64)
        bad = (block < s.min_fit) | (block <= 0)
        bad[np.arange(rows.size), rows] = True
        ex = cons.hard_matrix[nodes[rows]].tocoo()
        lc = g2l[ex.col]
        ok = lc >= 0
        bad[ex.row[ok], lc[ok]] = True
        if cons.has_level_rule:
            bad |= ~cons.level_ok(nodes[rows][:, None], nodes[None, :])
        red = block - y[rows, None] - y[None, :]
        red[bad] = -np.inf
        v[rows] = np.maximum(red.max(axis=1), 0.0)
        r, c = np.nonzero(red > 1e-9)
        found.append(_violated(rows[r], c.astype(np.int64), red[r, c], block[r, c]))
    return v, tuple(np.concatenate(x) for x in zip(*found, strict=True))  # type: ignore[return-value]


def _price_linear(
    scorer: Scorer,
    cons: Constraints,
    nodes: Idx,
    g2l: Idx,
    y: F64,
    feats: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], Mutual],
    k: int,
) -> tuple[F64, tuple[Idx, Idx, F64]]:
    s = scorer.cohort.settings
    m = nodes.size
    v = np.zeros(m)
    y32 = y.astype(np.float32)[:, None]
    one = np.ones((m, 1), dtype=np.float32)
    f2 = np.ascontiguousarray(np.concatenate([feats[0], -y32, one], axis=1))
    g2 = np.ascontiguousarray(np.concatenate([feats[1], one, -y32], axis=1))
    found: list[tuple[Idx, Idx, F64]] = []
    for rows, top, vals, ub in _symmetric_scan(f2, g2, cons, nodes, g2l, k, None, feats[2]):
        fin = np.isfinite(vals)
        ri = np.broadcast_to(rows[:, None], top.shape)[fin]
        ci = top[fin]
        x, _ = scorer.pairs(nodes[ri], nodes[ci])
        x64 = x.astype(np.float64)
        good = (x64 >= s.min_fit) & (x64 > 0) & scorer_level_ok(scorer, nodes[ri], nodes[ci])
        red = np.where(good, x64 - y[ri] - y[ci], -np.inf)
        listed = np.full(rows.size, -np.inf)
        np.maximum.at(listed, ri - rows[0], red)
        # Listed pairs: exact; the rest: S_ij <= ub_i (float32 rounding: TAU_MARGIN).
        v[rows] = np.maximum(np.maximum(listed, ub + TAU_MARGIN), 0.0)
        found.append(_violated(ri, ci, red, x64))
    return v, tuple(np.concatenate(x) for x in zip(*found, strict=True))  # type: ignore[return-value]
