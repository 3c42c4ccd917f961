"""Mentor mode: mentors take up to `capacity` mentees each (bipartite b-matching).

Each mentor becomes `capacity` identical slots, and each mentee gets a private "no mentor"
column, so a full assignment of mentees always exists. SciPy's sparse LAPJV solves it exactly.

Bound: solving again with the private column worth tau_e (>= the score of every mentor left
out of mentee e's candidates) relaxes the problem: in any feasible b-matching, a mentee whose
mentor is a candidate keeps a distinct slot, and one whose mentor is not can use its private
column without losing value. So that optimum bounds the best b-matching of the full problem;
when every feasible pair is a candidate, tau is 0 and the bound equals the exact optimum.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

if TYPE_CHECKING:
    from .engine import Context

Idx = npt.NDArray[np.int64]
ALL_MENTORS_LIMIT = 64
CHUNK = 512


@dataclass
class MentorResult:
    pairs: list[tuple[int, int]]  # (mentor, mentee) cohort indices
    unmatched: dict[int, str]
    weight: float
    upper_bound: float
    solver: str = "exact b-matching (SciPy sparse assignment)"
    bound_method: str = "assignment relaxation"


def _assign(
    n_rows: int,
    slots_of_row: list[Idx],
    vals_of_row: list[npt.NDArray[np.float64]],
    n_slots: int,
    dummy: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Max-weight full assignment of rows to slots or their own dummy column."""
    rows = np.concatenate(
        [np.full(s.size, r) for r, s in enumerate(slots_of_row)] + [np.arange(n_rows)]
    )
    cols = np.concatenate([*slots_of_row, n_slots + np.arange(n_rows)])
    vals = np.concatenate([*vals_of_row, dummy])
    top = float(vals.max()) + 1.0
    cost = sp.csr_matrix((top - vals, (rows, cols)), shape=(n_rows, n_slots + n_rows))
    r, c = min_weight_full_bipartite_matching(cost)
    col_of_row = np.empty(n_rows, dtype=np.int64)
    col_of_row[r] = c
    picked = top - np.asarray(cost[np.arange(n_rows), col_of_row]).ravel()
    return col_of_row, picked


def solve_mentor(ctx: Context, in_lock: set[int], locked: list[tuple[int, ...]]) -> MentorResult:
    c = ctx.cohort
    s = c.settings
    unmatched: dict[int, str] = {}
    used = {k: 0 for k in range(c.n)}
    for g in locked:
        for k in g:
            if c.role[k] == "mentor":
                used[k] += len(g) - 1
    mentors: list[int] = []
    mentees: list[int] = []
    for k in range(c.n):
        if k in in_lock and not (c.role[k] == "mentor" and c.capacity[k] - used[k] > 0):
            continue
        if c.role[k] == "mentor":
            mentors.append(k)
        elif c.role[k] == "mentee" and k not in in_lock:
            mentees.append(k)
        elif k not in in_lock:
            unmatched[k] = "role_not_in_mode"
    cap = np.array([max(int(c.capacity[m]) - used[m], 0) for m in mentors], dtype=np.int64)
    if not mentees or not mentors or cap.sum() == 0:
        for e in mentees:
            unmatched[e] = "no_feasible_mentor"
        for m in mentors:
            if m not in in_lock:
                unmatched[m] = "mentor_unused"
        return MentorResult([], unmatched, 0.0, 0.0)

    mentor_arr = np.array(mentors, dtype=np.int64)
    keep_all = len(mentors) <= max(ALL_MENTORS_LIMIT, s.top_k)
    k = len(mentors) if keep_all else s.top_k
    slot_start = np.concatenate([[0], np.cumsum(cap)])
    tau = np.zeros(len(mentees))
    slots_of_row: list[Idx] = []
    vals_of_row: list[npt.NDArray[np.float64]] = []
    mentor_of_row: list[Idx] = []
    for start in range(0, len(mentees), CHUNK):
        chunk = np.array(mentees[start : start + CHUNK], dtype=np.int64)
        block = ctx.scorer.block(mentor_arr, chunk).T.astype(np.float64)  # (chunk, mentors)
        ri = np.repeat(chunk, mentor_arr.size)
        cj = np.tile(mentor_arr, chunk.size)
        bad = ctx.cons.excluded(ri, cj, past=not s.allow_repeats).reshape(block.shape)
        block[bad | (block < s.min_fit) | (block <= 0)] = -np.inf
        if keep_all:
            top = np.broadcast_to(np.arange(mentor_arr.size), block.shape)
        else:
            top = np.argpartition(block, block.shape[1] - k, axis=1)[:, block.shape[1] - k :]
            kth = np.take_along_axis(block, top, axis=1).min(axis=1)
            tau[start : start + chunk.size] = np.where(np.isfinite(kth), np.maximum(kth, 0), 0)
        for r in range(chunk.size):
            cols = np.sort(top[r])
            vals = block[r, cols]
            fin = np.isfinite(vals)
            cols, vals = cols[fin], vals[fin]
            reps = cap[cols]
            slot_ids = (
                np.concatenate(
                    [np.arange(slot_start[m], slot_start[m] + cap[m]) for m in cols.tolist()]
                )
                if cols.size
                else np.zeros(0, dtype=np.int64)
            )
            slots_of_row.append(slot_ids.astype(np.int64))
            vals_of_row.append(np.repeat(vals, reps))
            mentor_of_row.append(np.repeat(cols, reps))
    n_slots = int(slot_start[-1])
    col, picked = _assign(len(mentees), slots_of_row, vals_of_row, n_slots, np.zeros(len(mentees)))
    slot_owner = np.repeat(np.arange(len(mentors)), cap)
    pairs = []
    weight = 0.0
    taken = np.zeros(len(mentors), dtype=bool)
    for r, e in enumerate(mentees):
        if col[r] < n_slots and picked[r] > 0:
            m = int(slot_owner[col[r]])
            pairs.append((mentors[m], e))
            taken[m] = True
            weight += float(picked[r])
        elif slots_of_row[r].size == 0 and tau[r] <= 0:
            unmatched[e] = "no_feasible_mentor"
        else:
            unmatched[e] = "capacity_full"
    for m_idx, m in enumerate(mentors):
        if not taken[m_idx] and m not in in_lock:
            unmatched[m] = "mentor_unused"
    if keep_all:
        bound = weight
    else:
        _, picked_ub = _assign(len(mentees), slots_of_row, vals_of_row, n_slots, tau)
        bound = max(float(picked_ub.sum()), weight)
    return MentorResult(sorted(pairs), unmatched, weight, bound)
