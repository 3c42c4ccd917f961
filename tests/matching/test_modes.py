"""Mentor mode, trios, locks, repeats, weights mode and the certified bound."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest

from twoway.matching import MatchSettings, Participant, match, match_weights
from twoway.matching.candidates import build_graph
from twoway.matching.engine import Context
from twoway.matching.solvers import assignment_bound, dual_bound
from twoway.matching.synthetic import cohort


def p(pid: str, **kw: object) -> Participant:
    base: dict[str, object] = {"id": pid, "level": 4, "offers": {"sql": 2}, "seeks": {"sql": 2}}
    base.update(kw)
    return Participant(**base)  # type: ignore[arg-type]


def test_it_never_matches_a_manager_with_their_report() -> None:
    people = [p("boss"), p("rep", manager_id="boss"), p("sub", manager_id="rep")]
    people += [p("x"), p("y")]
    result = match(people, MatchSettings(allow_trios=False))
    for g in result.groups:
        assert {"boss", "rep"} - set(g.members) and {"rep", "sub"} - set(g.members)
        assert {"boss", "sub"} - set(g.members)  # the chain, not just the direct manager


def test_it_makes_a_trio_of_an_odd_cohort_instead_of_leaving_someone_out() -> None:
    people = [p(f"p{i}") for i in range(5)]
    result = match(people, MatchSettings(allow_trios=True))
    assert sorted(len(g.members) for g in result.groups) == [2, 3]
    assert not result.unmatched
    no_trio = match(people, MatchSettings(allow_trios=False))
    assert [u.reason for u in no_trio.unmatched] == ["odd_one_out"]


def test_it_says_why_someone_has_no_partner() -> None:
    people = [p("a"), p("b"), p("c", blocked=frozenset({"a", "b"}))]
    result = match(people, MatchSettings())
    assert [(u.id, u.reason) for u in result.unmatched] == [("c", "no_feasible_partner")]


def test_it_allows_a_past_partner_again_only_when_the_pool_is_exhausted() -> None:
    people = [p("a", past_partners=frozenset({"b"})), p("b"), p("c"), p("d")]
    result = match(people, MatchSettings(allow_repeats=True))
    assert all({"a", "b"} - set(g.members) for g in result.groups)
    alone = [p("a", past_partners=frozenset({"b"})), p("b")]
    assert [u.reason for u in match(alone, MatchSettings()).unmatched] == [
        "no_feasible_partner",
        "no_feasible_partner",
    ]
    again = match(alone, MatchSettings(allow_repeats=True))
    assert [g.members for g in again.groups] == [("a", "b")]
    assert any("partners before" in r for r in again.groups[0].reasons)


def test_it_keeps_locked_groups_and_broken_pairs() -> None:
    people = [p(x) for x in "abcd"]
    locked = match(people, MatchSettings(locked_groups=(("a", "d"),)))
    assert ("a", "d") in [g.members for g in locked.groups if g.locked]
    broken = match(people, MatchSettings(forbidden_pairs=(("a", "b"), ("a", "c"))))
    assert [g.members for g in broken.groups if "a" in g.members] == [("a", "d")]


def test_it_respects_the_minimum_fit() -> None:
    good = [p("a", offers={"sql": 3}, seeks={"go": 3}), p("b", offers={"go": 3}, seeks={"sql": 3})]
    poor = [p("c", offers={}, seeks={}, level=1), p("d", offers={}, seeks={}, level=9)]
    s = MatchSettings(min_fit=5.0)
    result = match(good + poor, s)
    assert [g.members for g in result.groups] == [("a", "b")]
    assert all(g.score >= 5.0 for g in result.groups)
    assert {u.id for u in result.unmatched} == {"c", "d"}


def test_it_assigns_mentees_to_mentors_within_capacity_optimally() -> None:
    mentors = [p(f"m{i}", role="mentor", level=6, capacity=2) for i in range(2)]
    mentees = [
        p(f"e{i}", role="mentee", level=4 + (i % 3), offers={}, seeks={"sql": 3}) for i in range(5)
    ]
    peer = p("z", role="peer")
    s = MatchSettings(mode="mentor")
    result = match([*mentors, *mentees, peer], s)
    load: dict[str, int] = {}
    for g in result.groups:
        assert g.kind == "mentor" and g.members[0].startswith("m")
        load[g.members[0]] = load.get(g.members[0], 0) + 1
    assert all(v <= 2 for v in load.values())
    assert len(result.groups) == 4
    reasons = {u.id: u.reason for u in result.unmatched}
    assert reasons["z"] == "role_not_in_mode"
    assert list(reasons.values()).count("capacity_full") == 1
    # Brute force: the best way to place 4 of 5 mentees in 4 slots.
    ctx = Context.build([*mentors, *mentees, peer], s)
    w = ctx.scorer.block(np.arange(2), np.arange(2, 7)).astype(np.float64)
    slots = [0, 0, 1, 1]
    best = max(
        sum(w[slots[k], e] for k, e in enumerate(perm))
        for perm in itertools.permutations(range(5), 4)
    )
    assert abs(result.pair_weight - best) < 1e-4
    assert abs(result.upper_bound - best) < 1e-4


def test_weights_mode_is_a_maximum_weight_matching_of_listed_pairs() -> None:
    pairs = [("a", "b", 5.0), ("b", "c", 4.0), ("c", "d", 5.0), ("a", "d", 1.0), ("e", "a", 3.0)]
    result = match_weights(pairs)
    g = nx.Graph()
    g.add_weighted_edges_from(pairs)
    best = sum(g[x][y]["weight"] for x, y in nx.max_weight_matching(g))
    assert result.total_weight == best == 10.0
    assert {u.id: u.reason for u in result.unmatched} == {"e": "odd_one_out"}
    with_trios = match_weights([*pairs, ("e", "b", 1.0)], trios=True)
    assert any(len(grp.members) == 3 for grp in with_trios.groups)


@pytest.mark.slow
def test_the_bound_holds_against_the_full_optimum_on_a_top_k_graph() -> None:
    people = cohort(160, seed=3)
    ctx = Context.build(people, MatchSettings())
    nodes = np.arange(len(people))
    full = build_graph(ctx.cohort, ctx.scorer, ctx.cons, nodes, k=len(people))
    g = nx.Graph()
    g.add_weighted_edges_from(zip(full.ei.tolist(), full.ej.tolist(), full.w.tolist(), strict=True))
    best = sum(g[a][b]["weight"] for a, b in nx.max_weight_matching(g))
    # A deliberately tiny candidate graph: tau must carry the bound for every pair left out.
    for k in (2, 4):
        import twoway.matching.candidates as cand

        old = cand.FULL_LIMIT
        cand.FULL_LIMIT = 10
        try:
            small = build_graph(ctx.cohort, ctx.scorer, ctx.cons, nodes, k=k)
        finally:
            cand.FULL_LIMIT = old
        assert small.ei.size < full.ei.size
        ub = assignment_bound(small.m, small.ei, small.ej, small.w, small.tau)
        lp = dual_bound(small.m, small.ei, small.ej, small.w, small.tau)
        assert ub >= best - 1e-6
        assert lp >= ub - 1e-6  # a feasible dual can only be above the LP optimum
        # Without tau the same relaxation could fall below the optimum of the whole problem.
        assert assignment_bound(small.m, small.ei, small.ej, small.w, small.tau * 0) <= ub


def test_the_linear_scan_bounds_the_exact_score() -> None:
    from twoway.matching.candidates import linear_features

    people = cohort(300, seed=5)
    ctx = Context.build(people, MatchSettings())
    nodes = np.arange(len(people))
    f, g, slack = linear_features(ctx.cohort, nodes)
    upper = f @ g.T + slack[:, None]
    exact = ctx.scorer.block(nodes, nodes)
    req = ctx.scorer.requests.toarray() > 0
    assert np.all((upper + 1e-4 >= exact) | req)
    assert np.mean(upper - exact) < 0.6  # and it is a tight bound, not a vague one
