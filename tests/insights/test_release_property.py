"""Property (issue 17): for random small programs and random sequences of answers, nothing the
release rules ever published lets a reader compute one person's answer, nor a count below k.

The check is written independently of the release code, one unknown per person and answer:
x[p, row, v] = 1 when person p answered v at the start (row 0) or after two months (row 1),
and z[p] = p's squared change. The reader knows who is in every publication (the worst case)
and that each person gave one answer per row. Every figure published so far, in both programs,
is an equation: each shown cell, each total, n x each mean, and the sum of squared changes that
the interval gives away (Σd² = (n-1)·sd² + n·mean²). Exact linear algebra then says whether a
person's answer, or a count of 1 … k-1 people in any publication or any difference of two
nested publications, lies in the row space of those equations.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import null_space

from twoway.insights.metrics import PULSE_ITEMS, onehot
from twoway.insights.models import Release
from twoway.insights.release import private_release

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def contribution(before: int, after: int) -> dict[str, Any]:
    piece = {}
    for item in PULSE_ITEMS:
        b, a = (before, after) if item == "belonging" else (3, 3)
        d = a - b
        piece[item] = {
            "n": 1,
            "sum_before": b,
            "sum_after": a,
            "sum_d": d,
            "sum_d2": d * d,
            "before": onehot(5, b - 1),
            "after": onehot(5, a - 1),
            "change": onehot(9, d + 4),
        }
    return piece


@st.composite
def stories(draw: st.DrawFn) -> tuple[int, list[tuple[int, int, str, int]]]:
    """k, and per person: answer at the start, after, programs ("A", "B", "AB"), arrival step."""
    k = draw(st.sampled_from([3, 5]))
    n = draw(st.integers(min_value=k, max_value=16))
    people = [
        (
            draw(st.integers(1, 5)),
            draw(st.integers(1, 5)),
            draw(st.sampled_from(["A", "A", "AB", "B"])),
            draw(st.integers(0, 5)),
        )
        for _ in range(n)
    ]
    return k, people


def run(k: int, people: list[tuple[int, int, str, int]]) -> list[Release]:
    """The job's decisions, step after step, for two programs (ids 1 and 2)."""
    published: list[Release] = []
    for step in range(6):
        for program_id, name in ((1, "A"), (2, "B")):
            contributions = {
                f"person:{p}": contribution(b, a)
                for p, (b, a, where, arrives) in enumerate(people)
                if name in where and arrives <= step
            }
            mine = [r for r in published if r.program_id == program_id]
            others = [r for r in published if r.program_id != program_id]
            decided = private_release("wellbeing", contributions, mine, others, k)
            if decided is None:
                continue
            contributors, totals, shown = decided
            published.append(
                Release(
                    pk=len(published) + 1,
                    program_id=program_id,
                    family="wellbeing",
                    seq=len(mine) + 1,
                    k=k,
                    released_at=T0 + dt.timedelta(hours=step),
                    contributors=contributors,
                    totals=totals,
                    published=shown,
                )
            )
    return published


def reader_equations(
    published: list[Release], n_people: int
) -> tuple[np.ndarray, np.ndarray, dict[tuple[int, int, int], int], dict[int, int]]:
    x = {
        (p, i, v): (p * 2 + i) * 5 + v for p in range(n_people) for i in range(2) for v in range(5)
    }
    z = {p: n_people * 10 + p for p in range(n_people)}
    size = n_people * 11
    rows: list[np.ndarray] = []
    values: list[float] = []

    def equation(coefficients: dict[int, float], value: float) -> None:
        row = np.zeros(size)
        for index, c in coefficients.items():
            row[index] += c
        rows.append(row)
        values.append(value)

    for p in range(n_people):
        for i in range(2):
            equation({x[(p, i, v)]: 1.0 for v in range(5)}, 1.0)
    for release in published:
        who = [int(key.split(":")[1]) for key in release.contributors]
        table = release.published["tables"]["belonging"]
        for i, row in enumerate(table["cells"]):
            for v, value in enumerate(row):
                if value is not None:
                    equation({x[(p, i, v)]: 1.0 for p in who}, value)
        for i, total in enumerate(table["row_totals"]):
            if total is not None:
                equation({x[(p, i, v)]: 1.0 for p in who for v in range(5)}, total)
        figures = release.published["items"]["belonging"]
        if figures is not None:
            n = figures["n"]
            for i, mean in ((0, figures["mean_before"]), (1, figures["mean_after"])):
                equation({x[(p, i, v)]: v + 1.0 for p in who for v in range(5)}, n * mean)
            sum_d2 = (n - 1) * figures["sd_change"] ** 2 + n * figures["mean_change"] ** 2
            equation({z[p]: 1.0 for p in who}, sum_d2)
    return np.array(rows), np.array(values), x, z


