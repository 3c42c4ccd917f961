"""The exact check across publications: what every release of a table so far lets a reader solve.

A private table (wellbeing answers, fit checks, the closing survey, days to the first check-in)
is published again only with at least k new contributors (`twoway.insights.release`), and each
publication is the previous one plus the new contributors' counts. So release r's cells are
X_1 + … + X_r, where X_s (the counts added at release s) are the unknowns, all ≥ 0.

Every figure a reader has seen is a linear equation in them: each shown cell, row, column or
grand total of each release, and each weighted sum published beside it (a mean, an NPS). A
shown zero means the cell's X_s are all zero up to that release (they cannot be negative).

Sensitive are the sums a reader must not learn: for every release b and every earlier point a,
each cell's X_a + … + X_b — the counts of the people who joined between two publications, and
(from a = 1) the cell itself — whenever it holds 1 … k-1 people. Such a sum is learnt exactly
when its vector lies in the row space of the equations; `newly_solved` says which a candidate
release would add to what the earlier ones already gave away.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import null_space

from twoway.insights.suppression import Table

TOLERANCE = 1e-8


@dataclass
class Seen:
    """One release of a table as a reader saw it, with its true cells (for the audit only)."""

    cells: list[list[int]]
    hidden: list[list[bool]]
    hidden_rows: list[bool]
    hidden_cols: list[bool]
    hidden_total: bool
    extras: list[list[list[float]]] = field(default_factory=list)
    k: int = 5

    @classmethod
    def of(cls, table: Table, k: int) -> Seen:
        return cls(
            [list(r) for r in table.cells],
            [list(r) for r in table.hidden],
            list(table.hidden_rows),
            list(table.hidden_cols),
            table.hidden_total,
            [w for w in table.extras],
            k,
        )

    @classmethod
    def unpublished(cls, cells: list[list[int]], k: int) -> Seen:
        rows, cols = len(cells), len(cells[0])
        return cls(
            [list(r) for r in cells],
            [[True] * cols for _ in range(rows)],
            [True] * rows,
            [True] * cols,
            True,
            [],
            k,
        )


def _equations(releases: list[Seen], shape: tuple[int, int, int]) -> tuple[np.ndarray, set[int]]:
    t, n_rows, n_cols = shape

    def index(s: int, i: int, j: int) -> int:
        return (s * n_rows + i) * n_cols + j

    rows: list[np.ndarray] = []
    zero: set[int] = set()
    size = t * n_rows * n_cols
    for r, seen in enumerate(releases):

        def cumulative(weights: np.ndarray, r: int = r) -> np.ndarray:
            row = np.zeros(size)
            for s in range(r + 1):
                row[index(s, 0, 0) : index(s, 0, 0) + n_rows * n_cols] = weights.ravel()
            return row

        for i in range(n_rows):
            for j in range(n_cols):
                if not seen.hidden[i][j]:
                    w = np.zeros((n_rows, n_cols))
                    w[i, j] = 1
                    rows.append(cumulative(w))
                    if seen.cells[i][j] == 0:
                        zero.update(index(s, i, j) for s in range(r + 1))
        for i in range(n_rows):
            if not seen.hidden_rows[i]:
                w = np.zeros((n_rows, n_cols))
                w[i, :] = 1
                rows.append(cumulative(w))
        for j in range(n_cols):
            if not seen.hidden_cols[j]:
                w = np.zeros((n_rows, n_cols))
                w[:, j] = 1
                rows.append(cumulative(w))
        if not seen.hidden_total:
            rows.append(cumulative(np.ones((n_rows, n_cols))))
        for weights in seen.extras:
            rows.append(cumulative(np.asarray(weights, dtype=float)))
    matrix = np.array(rows) if rows else np.zeros((0, size))
    return matrix, zero


def _solver(matrix: np.ndarray, zero: set[int], size: int) -> np.ndarray:
    """A basis of what the equations leave free; a vector is solved when it is orthogonal to
    it. Known zeros are dropped as unknowns first."""
    keep = [c for c in range(size) if c not in zero]
    if not keep:
        return np.zeros((0, 0))
    a = matrix[:, keep] if len(matrix) else np.zeros((0, len(keep)))
    basis = np.eye(len(keep)) if a.shape[0] == 0 else null_space(a)
    full = np.zeros((size, basis.shape[1]))
    full[keep, :] = basis
    return full


def _sensitive(
    releases: list[Seen], shape: tuple[int, int, int]
) -> list[tuple[int, int, int, int, np.ndarray]]:
    """(a, b, i, j, vector) for every X_a + … + X_b of a cell holding 1 … k_b - 1 people."""
    t, n_rows, n_cols = shape
    out = []
    for b in range(len(releases)):
        for a in range(b + 1):
            for i in range(n_rows):
                for j in range(n_cols):
                    before = releases[a - 1].cells[i][j] if a > 0 else 0
                    value = releases[b].cells[i][j] - before
                    if 0 < value < releases[b].k:
                        v = np.zeros(t * n_rows * n_cols)
                        for s in range(a, b + 1):
                            v[(s * n_rows + i) * n_cols + j] = 1
                        out.append((a, b, i, j, v))
    return out


def solved(releases: list[Seen]) -> list[tuple[int, int, int, int]]:
    """Every sensitive sum (a, b, i, j) the releases together let a reader compute exactly."""
    if not releases:
        return []
    shape = (len(releases), len(releases[0].cells), len(releases[0].cells[0]))
    size = shape[0] * shape[1] * shape[2]
    matrix, zero = _equations(releases, shape)
    free = _solver(matrix, zero, size)
    found = []
    for a, b, i, j, v in _sensitive(releases, shape):
        if free.shape[1] == 0 or np.linalg.norm(free.T @ v) < TOLERANCE:
            found.append((a, b, i, j))
    return found


def newly_solved(history: list[Seen], candidate: Seen) -> list[tuple[int, int]]:
    """Cells of the candidate to protect: sensitive sums it would make solvable that the earlier
    releases alone did not (what they already gave away, at a lower k, cannot be taken back)."""
    before = set(solved(history))
    after = solved([*history, candidate])
    cells: list[tuple[int, int]] = []
    for a, b, i, j in after:
        if (a, b, i, j) not in before and (i, j) not in cells:
            cells.append((i, j))
    return cells
