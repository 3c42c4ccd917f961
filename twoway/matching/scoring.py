"""The pair score: a weighted sum of components, each in [0, 1], vectorised with NumPy.

The same code scores a dense block (rows x columns, for scans and small cohorts) or a list of
pairs (for candidates and explanations), so there is one definition of the score.

Components (unweighted, all in [0, 1]):

- reciprocity: (teach(a->b) + teach(b->a)) / 2, where teach(a->b) = sum over skills of
  (a's offered strength / 3) * (b's sought strength / b's total sought strength): the share of
  what b wants to learn that a can teach, scaled by how well a knows it.
- mutual: 1 when both directions are non-zero (the two-way street bonus).
- level: close levels (peer) or the target gap mentor - mentee (mentor); 0.5 if unknown.
- tenure: 1 / (1 + |hire year difference| / 2), a tie-breaker; 0.5 if unknown.
- cross_team: 0.5 for another team + 0.5 for another department (unknown counts as other).
- time: how well two weekly calendars line up: the cosine of their UTC half-hour slot sets
  (shared slots / sqrt(slots of one * slots of the other)); 0.5 if either person gave no
  availability (no information is neither good nor bad). A cosine, unlike a capped overlap,
  is an inner product, which keeps the large-cohort scan exact (see candidates.py).
- meeting: 1 if preferences are compatible; in person needs the same location, and "video"
  never meets "in_person".
- goals: cosine similarity of tf-idf vectors of goal stems and two-word phrases (hashed, 64
  dimensions; see goals.py), 0 below GOAL_MIN_SIMILARITY.
- request: 1 if one asked for the other by name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from .features import SLOT_MINUTES, Cohort
from .goals import GOAL_MIN_SIMILARITY
from .model import COMPONENTS

Arr = npt.NDArray[np.float32]
Idx = npt.NDArray[np.int64]

IN_PERSON, VIDEO, EITHER = 0, 1, 2
PAIR_CHUNK = 131072  # pairs scored per batch in `Scorer.pairs`


@dataclass
class Scorer:
    """Scores pairs of a cohort; holds the request matrix so it is built once."""

    cohort: Cohort
    requests: sp.csr_matrix  # symmetric 0/1: one of the two asked for the other

    @classmethod
    def build(cls, cohort: Cohort) -> Scorer:
        rows: list[int] = []
        cols: list[int] = []
        for i, p in enumerate(cohort.people):
            for other in sorted(p.requested):
                j = cohort.index.get(other)
                if j is not None and j != i:
                    rows += [i, j]
                    cols += [j, i]
        n = cohort.n
        mat = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, n), dtype=np.float32
        )
        mat.data[:] = 1.0  # duplicates were summed; a request counts once
        return cls(cohort, mat)

    # -- public ---------------------------------------------------------------------------

    def block(self, rows: Idx, cols: Idx | None = None) -> Arr:
        """Total score of every (row, col) pair: a dense (len(rows), len(cols)) array."""
        cols_ = np.arange(self.cohort.n) if cols is None else cols
        comps = self._components(rows[:, None], cols_[None, :], block=True)
        return self._total(comps)

    def pairs(self, i: Idx, j: Idx) -> tuple[Arr, dict[str, Arr]]:
        """Total and weighted components for the pairs (i[k], j[k]).

        Long lists are scored PAIR_CHUNK pairs at a time: every value depends on its own pair
        only, so the result is the same, and the gathered feature rows stay in cache.
        """
        if i.ndim == 1 and i.size > PAIR_CHUNK:
            parts = [
                self.pairs(i[s : s + PAIR_CHUNK], j[s : s + PAIR_CHUNK])
                for s in range(0, i.size, PAIR_CHUNK)
            ]
            total = np.concatenate([t for t, _ in parts])
            names = list(parts[0][1])
            return total, {name: np.concatenate([c[name] for _, c in parts]) for name in names}
        comps = self._components(i, j, block=False)
        w = self.cohort.settings.weights.as_dict()
        weighted = {name: (comps[name] * np.float32(w[name])).astype(np.float32) for name in comps}
        return self._total(comps), weighted

    def teach(self, i: Idx, j: Idx) -> Arr:
        """teach(i -> j) for pairs: the share of j's wishes that i can teach."""
        c = self.cohort
        return np.einsum("ij,ij->i", c.offer[i], c.seek[j]).astype(np.float32)

    # -- internals ------------------------------------------------------------------------

    def _total(self, comps: dict[str, Arr]) -> Arr:
        w = self.cohort.settings.weights.as_dict()
        total: Arr | None = None
        for name in COMPONENTS:
            part = comps[name] * np.float32(w[name])
            total = part if total is None else total + part
        assert total is not None
        return total.astype(np.float32)

    def _dot(self, a: Arr, b: Arr, i: Idx, j: Idx, block: bool) -> Arr:
        if block:
            return (a[i[:, 0]] @ b[j[0]].T).astype(np.float32)
        return np.einsum("ij,ij->i", a[i], b[j]).astype(np.float32)

    def _components(self, i: Idx, j: Idx, block: bool) -> dict[str, Arr]:
        c = self.cohort
        ab = self._dot(c.offer, c.seek, i, j, block)
        ba = self._dot(c.seek, c.offer, i, j, block)
        comps: dict[str, Arr] = {}
        comps["reciprocity"] = (ab + ba) * np.float32(0.5)
        comps["mutual"] = ((ab > 0) & (ba > 0)).astype(np.float32)
        comps["level"] = c.level_tab[c.level_idx[i], c.level_idx[j]]
        comps["tenure"] = c.year_tab[c.year_idx[i], c.year_idx[j]]
        di, dj = c.dept[i], c.dept[j]
        ti, tj = c.team[i], c.team[j]
        same_dept = (di == dj) & (di >= 0)
        same_team = (ti == tj) & (ti >= 0)
        comps["cross_team"] = (np.float32(0.5) * ~same_team + np.float32(0.5) * ~same_dept).astype(
            np.float32
        )
        comps["time"] = self._time(i, j, block)
        comps["meeting"] = self._meeting(i, j)
        # Below GOAL_MIN_SIMILARITY goals share filler, not a purpose: no credit at all.
        cos = np.clip(self._dot(c.goals, c.goals, i, j, block), 0.0, 1.0)
        comps["goals"] = np.where(cos >= GOAL_MIN_SIMILARITY, cos, np.float32(0.0)).astype(
            np.float32
        )
        if block:
            req = self.requests[i[:, 0]][:, j[0]].toarray().astype(np.float32)
        else:
            # (SciPy returns a sparse matrix, not an array, for empty fancy indices.)
            req = (
                np.asarray(self.requests[i, j]).ravel().astype(np.float32)
                if i.size
                else np.zeros(0, dtype=np.float32)
            )
        comps["request"] = req
        return comps

    def overlap_minutes(self, i: Idx, j: Idx, block: bool = False) -> npt.NDArray[np.int64]:
        c = self.cohort
        if block:
            both = c.avail[i[:, 0]][:, None, :] & c.avail[j[0]][None, :, :]
        else:
            both = c.avail[i] & c.avail[j]
        return np.bitwise_count(both).sum(axis=-1).astype(np.int64) * SLOT_MINUTES

    def _time(self, i: Idx, j: Idx, block: bool) -> Arr:
        c = self.cohort
        if block:
            fit = self._dot(c.avail_unit, c.avail_unit, i, j, block)
        else:
            # Same cosine from the bitsets: cheaper than 336-wide float rows per pair.
            shared = np.bitwise_count(c.avail[i] & c.avail[j]).sum(axis=-1)
            denom = np.sqrt(c.avail_slots[i].astype(np.float64) * c.avail_slots[j])
            fit = np.divide(shared, denom, out=np.zeros(denom.shape), where=denom > 0).astype(
                np.float32
            )
        known = c.avail_known[i] & c.avail_known[j]
        return np.where(known, np.clip(fit, 0.0, 1.0), np.float32(0.5)).astype(np.float32)

    def _meeting(self, i: Idx, j: Idx) -> Arr:
        c = self.cohort
        pi, pj = c.pref[i], c.pref[j]
        li, lj = c.loc[i], c.loc[j]
        same_loc = (li == lj) & (li >= 0)
        wants_room = (pi == IN_PERSON) | (pj == IN_PERSON)
        video_vs_room = ((pi == IN_PERSON) & (pj == VIDEO)) | ((pi == VIDEO) & (pj == IN_PERSON))
        ok = np.where(wants_room, same_loc & ~video_vs_room, True)
        return np.asarray(ok, dtype=np.float32)


def meeting_upper_table() -> npt.NDArray[np.float32]:
    """An upper bound of the meeting fit that depends on preferences only (3 x 3).

    It ignores the location test, so it can only be higher than the real value; that is what
    the linear scan of large cohorts needs (see candidates.py).
    """
    tab = np.ones((3, 3), dtype=np.float32)
    tab[IN_PERSON, VIDEO] = tab[VIDEO, IN_PERSON] = 0.0
    return tab
