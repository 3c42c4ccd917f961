"""The bulk (vectorised) paths give exactly what the one-at-a-time definitions give."""

from __future__ import annotations

import dataclasses

import numpy as np

from twoway.matching import MatchSettings
from twoway.matching.constraints import build_constraints, manager_chains
from twoway.matching.engine import Context
from twoway.matching.explain import many_pair_reasons, pair_reasons
from twoway.matching.features import build_cohort
from twoway.matching.scoring import PAIR_CHUNK
from twoway.matching.synthetic import cohort


def test_reporting_lines_match_the_manager_chains_even_with_cycles() -> None:
    people = cohort(400, seed=3)
    people[5] = dataclasses.replace(people[5], manager_id=people[5].id)  # own manager
    people[10] = dataclasses.replace(people[10], manager_id=people[11].id)  # a 2-cycle
    people[11] = dataclasses.replace(people[11], manager_id=people[10].id)
    for k in range(200, 300):  # a chain deeper than the bulk walk
        people[k] = dataclasses.replace(people[k], manager_id=people[k + 1].id)
    people[7] = dataclasses.replace(people[7], manager_id="not-in-the-cohort")
    c = build_cohort(people, MatchSettings())
    cons = build_constraints(c)
    expected = sorted(
        {(min(i, k), max(i, k)) for i, ch in enumerate(manager_chains(c)) for k in ch}
    )
    assert cons.reporting.tolist() == [a * c.n + b for a, b in expected]
    for a, b in expected[:50]:
        assert "reporting_line" in cons.violations(b, a)


def test_bulk_reasons_equal_one_pair_reasons() -> None:
    people = cohort(300, seed=4)
    people[1] = dataclasses.replace(people[1], requested=frozenset({people[2].id}))
    people[2] = dataclasses.replace(people[2], requested=frozenset({people[1].id}))
    ctx = Context.build(people, MatchSettings())
    rng = np.random.default_rng(0)
    i = np.concatenate([[1], rng.integers(0, 300, 200)]).astype(np.int64)
    j = np.concatenate([[2], rng.integers(0, 300, 200)]).astype(np.int64)
    _, comps = ctx.scorer.pairs(i, j)
    names = list(comps)
    rows = np.stack([comps[n] for n in names], axis=1).astype(np.float64).tolist()
    limits = [2 + k % 3 for k in range(i.size)]
    bulk = many_pair_reasons(ctx.scorer, i, j, rows, names, limits)
    for k in range(i.size):
        one = dict(zip(names, rows[k], strict=True))
        assert bulk[k] == pair_reasons(ctx.scorer, int(i[k]), int(j[k]), one, limit=limits[k])
    assert "asked for each other" in bulk[0]


def test_long_pair_lists_score_the_same_in_chunks() -> None:
    ctx = Context.build(cohort(500, seed=5), MatchSettings())
    rng = np.random.default_rng(1)
    i = rng.integers(0, 500, PAIR_CHUNK + 1000)
    j = rng.integers(0, 500, PAIR_CHUNK + 1000)
    total, comps = ctx.scorer.pairs(i, j)
    tail_total, tail = ctx.scorer.pairs(i[PAIR_CHUNK - 10 :], j[PAIR_CHUNK - 10 :])
    assert np.array_equal(total[PAIR_CHUNK - 10 :], tail_total)
    for name in comps:
        assert np.array_equal(comps[name][PAIR_CHUNK - 10 :], tail[name])
