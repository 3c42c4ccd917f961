"""The exact check across publications: what every release of a table so far lets a reader solve.

A private table (wellbeing answers, fit checks, the closing survey, days to the first check-in)
counts each contributor once per row. Every publication of it, for any program of the
organization, covers a known group of contributors; we assume the worst reader, who knows
exactly who is in each. Splitting the contributors by which publications they are in gives
*atoms* (the people added between two publications of one program, the people two programs
share, …). The unknowns are the atoms' counts X[a, row, column], all whole and ≥ 0, with
Σ_columns X[a, row, ·] = the atom's size.

Every figure a reader has seen is a linear equation in them: each shown cell, row, column or
grand total of each publication, and each weighted sum published beside it (a mean, an NPS).
A shown zero makes every atom's count in that cell zero.

Sensitive are, for every atom, every union of atoms that is the difference between two nested
publications, and every publication's own group:
- each cell, when it holds 1 … k-1 people;
- for a group of fewer than k people, also each weighted sum (with one person: their answer).
Such a sum is learnt exactly when its vector lies in the row space of the equations (then its
value is the same for every solution, and we compute it from the published values).
`newly_solved` says which cells a candidate publication must hide so that it adds nothing to
what the earlier ones already gave away.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import null_space

from twoway.insights.suppression import Table

TOLERANCE = 1e-7


@dataclass
class Seen:
    """One publication of a table: who it covers and what a reader saw (values where shown,
    and the values of the weighted sums published beside it)."""

    members: frozenset[str]
    cells: list[list[int]]
    hidden: list[list[bool]]
    hidden_rows: list[bool]
    hidden_cols: list[bool]
    hidden_total: bool
    extras: list[list[list[float]]] = field(default_factory=list)
    k: int = 5

    @classmethod
    def of(cls, table: Table, k: int, members: frozenset[str]) -> Seen:
        return cls(
            members,
            [list(r) for r in table.cells],
            [list(r) for r in table.hidden],
            list(table.hidden_rows),
            list(table.hidden_cols),
            table.hidden_total,
            [w for w in table.extras],
            k,
        )

    @classmethod
    def unpublished(cls, cells: list[list[int]], k: int, members: frozenset[str]) -> Seen:
        rows, cols = len(cells), len(cells[0])
        return cls(
            members,
            [list(r) for r in cells],
            [[True] * cols for _ in range(rows)],
            [True] * rows,
            [True] * cols,
            True,
            [],
            k,
        )


def atoms(releases: list[Seen]) -> list[frozenset[str]]:
    """The contributors grouped by which of the releases include them."""
    signature: dict[str, list[int]] = {}
    for r, seen in enumerate(releases):
        for key in seen.members:
            signature.setdefault(key, []).append(r)
    groups: dict[tuple[int, ...], set[str]] = {}
    for key, rs in signature.items():
        groups.setdefault(tuple(rs), set()).add(key)
    return [frozenset(g) for _, g in sorted(groups.items())]


class System:
    """The equations all these releases give, over the atoms' counts."""

    def __init__(self, releases: list[Seen]) -> None:
        self.releases = releases
        self.atoms = atoms(releases)
        self.n_rows = len(releases[0].cells)
        self.n_cols = len(releases[0].cells[0])
        self.size = len(self.atoms) * self.n_rows * self.n_cols
        self.in_release = [
            [a for a, atom in enumerate(self.atoms) if atom <= seen.members] for seen in releases
        ]
        rows: list[np.ndarray] = []
        values: list[float] = []
        zero: set[int] = set()
        for a, atom in enumerate(self.atoms):
            for i in range(self.n_rows):
                w = np.zeros((self.n_rows, self.n_cols))
                w[i, :] = 1
                rows.append(self.over([a], w))
                values.append(float(len(atom)))
        for r, seen in enumerate(releases):
            mine = self.in_release[r]
            for i in range(self.n_rows):
                for j in range(self.n_cols):
                    if not seen.hidden[i][j]:
                        rows.append(self.over(mine, self.unit(i, j)))
                        values.append(float(seen.cells[i][j]))
                        if seen.cells[i][j] == 0:
                            zero.update(self.index(a, i, j) for a in mine)
            for i in range(self.n_rows):
                if not seen.hidden_rows[i]:
                    w = np.zeros((self.n_rows, self.n_cols))
                    w[i, :] = 1
                    rows.append(self.over(mine, w))
                    values.append(float(sum(seen.cells[i])))
            for j in range(self.n_cols):
                if not seen.hidden_cols[j]:
                    w = np.zeros((self.n_rows, self.n_cols))
                    w[:, j] = 1
                    rows.append(self.over(mine, w))
                    values.append(float(sum(row[j] for row in seen.cells)))
            if not seen.hidden_total:
                rows.append(self.over(mine, np.ones((self.n_rows, self.n_cols))))
                values.append(float(sum(map(sum, seen.cells))))
            for weights in seen.extras:
                w = np.asarray(weights, dtype=float)
                rows.append(self.over(mine, w))
                values.append(float((w * np.asarray(seen.cells, dtype=float)).sum()))
        self.keep = [c for c in range(self.size) if c not in zero]
        matrix = np.array(rows)[:, self.keep] if rows else np.zeros((0, len(self.keep)))
        self.free = (
            null_space(matrix) if len(matrix) else np.eye(len(self.keep))
        )  # what the equations leave undetermined
        # Any one solution: a solved sum has the same value in all of them.
        self.solution = (
            np.linalg.lstsq(matrix, np.array(values), rcond=None)[0]
            if len(matrix)
            else np.zeros(len(self.keep))
        )

    def index(self, a: int, i: int, j: int) -> int:
        return (a * self.n_rows + i) * self.n_cols + j

    def unit(self, i: int, j: int) -> np.ndarray:
        w = np.zeros((self.n_rows, self.n_cols))
        w[i, j] = 1
        return w

    def over(self, group: list[int], weights: np.ndarray) -> np.ndarray:
        v = np.zeros(self.size)
        for a in group:
            start = self.index(a, 0, 0)
            v[start : start + self.n_rows * self.n_cols] = weights.ravel()
        return v

    def value(self, v: np.ndarray) -> float | None:
        """The sum v · X if the equations fix it, else None."""
        kept = v[self.keep]
        if self.free.shape[1] and np.linalg.norm(self.free.T @ kept) > TOLERANCE:
            return None
        return float(kept @ self.solution)

    def groups(self) -> list[tuple[frozenset[str], list[int]]]:
        """Atoms, publications, and differences of nested publications, as atom lists."""
        out: dict[frozenset[str], list[int]] = {}
        for a, atom in enumerate(self.atoms):
            out[atom] = [a]
        for r, seen in enumerate(self.releases):
            out.setdefault(seen.members, self.in_release[r])
            for s, other in enumerate(self.releases):
                if other.members < seen.members:
                    diff = seen.members - other.members
                    out.setdefault(
                        diff, [a for a in self.in_release[r] if a not in self.in_release[s]]
                    )
        return list(out.items())

    def solved(self, k: int) -> set[tuple[frozenset[str], int, int, int]]:
        """(group, row, column, extra) of every sensitive sum at minimum group size k the
        releases give away; extra is -1 for a cell, else the index of the weighted sum."""
        extras = self.releases[-1].extras or next(
            (seen.extras for seen in self.releases if seen.extras), []
        )
        found = set()
        for group, members in self.groups():
            for i in range(self.n_rows):
                for j in range(self.n_cols):
                    value = self.value(self.over(members, self.unit(i, j)))
                    if value is not None and 0.5 < value < k - 0.5:
                        found.add((group, i, j, -1))
            if len(group) < k:
                for e, weights in enumerate(extras):
                    w = np.asarray(weights, dtype=float)
                    if self.value(self.over(members, w)) is not None:
                        found.add((group, 0, 0, e))
        return found


def given_away(history: list[Seen], k: int) -> set[tuple[frozenset[str], int, int, int]]:
    """What the earlier releases alone already let a reader compute, judged at size k (when k
    went up, what they showed at the old size is given away, not the candidate's doing)."""
    return System(history).solved(k) if history else set()


def newly_solved(
    history: list[Seen],
    candidate: Seen,
    before: set[tuple[frozenset[str], int, int, int]] | None = None,
) -> list[tuple[int, int]]:
    """Cells of the candidate to hide: sensitive sums it would let a reader compute that the
    earlier releases alone did not (what those gave away cannot be taken back). A sum of the
    weighted figures names every cell it weighs."""
    before = given_away(history, candidate.k) if before is None else before
    after = System([*history, candidate]).solved(candidate.k) - before
    cells: list[tuple[int, int]] = []
    for _, i, j, e in sorted(after, key=lambda s: (len(s[0]), s[1], s[2], s[3])):
        targets = (
            [(i, j)]
            if e < 0
            else [
                (r, c)
                for r, row in enumerate(candidate.extras[e] if e < len(candidate.extras) else [])
                for c, w in enumerate(row)
                if w
            ]
        )
        for cell in targets:
            if cell not in cells:
                cells.append(cell)
    return cells
