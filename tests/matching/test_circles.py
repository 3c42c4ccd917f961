"""Peer circles: pairs joined into groups of four for the best total, within the rules."""

from __future__ import annotations

import itertools

import numpy as np

from twoway.matching import MatchSettings, match
from twoway.matching.circles import form_circles
from twoway.matching.engine import Context
from twoway.matching.synthetic import cohort


def test_circles_join_pairs_for_the_best_total_gain() -> None:
    people = cohort(16, seed=3)
    settings = MatchSettings(allow_trios=True)
    pairs = match(people, settings)
    circles = form_circles(people, settings, pairs)
    ctx = Context.build(people, settings)
    index = ctx.cohort.index

    def gain(a: tuple[str, ...], b: tuple[str, ...]) -> float | None:
        i = np.array([index[x] for x in a for _ in b])
        j = np.array([index[y] for _ in a for y in b])
        w, ok = ctx.feasible_scores(i, j)
        return float(w.sum()) if ok.all() else None

    plain: list[tuple[str, ...]] = [g.members for g in pairs.groups if len(g.members) == 2]

    # Brute force over every way to join the pairs two by two (8 pairs: 105 ways).
    def best(rest: list[tuple[str, ...]]) -> float:
        if len(rest) < 2:
            return 0.0
        first, others = rest[0], rest[1:]
        options = [best(others)]  # the first pair stays a pair
        for k, other in enumerate(others):
            g = gain(first, other)
            if g is not None:
                options.append(g + best(others[:k] + others[k + 1 :]))
        return max(options)

    made = [g for g in circles.groups if g.kind == "circle"]
    assert made, "some pairs should join"
    achieved = 0.0
    for circle in made:
        halves = [p for p in plain if set(p) <= set(circle.members)]
        assert len(halves) == 2
        achieved += gain(halves[0], halves[1]) or 0.0
    assert abs(achieved - best(plain)) < 1e-3
    # Everyone is still in exactly one group, and every pair inside a circle is allowed.
    members = [m for g in circles.groups for m in g.members]
    assert sorted(members) == sorted(m for g in pairs.groups for m in g.members)
    for circle in made:
        for a, b in itertools.combinations(circle.members, 2):
            _, ok = ctx.feasible_scores(np.array([index[a]]), np.array([index[b]]))
            assert ok.all()
    assert abs(circles.total_weight - sum(g.score for g in circles.groups)) < 1e-3


def test_a_pair_that_cannot_join_anyone_stays_a_pair() -> None:
    people = cohort(12, seed=1)
    pairs = match(people, MatchSettings(allow_trios=False))
    groups = [g.members for g in pairs.groups]
    assert len(groups) >= 2
    # Forbid every pair across two different groups: no two pairs may join.
    cross = tuple((x, y) for a, b in itertools.combinations(groups, 2) for x in a for y in b)
    blocked = MatchSettings(allow_trios=False, forbidden_pairs=cross)
    result = form_circles(people, blocked, pairs)
    assert sorted(g.members for g in result.groups) == sorted(groups)
    assert not [g for g in result.groups if g.kind == "circle"]


def test_a_circle_reports_the_mean_fit_of_its_pairs_and_its_skill_exchange() -> None:
    people = cohort(16, seed=3)
    settings = MatchSettings(allow_trios=True)
    result = form_circles(people, settings, match(people, settings))
    ctx = Context.build(people, settings)
    index = ctx.cohort.index
    circles = [g for g in result.groups if g.kind == "circle"]
    assert circles
    for group in circles:
        assert group.fit == round(group.score / 6, 6) and group.fit > 0
        members = [index[m] for m in group.members]
        teaches = {
            (a, b)
            for a, b in itertools.permutations(members, 2)
            if ctx.scorer.teach(np.array([a]), np.array([b]))[0] > 0
        }
        givers, takers = {a for a, _ in teaches}, {b for _, b in teaches}
        if not teaches:
            assert group.exchange == "none"
        elif givers == takers == set(members):
            assert group.exchange == "both"
        else:
            assert group.exchange == "one"
