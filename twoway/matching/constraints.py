"""Hard constraints: pairs that may never be formed, whatever their score.

- the reporting line, both ways: nobody is matched with anyone in their manager chain (a
  manager, their manager, ...), so nobody is matched with anyone who reports to them either;
- blocked people (either side blocked the other);
- pairs a program manager broke (`MatchSettings.forbidden_pairs`);
- past partners, unless the program allows repeats *and* the person has no other feasible
  partner (handled in candidates.py, which knows who is exhausted);
- the level rule: peers at most `max_level_gap` levels apart; in mentor mode the mentor
  `mentor_level_range` steps ahead. It is a property of the two levels, not a list of pairs,
  so it is tested from arrays (`level_ok`), never stored pair by pair.

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
    reporting: Keys  # sorted keys min * n + max of pairs on one reporting line
    blocked: set[tuple[int, int]]
    broken: set[tuple[int, int]]
    past_pairs: set[tuple[int, int]]
    level: npt.NDArray[np.float64]  # each person's level, NaN when unknown
    mentor: npt.NDArray[np.bool_]  # role is mentor
    max_gap: int | None  # peer rule (None: no rule)
    mentor_range: tuple[int, int] | None  # mentor rule (None: no rule)

    @property
    def has_level_rule(self) -> bool:
        return self.max_gap is not None or self.mentor_range is not None

    def level_ok(self, i: npt.NDArray[np.int64], j: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """True where the level rule allows the pair (i[k], j[k]); arrays broadcast, so
        `level_ok(rows[:, None], cols[None, :])` tests a block."""
        return level_allowed(self.level, self.mentor, self.max_gap, self.mentor_range, i, j)

    def excluded(
        self, i: npt.NDArray[np.int64], j: npt.NDArray[np.int64], past: bool
    ) -> npt.NDArray[np.bool_]:
        """True where the pair (i[k], j[k]) is forbidden (with past partners if `past`)."""
        keys = i.astype(np.int64) * self.n + j.astype(np.int64)
        out = _member(keys, self.hard)
        if past:
            out |= _member(keys, self.past)
        out |= i == j
        if self.has_level_rule:
            out |= ~self.level_ok(i, j)
        return out

    def violations(self, i: int, j: int, allow_past: bool = False) -> list[str]:
        """Codes of the hard constraints the pair breaks, for explanations."""
        out = []
        pair = (min(i, j), max(i, j))
        if i == j:
            out.append("same_person")
        if _member(np.array([pair[0] * self.n + pair[1]], dtype=np.int64), self.reporting)[0]:
            out.append("reporting_line")
        if pair in self.blocked:
            out.append("blocked")
        if pair in self.broken:
            out.append("forbidden_by_manager")
        if not allow_past and pair in self.past_pairs:
            out.append("past_partner")
        if self.has_level_rule and not self.level_ok(np.array([i]), np.array([j]))[0]:
            out.append("level_gap")
        return out


def level_allowed(
    level: npt.NDArray[np.float64],
    mentor: npt.NDArray[np.bool_],
    max_gap: int | None,
    mentor_range: tuple[int, int] | None,
    i: npt.NDArray[np.int64],
    j: npt.NDArray[np.int64],
) -> npt.NDArray[np.bool_]:
    """The level rule for the pairs (i[k], j[k]) from each person's level (NaN: unknown, never
    held to the rule) and whether they mentor: the one definition `Constraints` and the
    self-match suggestions share."""
    li, lj = level[i], level[j]
    unknown = np.isnan(li) | np.isnan(lj)
    with np.errstate(invalid="ignore"):
        if max_gap is not None:
            ok = np.abs(li - lj) <= max_gap
        elif mentor_range is not None:
            # Ahead = the mentor's level minus the other's (peers in mentor mode: no rule).
            mi, mj = mentor[i], mentor[j]
            ahead = np.where(mi, li - lj, lj - li)
            lo, hi = mentor_range
            ok = ((ahead >= lo) & (ahead <= hi)) | (mi == mj)
        else:
            return np.ones(np.broadcast(i, j).shape, dtype=bool)
    return np.asarray(ok | unknown)


def level_rule_of(cohort: Cohort) -> tuple[int | None, tuple[int, int] | None]:
    """(peer max gap, mentor range) that apply to this cohort's mode."""
    s = cohort.settings
    return (
        s.max_level_gap if s.mode == "peer" else None,
        s.mentor_level_range if s.mode == "mentor" else None,
    )


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


CHAIN_STEPS = 64  # reporting chains climbed in bulk; longer ones (or cycles) one by one


def _reporting_keys(cohort: Cohort) -> Keys:
    """Sorted unique keys min * n + max of (person, anyone in their manager chain).

    The same pairs as `manager_chains`, found a level at a time for everyone at once. A chain
    still climbing after CHAIN_STEPS levels (very deep, or a cycle) is walked in Python.
    """
    n = cohort.n
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    idx = cohort.index
    parent = np.fromiter(
        (idx.get(p.manager_id, -1) if p.manager_id else -1 for p in cohort.people),
        dtype=np.int64,
        count=n,
    )
    who, up = np.arange(n, dtype=np.int64), parent
    found_who: list[Keys] = []
    found_up: list[Keys] = []
    for _ in range(CHAIN_STEPS):
        live = up >= 0
        who, up = who[live], up[live]
        if not who.size:
            break
        found_who.append(who)
        found_up.append(up)
        up = parent[up]
    a = np.concatenate(found_who) if found_who else np.zeros(0, dtype=np.int64)
    b = np.concatenate(found_up) if found_up else np.zeros(0, dtype=np.int64)
    if who.size:  # unfinished: drop their partial walks and follow them one by one
        slow = np.zeros(n, dtype=bool)
        slow[who] = True
        keep = ~slow[a]
        a, b = a[keep], b[keep]
        plist = parent.tolist()
        extra_a: list[int] = []
        extra_b: list[int] = []
        for i in who.tolist():
            seen = {i}
            k = plist[i]
            while k >= 0 and k not in seen:
                extra_a.append(i)
                extra_b.append(k)
                seen.add(k)
                k = plist[k]
        a = np.concatenate([a, np.array(extra_a, dtype=np.int64)])
        b = np.concatenate([b, np.array(extra_b, dtype=np.int64)])
    return np.unique(np.minimum(a, b) * n + np.maximum(a, b))


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

    reporting = _reporting_keys(cohort)
    blocked = pairs_of("blocked")
    past = pairs_of("past_partners")
    broken = set()
    for a, b in cohort.settings.forbidden_pairs:
        i, j = idx.get(a), idx.get(b)
        if i is not None and j is not None and i != j:
            broken.add((min(i, j), max(i, j)))
    other = _keys(blocked | broken, n)
    flip = (reporting % max(n, 1)) * n + reporting // max(n, 1)
    hard = np.union1d(np.concatenate([reporting, flip]), other)
    past_keys = _keys(past, n)
    allk = np.union1d(hard, past_keys)
    mat = sp.csr_matrix(
        (np.ones(allk.size, dtype=np.int8), (allk // max(n, 1), allk % max(n, 1))), shape=(n, n)
    )
    max_gap, mentor_range = level_rule_of(cohort)
    level = np.array(
        [np.nan if p.level is None else float(p.level) for p in cohort.people], dtype=np.float64
    )
    return Constraints(
        n,
        hard,
        past_keys,
        mat,
        reporting,
        blocked,
        broken,
        past,
        level,
        np.array([r == "mentor" for r in cohort.role], dtype=bool),
        max_gap,
        mentor_range,
    )
