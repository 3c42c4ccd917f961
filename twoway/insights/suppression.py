"""Minimum group size for every figure that splits people: primary and complementary suppression.

A cell counting 1 … k-1 people (k = the organization's `min_group_size`) is hidden (primary).
A hidden cell must not be recoverable from the shown totals and the other shown cells, so in
each line (a row or a column with a shown total) that has hidden cells we keep hiding the
smallest shown cell (non-zero first) until (a) at least two cells are hidden and (b) the hidden
cells together hold at least k people — subtraction then gives only a sum of ≥ k people spread
over several cells. A final exact check (`recoverable`) solves the linear system the shown
numbers define and hides more until no hidden cell is determined by it.

Zeros are shown (a zero is nobody). A total below k is itself a small cell: a line whose total
is below k is hidden whole, and the totals are suppressed among themselves the same way.

Every figure shown beside a table is an equation too: `extras` are weighted sums of its cells
that the page publishes (a mean is Σ value·count, an NPS is promoters - detractors), and
`fixed_cols` are column totals that another figure already gives away (the funnel's steps are
the columns of the breakdowns by department and level). The exact check solves them all
together. `audit` lets the release rules add what earlier publications taught a reader
(`twoway.insights.audit`): it names cells still to hide.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linprog


@dataclass
class Table:
    """Counts with row and column totals; `hidden` marks suppressed cells, `hidden_rows` and
    `hidden_cols` suppressed totals. A 1-D table is a table with one row."""

    row_labels: list[str]
    col_labels: list[str]
    cells: list[list[int]]
    hidden: list[list[bool]] = field(default_factory=list)
    hidden_rows: list[bool] = field(default_factory=list)
    hidden_cols: list[bool] = field(default_factory=list)
    hidden_total: bool = False
    # Weighted sums of cells published beside the table (one weight matrix each).
    extras: list[list[list[float]]] = field(default_factory=list)

    @property
    def row_totals(self) -> list[int]:
        return [sum(r) for r in self.cells]

    @property
    def col_totals(self) -> list[int]:
        return [sum(c) for c in zip(*self.cells, strict=True)] if self.cells else []

    @property
    def total(self) -> int:
        return sum(self.row_totals)

    def shown(self, i: int, j: int) -> int | None:
        return None if self.hidden[i][j] else self.cells[i][j]

    def rows(self) -> list[tuple[str, list[int | None], int | None]]:
        """(label, shown cells, shown total) per row, for templates and CSV."""
        return [
            (
                label,
                [self.shown(i, j) for j in range(len(self.col_labels))],
                None if self.hidden_rows[i] else self.row_totals[i],
            )
            for i, label in enumerate(self.row_labels)
        ]

    def shown_col_totals(self) -> list[int | None]:
        return [None if h else t for h, t in zip(self.hidden_cols, self.col_totals, strict=True)]

    def any_hidden(self) -> bool:
        return any(any(r) for r in self.hidden) or any(self.hidden_rows) or any(self.hidden_cols)


def _protect_line(values: list[int], hidden: list[bool], k: int) -> bool:
    """Hide more cells of one line until ≥ 2 are hidden and they hold ≥ k; True if changed."""
    changed = False
    while True:
        n_hidden = sum(hidden)
        if n_hidden == 0:
            return changed
        held = sum(v for v, h in zip(values, hidden, strict=True) if h)
        if n_hidden >= 2 and held >= k:
            return changed
        candidates = [i for i, h in enumerate(hidden) if not h]
        if not candidates:
            return changed
        # Prefer a non-zero cell: hiding a zero next to a small cell protects nothing.
        nonzero = [i for i in candidates if values[i] > 0]
        pick = min(nonzero or candidates, key=lambda i: (values[i], i))
        hidden[pick] = True
        changed = True


def _system(table: Table) -> tuple[list[tuple[int, int]], np.ndarray, np.ndarray]:
    """The hidden cells and the equations the shown figures give over them (A x = b)."""
    unknown = [
        (i, j)
        for i in range(len(table.row_labels))
        for j in range(len(table.col_labels))
        if table.hidden[i][j]
    ]
    known = [
        [0 if table.hidden[i][j] else v for j, v in enumerate(row)]
        for i, row in enumerate(table.cells)
    ]
    rows: list[list[float]] = []
    rhs: list[float] = []
    for i in range(len(table.row_labels)):
        if not table.hidden_rows[i]:
            rows.append([1.0 if r == i else 0.0 for r, _ in unknown])
            rhs.append(table.row_totals[i] - sum(known[i]))
    for j in range(len(table.col_labels)):
        if not table.hidden_cols[j]:
            rows.append([1.0 if c == j else 0.0 for _, c in unknown])
            rhs.append(table.col_totals[j] - sum(r[j] for r in known))
    if not table.hidden_total:
        rows.append([1.0] * len(unknown))
        rhs.append(table.total - sum(map(sum, known)))
    for weights in table.extras:
        rows.append([float(weights[i][j]) for i, j in unknown])
        value = sum(
            weights[i][j] * v for i, row in enumerate(table.cells) for j, v in enumerate(row)
        )
        shown = sum(weights[i][j] * v for i, row in enumerate(known) for j, v in enumerate(row))
        rhs.append(float(value - shown))
    return unknown, np.array(rows).reshape(len(rows), len(unknown)), np.array(rhs)


def recoverable(table: Table) -> list[tuple[int, int]]:
    """Hidden cells whose exact value follows from the shown cells, totals and extras.

    The shown figures give linear equations over the hidden cells; a hidden cell is determined
    exactly when its unit vector lies in the row space of that system (a rank test).
    """
    unknown, a, _ = _system(table)
    if not unknown or not len(a):
        return []
    rank = np.linalg.matrix_rank(a)
    found = []
    for n, cell in enumerate(unknown):
        unit = np.zeros(len(unknown))
        unit[n] = 1.0
        if np.linalg.matrix_rank(np.vstack([a, unit])) == rank:
            found.append(cell)
    return found


def pinned(table: Table) -> list[tuple[int, int]]:
    """Hidden cells a reader can pin down using that counts are whole numbers ≥ 0: the smallest
    and largest value the equations allow (a linear programme per cell) leave one integer.
    Catches what the rank test cannot, e.g. hidden cells in a line whose total says 0, or a mean
    at the top of the scale."""
    unknown, a, b = _system(table)
    if not unknown or not len(a):
        return []
    found = []
    for n, cell in enumerate(unknown):
        c = np.zeros(len(unknown))
        c[n] = 1.0
        low = linprog(c, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
        high = linprog(-c, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
        if not (low.success and high.success):
            continue
        if math.ceil(low.fun - 1e-6) >= math.floor(-high.fun + 1e-6):
            found.append(cell)
    return found


def _complement(table: Table, i: int, j: int) -> None:
    """Hidden cell (i, j) is still solvable: hide the smallest shown cell of its row (non-zero
    first), else of its column, else its row total."""
    n_rows, n_cols = len(table.row_labels), len(table.col_labels)
    row_free = [c for c in range(n_cols) if not table.hidden[i][c]]
    col_free = [r for r in range(n_rows) if not table.hidden[r][j]]
    if row_free:
        pick = min(row_free, key=lambda c: (table.cells[i][c] == 0, table.cells[i][c]))
        table.hidden[i][pick] = True
    elif col_free:
        pick = min(col_free, key=lambda r: (table.cells[r][j] == 0, table.cells[r][j]))
        table.hidden[pick][j] = True
    else:
        table.hidden_rows[i] = True


def suppress(
    cells: list[list[int]],
    k: int,
    row_labels: list[str],
    col_labels: list[str],
    *,
    extras: list[list[list[float]]] | None = None,
    fixed_cols: list[bool] | None = None,
    unpublished_cols: bool = False,
    audit: Callable[[Table], list[tuple[int, int]]] | None = None,
) -> Table:
    """Apply the rules in the module doc to a 2-D table (use one row for 1-D).

    `fixed_cols[j]`: column j's total is public anyway (never hidden; protect with it shown).
    `unpublished_cols`: the page shows no column totals at all (they are no equations).
    """
    table = Table(row_labels, col_labels, [list(map(int, r)) for r in cells])
    table.extras = [w for w in (extras or [])]
    n_rows, n_cols = len(row_labels), len(col_labels)
    # One row: its column totals are its cells, not figures of their own.
    unpublished_cols = unpublished_cols or n_rows == 1
    fixed = fixed_cols or [False] * n_cols
    table.hidden = [[0 < v < k for v in row] for row in table.cells]
    total = table.total
    table.hidden_total = 0 < total < k and not all(fixed)
    if table.hidden_total and not any(fixed):
        table.hidden = [[v > 0 for v in row] for row in table.cells]
        table.hidden_rows = [t > 0 for t in table.row_totals]
        table.hidden_cols = [t > 0 for t in table.col_totals]
        return table
    # The totals are a split of people too: small ones are hidden, with their complement.
    table.hidden_rows = [0 < t < k for t in table.row_totals]
    if unpublished_cols:
        table.hidden_cols = [True] * n_cols
    else:
        table.hidden_cols = [
            0 < t < k and not f for t, f in zip(table.col_totals, fixed, strict=True)
        ]
    if n_rows > 1:
        _protect_line(table.row_totals, table.hidden_rows, k)
    if n_cols > 1 and not unpublished_cols and not any(fixed):
        _protect_line(table.col_totals, table.hidden_cols, k)
    # A hidden total hides its line: every non-zero cell in it.
    for i in range(n_rows):
        if table.hidden_rows[i]:
            table.hidden[i] = [v > 0 for v in table.cells[i]]
    for j in range(n_cols):
        if table.hidden_cols[j] and not unpublished_cols:
            for i in range(n_rows):
                table.hidden[i][j] = table.hidden[i][j] or table.cells[i][j] > 0
    for _ in range(4 * (n_rows * n_cols + 1)):
        changed = False
        for i in range(n_rows):
            if not table.hidden_rows[i]:
                changed |= _protect_line(table.cells[i], table.hidden[i], k)
        for j in range(n_cols):
            if table.hidden_cols[j] and n_rows > 1:
                continue
            column = [table.cells[i][j] for i in range(n_rows)]
            flags = [table.hidden[i][j] for i in range(n_rows)]
            if n_rows > 1 and _protect_line(column, flags, k):
                for i in range(n_rows):
                    table.hidden[i][j] = flags[i]
                changed = True
        for i, j in recoverable(table):
            # Still exact: hide the smallest shown cell of its row, else of its column.
            _complement(table, i, j)
            changed = True
            break
        if not changed and audit is not None:
            for i, j in audit(table):
                # What earlier publications make solvable: hide the cell, or its complement.
                if table.hidden[i][j]:
                    _complement(table, i, j)
                else:
                    table.hidden[i][j] = True
                changed = True
                break
        if not changed:
            # Last, and only then (a linear programme per hidden cell): whole, non-negative
            # counts may pin down what the rank test left open.
            for i, j in pinned(table):
                _complement(table, i, j)
                changed = True
                break
        if not changed:
            break
    return table


def is_safe(table: Table, audit: Callable[[Table], list[tuple[int, int]]] | None = None) -> bool:
    """No hidden cell solvable from this table's figures, nor from them and earlier ones."""
    return not recoverable(table) and not pinned(table) and not (audit and audit(table))


