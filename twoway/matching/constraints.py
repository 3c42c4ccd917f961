"""Hard constraints: pairs that may never be formed, whatever their score.

- the reporting line, both ways: nobody is matched with anyone in their manager chain (a
  manager, their manager, ...), so nobody is matched with anyone who reports to them either;
- blocked people (either side blocked the other);
- pairs a program manager broke (`MatchSettings.forbidden_pairs`);
- past partners, unless the program allows repeats *and* the person has no other feasible
  partner (handled in candidates.py, which knows who is exhausted).

Pairs are stored as int64 keys i * n + j in both orders, so membership tests vectorise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from .features import Cohort

Keys = npt.NDArray[np.int64]


@dataclass
class Constraints:
    n: int
    hard: Keys  # sorted keys of forbidden pairs (reporting line, blocked, broken by a manager)
    past: Keys  # sorted keys of past partners
    hard_matrix: sp.csr_matrix  # the same as `hard | past`, row-sliceable for dense blocks
    reporting: set[tuple[int, int]]
    blocked: set[tuple[int, int]]
    broken: set[tuple[int, int]]
    past_pairs: set[tuple[int, int]]

    def excluded(
        self, i: npt.NDArray[np.int64], j: npt.NDArray[np.int64], past: bool
    ) -> npt.NDArray[np.bool_]:
        """True where the pair (i[k], j[k]) is forbidden (with past partners if `past`)."""
        keys = i.astype(np.int64) * self.n + j.astype(np.int64)
        out = _member(keys, self.hard)
        if past:
            out |= _member(keys, self.past)
        out |= i == j
        return out

    def violations(self, i: int, j: int, allow_past: bool = False) -> list[str]:
        """Codes of the hard constraints the pair breaks, for explanations."""
        out = []
        pair = (min(i, j), max(i, j))
        if i == j:
            out.append("same_person")
        if pair in self.reporting:
            out.append("reporting_line")
        if pair in self.blocked:
            out.append("blocked")
        if pair in self.broken:
            out.append("forbidden_by_manager")
        if not allow_past and pair in self.past_pairs:
            out.append("past_partner")
        return out


def _member(keys: Keys, table: Keys) -> npt.NDArray[np.bool_]:
    """np.isin(keys, table) for a sorted table, by binary search (no hashing or sorting)."""
    if table.size == 0:
        return np.zeros(keys.shape, dtype=bool)
    at = np.minimum(np.searchsorted(table, keys), table.size - 1)
    return np.asarray(table[at] == keys)


def _keys(pairs: set[tuple[int, int]], n: int) -> Keys:
    if not pairs:
        return np.zeros(0, dtype=np.int64)
    arr = np.array(sorted(pairs), dtype=np.int64)
    both = np.concatenate([arr[:, 0] * n + arr[:, 1], arr[:, 1] * n + arr[:, 0]])
    return np.unique(both)


def manager_chains(cohort: Cohort) -> list[list[int]]:
    """Each person's chain of managers inside the cohort, nearest first (cycle-safe)."""
    parent = [cohort.index.get(p.manager_id, -1) if p.manager_id else -1 for p in cohort.people]
    chains: list[list[int]] = []
    for i in range(cohort.n):
        chain: list[int] = []
        seen = {i}
        k = parent[i]
        while k >= 0 and k not in seen:
            chain.append(k)
            seen.add(k)
            k = parent[k]
        chains.append(chain)
    return chains


def build_constraints(cohort: Cohort) -> Constraints:
    n = cohort.n
    idx = cohort.index

    def pairs_of(attr: str) -> set[tuple[int, int]]:
        out = set()
        for i, p in enumerate(cohort.people):
            for other in getattr(p, attr):
                j = idx.get(other)
                if j is not None and j != i:
                    out.add((min(i, j), max(i, j)))
        return out

    reporting = {(min(i, k), max(i, k)) for i, ch in enumerate(manager_chains(cohort)) for k in ch}
    blocked = pairs_of("blocked")
    past = pairs_of("past_partners")
    broken = set()
    for a, b in cohort.settings.forbidden_pairs:
        i, j = idx.get(a), idx.get(b)
        if i is not None and j is not None and i != j:
            broken.add((min(i, j), max(i, j)))
    hard = _keys(reporting | blocked | broken, n)
    past_keys = _keys(past, n)
    allk = np.union1d(hard, past_keys)
    mat = sp.csr_matrix(
        (np.ones(allk.size, dtype=np.int8), (allk // max(n, 1), allk % max(n, 1))), shape=(n, n)
    )
    return Constraints(n, hard, past_keys, mat, reporting, blocked, broken, past)
