"""Property tests: peer mode is an exact maximum-weight matching that keeps every rule.

The reference is networkx's `max_weight_matching` on every feasible pair. Feasibility is
re-derived here from the participants (manager chains, blocks, past partners) rather than
taken from the engine, so a constraint bug cannot hide behind itself.
"""

from __future__ import annotations

from dataclasses import replace

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twoway.matching import MatchResult, Participant, match
from twoway.matching.engine import Context
from twoway.matching.synthetic import cohort

from .strategies import cohorts
from .strategies import settings as int_settings

# Property tests against networkx: many generated cohorts each.
pytestmark = pytest.mark.slow

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def chain(people: list[Participant], pid: str) -> set[str]:
    by_id = {p.id: p for p in people}
    out: set[str] = set()
    cur = by_id[pid].manager_id
    while cur and cur in by_id and cur not in out and cur != pid:
        out.add(cur)
        cur = by_id[cur].manager_id
    return out


def allowed(people: list[Participant], a: Participant, b: Participant) -> bool:
    """The hard rules, written independently of the engine."""
    if a.id in chain(people, b.id) or b.id in chain(people, a.id):
        return False
    if a.id in b.blocked or b.id in a.blocked:
        return False
    return a.id not in b.past_partners and b.id not in a.past_partners


def reference(people: list[Participant], result_settings: object) -> tuple[float, nx.Graph]:
    """networkx optimum on all feasible pairs (scores from the engine's scorer)."""
    ctx = Context.build(people, result_settings)  # type: ignore[arg-type]
    g = nx.Graph()
    n = len(people)
    if n >= 2:
        i, j = np.triu_indices(n, 1)
        w, _ = ctx.scorer.pairs(i.astype(np.int64), j.astype(np.int64))
        min_fit = ctx.cohort.settings.min_fit
        for a, b, x in zip(i.tolist(), j.tolist(), w.astype(np.float64).tolist(), strict=True):
            if x > 0 and x >= min_fit and allowed(people, people[a], people[b]):
                g.add_edge(a, b, weight=x)
    mate = nx.max_weight_matching(g)
    return sum(g[a][b]["weight"] for a, b in mate), g


def check_rules(people: list[Participant], result: MatchResult, g: nx.Graph) -> None:
    index = {p.id: k for k, p in enumerate(people)}
    seen: list[str] = []
    for group in result.groups:
        assert 2 <= len(group.members) <= 3
        seen += group.members
        for x, a in enumerate(group.members):
            for b in group.members[x + 1 :]:
                assert g.has_edge(index[a], index[b]), f"{a}-{b} breaks a rule or the min fit"
    seen += [u.id for u in result.unmatched]
    # Everyone is accounted for exactly once: in one group, or unmatched with a reason.
    assert sorted(seen) == sorted(p.id for p in people)
    pairs = [grp.members for grp in result.groups if len(grp.members) == 2]
    for u in result.unmatched:
        assert u.reason and u.message
        k = index[u.id]
        if u.reason == "no_feasible_partner":
            assert g.degree(k) == 0 if k in g else True
        if u.reason == "no_trio_fit":
            for a, b in pairs:
                assert not (g.has_edge(k, index[a]) and g.has_edge(k, index[b]))


@FAST
@given(people=cohorts(), trios=st.booleans(), min_fit=st.sampled_from([0.0, 3.0, 6.0]))
def test_it_finds_the_networkx_optimum_and_keeps_every_rule(
    people: list[Participant], trios: bool, min_fit: float
) -> None:
    # Requests lock pairs ahead of the optimisation; drop them to compare like with like.
    people = [replace(p, requested=frozenset()) for p in people]
    s = int_settings(allow_trios=trios, min_fit=min_fit)
    result = match(people, s)
    best, g = reference(people, s)
    assert abs(result.pair_weight - best) <= 1e-6 * max(1.0, best)
    assert result.upper_bound >= result.pair_weight - 1e-9
    check_rules(people, result, g)


@FAST
@given(people=cohorts())
def test_it_locks_mutual_requests_unless_a_rule_forbids_them(people: list[Participant]) -> None:
    result = match(people, int_settings())
    by_id = {p.id: p for p in people}
    group_of = {m: g for g in result.groups for m in g.members}
    for p in people:
        for q in p.requested:
            if p.id in by_id[q].requested and allowed(people, p, by_id[q]):
                # Either locked together, or one of them was already locked with someone else.
                gp = group_of.get(p.id)
                if gp is not None and gp.locked and q not in gp.members:
                    continue
                gq = group_of.get(q)
                if gq is not None and gq.locked and p.id not in gq.members:
                    continue
                assert gp is not None and q in gp.members and gp.locked


@settings(max_examples=3, deadline=None)
@given(n=st.integers(120, 260), seed=st.integers(0, 10_000))
def test_it_matches_networkx_on_realistic_cohorts_of_a_few_hundred(n: int, seed: int) -> None:
    people = cohort(n, seed=seed)
    s = int_settings().__class__()  # default float weights
    result = match(people, s)
    best, g = reference(people, s)
    assert abs(result.pair_weight - best) <= 1e-6 * best
    check_rules(people, result, g)


@settings(max_examples=10, deadline=None)
@given(people=cohorts(max_size=16), seed=st.integers(0, 3))
def test_it_is_deterministic(people: list[Participant], seed: int) -> None:
    s = int_settings(seed=seed)
    a, b = match(people, s), match(list(people), s)
    assert [g.members for g in a.groups] == [g.members for g in b.groups]
    assert [(u.id, u.reason) for u in a.unmatched] == [(u.id, u.reason) for u in b.unmatched]