def as_json(table: Table) -> dict[str, Any]:
    """What a reader sees of a suppressed table: shown values, None where hidden."""
    col_totals = table.col_totals
    return {
        "rows": table.row_labels,
        "cols": table.col_labels,
        "cells": [
            [None if table.hidden[i][j] else v for j, v in enumerate(row)]
            for i, row in enumerate(table.cells)
        ],
        "row_totals": [
            None if h else t for h, t in zip(table.hidden_rows, table.row_totals, strict=True)
        ],
        "col_totals": [
            None if h else t for h, t in zip(table.hidden_cols, col_totals, strict=True)
        ],
        "total": None if table.hidden_total else table.total,
    }


@dataclass
class Published:
    """A released table as the page, the CSV and the API read it (values only where shown)."""

    row_labels: list[str]
    col_labels: list[str]
    cells: list[list[int | None]]
    row_totals: list[int | None]
    col_totals_shown: list[int | None]
    total: int | None

    @classmethod
    def of(cls, data: dict[str, Any]) -> Published:
        return cls(
            list(data["rows"]),
            list(data["cols"]),
            [list(r) for r in data["cells"]],
            list(data["row_totals"]),
            list(data["col_totals"]),
            data["total"],
        )

    def rows(self) -> list[tuple[str, list[int | None], int | None]]:
        return [
            (label, self.cells[i], self.row_totals[i]) for i, label in enumerate(self.row_labels)
        ]

    def shown_col_totals(self) -> list[int | None]:
        return self.col_totals_shown

    @property
    def hidden_total(self) -> bool:
        return self.total is None

    def any_hidden(self) -> bool:
        return any(v is None for row in self.cells for v in row) or any(
            v is None for v in self.row_totals
        )


def suppress_1d(values: dict[str, int], k: int, label: str = "") -> Table:
    return suppress([list(values.values())], k, [label], list(values))