def solvable(free: np.ndarray, vector: np.ndarray) -> bool:
    return free.shape[1] == 0 or bool(np.linalg.norm(free.T @ vector) < 1e-7)


@settings(max_examples=30, deadline=None)
@given(stories())
def test_no_answer_and_no_count_below_k_follows_from_everything_published(
    story: tuple[int, list[tuple[int, int, str, int]]],
) -> None:
    k, people = story
    published = run(k, people)
    n_people = len(people)
    a, _, x, z = reader_equations(published, n_people)
    free = null_space(a)
    size = a.shape[1]

    def vector(coefficients: dict[int, float]) -> np.ndarray:
        v = np.zeros(size)
        for index, c in coefficients.items():
            v[index] += c
        return v

    for p in range(n_people):
        for i in range(2):
            answer = vector({x[(p, i, v)]: v + 1.0 for v in range(5)})
            assert not solvable(free, answer), (p, i, people)
            for v in range(5):
                assert not solvable(free, vector({x[(p, i, v)]: 1.0})), (p, i, v)
        assert not solvable(free, vector({z[p]: 1.0})), p
    groups = {frozenset(r.contributors) for r in published}
    groups |= {
        frozenset(r.contributors) - frozenset(s.contributors)
        for r in published
        for s in published
        if frozenset(s.contributors) < frozenset(r.contributors)
    }
    for group in groups:
        who = [int(key.split(":")[1]) for key in group]
        for i in range(2):
            for v in range(5):
                true = sum(1 for p in who if (people[p][0], people[p][1])[i] == v + 1)
                if 0 < true < k:
                    count = vector({x[(p, i, v)]: 1.0 for p in who})
                    assert not solvable(free, count), (sorted(who), i, v, true)


def test_the_property_sees_a_leak_when_the_rules_are_switched_off() -> None:
    """The same check on two publications that differ by one person finds that person."""
    people = [(2, 4, "A", 0), (3, 3, "A", 0), (2, 3, "A", 0), (4, 5, "A", 0), (3, 5, "A", 0)]
    people.append((5, 1, "A", 1))
    published = run(5, people)
    assert len(published) == 1  # the rules held the sixth answer back
    leaky = run(5, people[:5])
    sixth = Release(
        pk=99,
        program_id=1,
        family="wellbeing",
        seq=2,
        k=5,
        released_at=T0,
        contributors=[f"person:{p}" for p in range(6)],
        totals={},
        published={
            "tables": {
                "belonging": {
                    "cells": [[None] * 5, [None] * 5],
                    "row_totals": [6, 6],
                }
            },
            "items": {
                "belonging": {
                    "n": 6,
                    "mean_before": 19 / 6,
                    "mean_after": 21 / 6,
                    "mean_change": 2 / 6,
                    "sd_change": 0.0,
                }
            },
        },
    )
    a, _, x, _ = reader_equations([*leaky, sixth], 6)
    free = null_space(a)
    answer = np.zeros(a.shape[1])
    for v in range(5):
        answer[x[(5, 1, v)]] = v + 1.0
    assert solvable(free, answer)
