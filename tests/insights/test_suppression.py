"""Minimum group size: no shown cell below k, and no hidden cell recoverable by subtraction."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twoway.insights.suppression import Table, pinned, recoverable, suppress, suppress_1d

K = 5


def shown_cells(t: Table) -> list[int]:
    return [v for _, cells, _ in t.rows() for v in cells if v is not None]


def assert_safe(t: Table, k: int = K) -> None:
    for v in shown_cells(t):
        assert v == 0 or v >= k, t.rows()
    for _, _, total in t.rows():
        assert total is None or total == 0 or total >= k
    for shown in t.shown_col_totals():
        assert shown is None or shown == 0 or shown >= k
    assert recoverable(t) == [], t.rows()
    assert pinned(t) == [], t.rows()
    # Whatever a reader subtracts in a line, the hidden cells of that line hold ≥ k together.
    for i, (_, cells, total) in enumerate(t.rows()):
        hidden = [t.cells[i][j] for j, v in enumerate(cells) if v is None]
        if hidden and total is not None:
            assert len(hidden) >= 2 and sum(hidden) >= k


def test_it_hides_a_small_cell_and_its_complement_in_one_dimension() -> None:
    t = suppress_1d({"good": 12, "deciding": 3, "not a fit": 6}, K)
    assert t.rows()[0][1] == [12, None, None]
    assert t.rows()[0][2] == 21
    assert_safe(t)


def test_it_keeps_hiding_until_the_hidden_cells_hold_k_people() -> None:
    # 3 + 1 = 4 < 5 could be read as "4 people in these two": hide the next smallest too.
    t = suppress_1d({"a": 12, "b": 3, "c": 1, "d": 9}, K)
    assert t.rows()[0][1] == [12, None, None, None]
    assert_safe(t)


def test_it_shows_a_table_without_small_cells_untouched() -> None:
    t = suppress_1d({"a": 12, "b": 0, "c": 7}, K)
    assert t.rows()[0][1] == [12, 0, 7]


def test_it_hides_everything_when_the_total_is_below_k() -> None:
    t = suppress_1d({"a": 2, "b": 1}, K)
    assert t.rows()[0][1] == [None, None] and t.rows()[0][2] is None and t.hidden_total


def test_it_protects_a_two_dimensional_table_by_hand() -> None:
    #        x   y   z  | total
    # a     10   2   8  | 20
    # b      7   9  12  | 28
    # c      6  11   0  | 17
    t = suppress([[10, 2, 8], [7, 9, 12], [6, 11, 0]], K, ["a", "b", "c"], ["x", "y", "z"])
    rows = {label: cells for label, cells, _ in t.rows()}
    assert rows["a"][1] is None  # the 2
    # Its row and its column each lose another cell, so 2 cannot be had from a total.
    assert sum(v is None for v in rows["a"]) >= 2
    assert sum(rows[r][1] is None for r in rows) >= 2
    assert_safe(t)


def test_it_hides_a_small_row_total_with_its_row_and_a_complementary_row() -> None:
    t = suppress([[10, 2, 8], [7, 9, 12], [3, 1, 0]], K, ["a", "b", "c"], ["x", "y", "z"])
    totals = {label: total for label, _, total in t.rows()}
    assert totals["c"] is None and totals["a"] is None and totals["b"] == 28
    assert_safe(t)


def test_it_never_leaves_a_cell_recoverable_when_a_reader_knows_it_is_the_only_hidden_one() -> None:
    t = suppress([[20, 20, 20], [20, 1, 20], [20, 20, 20]], K, list("abc"), list("xyz"))
    hidden = [(i, j) for i in range(3) for j in range(3) if t.hidden[i][j]]
    assert len(hidden) >= 4  # a 2x2 block at least: the smallest pattern nothing can solve
    assert_safe(t)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 5).flatmap(
        lambda rows: st.integers(1, 5).flatmap(
            lambda cols: st.lists(
                st.lists(st.integers(0, 30), min_size=cols, max_size=cols),
                min_size=rows,
                max_size=rows,
            )
        )
    ),
    st.integers(2, 10),
)
@pytest.mark.slow
def test_it_is_safe_for_any_table(cells: list[list[int]], k: int) -> None:
    t = suppress(
        cells, k, [f"r{i}" for i in range(len(cells))], [f"c{j}" for j in range(len(cells[0]))]
    )
    assert_safe(t, k)
    # Shown cells are the true ones.
    a = np.array(cells)
    for i, (_, row, _) in enumerate(t.rows()):
        for j, v in enumerate(row):
            assert v is None or v == a[i, j]


def test_it_counts_a_mean_shown_beside_the_table_as_an_equation() -> None:
    # Attack 2 of issue 17: "4 and 5 hidden, total 5, mean 4.2" gives exactly one 5.
    after = [[0, 0, 0, 4, 1]]
    naive = suppress(after, K, ["after"], list("12345"))
    naive.extras = [[[1.0, 2.0, 3.0, 4.0, 5.0]]]
    assert recoverable(naive) == [(0, 3), (0, 4)]
    t = suppress(after, K, ["after"], list("12345"), extras=[[[1.0, 2.0, 3.0, 4.0, 5.0]]])
    assert recoverable(t) == [] and pinned(t) == []
    assert t.rows()[0][1][3] is None and t.rows()[0][1][4] is None


def test_it_pins_cells_a_rank_test_misses_because_counts_are_never_negative() -> None:
    # Row b's hidden cells must sum to 0 (its total is shown): each is 0, and then a's 2 is
    # column x's total. A rank test sees more unknowns than equations and says "safe".
    t = Table(
        ["a", "b"],
        ["x", "y"],
        [[2, 9], [0, 0]],
        hidden=[[True, True], [True, True]],
        hidden_rows=[True, False],
        hidden_cols=[False, True],
        hidden_total=True,
    )
    assert recoverable(t) == []
    assert (0, 0) in pinned(t)


def test_it_keeps_a_column_total_that_another_figure_gives_away() -> None:
    # The funnel says 2 people are matched but have not met; they are the one Audit pair.
    cells = [[0, 2, 0], [1, 0, 6], [0, 0, 5]]
    t = suppress(
        cells,
        K,
        ["Audit", "Engineering", "Sales"],
        ["w", "m", "met"],
        fixed_cols=[True, True, True],
    )
    assert t.shown_col_totals() == [1, 2, 11]
    assert t.rows()[0][1][1] is None
    assert recoverable(t) == [] and pinned(t) == []
