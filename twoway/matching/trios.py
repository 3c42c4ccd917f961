"""Trios: a person left over joins the pair where they add the most.

A third member x may join pair (a, b) only if (x, a) and (x, b) both pass every hard
constraint and the minimum fit (nobody gets a partner below it). The gain is
score(x, a) + score(x, b); each pair takes at most one extra person. People are placed best
gain first, ties by input order, so the result is deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .constraints import Constraints
from .scoring import Scorer

Idx = npt.NDArray[np.int64]


def attach_trios(
    scorer: Scorer,
    cons: Constraints,
    leftover: Sequence[int],
    pairs: Sequence[tuple[int, int]],
    allow_past: Sequence[int] = (),
) -> dict[int, tuple[int, float]]:
    """Map leftover person (cohort index) -> (index into `pairs`, gain)."""
    if not leftover or not pairs:
        return {}
    s = scorer.cohort.settings
    p = np.array(pairs, dtype=np.int64)
    members = p.ravel()  # pair k owns columns 2k and 2k+1
    x = np.array(leftover, dtype=np.int64)
    gains = np.full((x.size, len(pairs)), -np.inf)
    past_ok = set(allow_past)
    for start in range(0, x.size, 64):
        rows = x[start : start + 64]
        block = scorer.block(rows, members).astype(np.float64)
        ri = np.repeat(rows, members.size)
        cj = np.tile(members, rows.size)
        bad = cons.excluded(ri, cj, past=True).reshape(rows.size, members.size)
        for r, person in enumerate(rows.tolist()):
            if person in past_ok:
                bad[r] = cons.excluded(np.full(members.size, person), members, past=False)
        block[bad | (block < s.min_fit) | (block <= 0)] = -np.inf
        gains[start : start + rows.size] = block[:, 0::2] + block[:, 1::2]
    best = gains.max(axis=1)
    order = sorted(range(x.size), key=lambda r: (-best[r], int(x[r])))
    taken = np.zeros(len(pairs), dtype=bool)
    out: dict[int, tuple[int, float]] = {}
    for r in order:
        row = np.where(taken, -np.inf, gains[r])
        k = int(np.argmax(row))
        if np.isfinite(row[k]):
            taken[k] = True
            out[int(x[r])] = (k, float(row[k]))
    return out
