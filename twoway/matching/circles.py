"""Peer circles of 3-4: join the pairs of a matching into groups of four.

Pairs are matched first (the whole cohort at once, as in peer mode); then the pairs themselves
are matched by a maximum-weight matching on a graph whose nodes are pairs and whose edge weight
is what joining two pairs adds: the four cross pairs' scores. Two pairs join only when all four
cross pairs are allowed (hard rules and minimum fit). A pair left over stays a group of two (or
takes a trio's odd one out it already had), so nobody is dropped, and the result says so.

The pair-of-pairs graph is complete, so this is meant for program-sized cohorts; above
`MAX_PAIRS` pairs it keeps each pair's best `TOP_K` partner pairs only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import rustworkx as rx

from .engine import Context, exchange_of
from .model import Group, MatchResult, MatchSettings, Participant

MAX_PAIRS = 2000
TOP_K = 32
# rustworkx's matching wants integer weights: scores are kept to 1e-6.
SCALE = 1_000_000


def form_circles(
    participants: Sequence[Participant], settings: MatchSettings, result: MatchResult
) -> MatchResult:
    """Join the unlocked pairs of `result` into circles of four; everything else is kept."""
    ctx = Context.build(participants, settings)
    index = ctx.cohort.index
    pairs = [g for g in result.groups if len(g.members) == 2 and not g.locked]
    others = [g for g in result.groups if g not in pairs]
    if len(pairs) < 2:
        return result
    members = np.array([[index[m] for m in g.members] for g in pairs], dtype=np.int64)
    p, q = _candidate_pairs_of_pairs(ctx, members)
    gain = np.zeros(p.size, dtype=np.float64)
    ok = np.ones(p.size, dtype=bool)
    for x in (0, 1):
        for y in (0, 1):
            w, allowed = ctx.feasible_scores(members[p, x], members[q, y])
            gain += w
            ok &= allowed
    graph = rx.PyGraph()
    graph.add_nodes_from(range(len(pairs)))
    for a, b, g in zip(p[ok].tolist(), q[ok].tolist(), gain[ok].tolist(), strict=True):
        graph.add_edge(a, b, round(g * SCALE))
    matched = rx.max_weight_matching(graph, max_cardinality=False, weight_fn=int)
    circles = sorted(tuple(sorted((*pairs[a].members, *pairs[b].members))) for a, b in matched)
    used = {k for edge in matched for k in edge}
    kept = [pairs[k] for k in range(len(pairs)) if k not in used]
    indexed = [[index[m] for m in circle] for circle in circles]
    described = ctx.describe(indexed)
    exchanges = exchange_of(ctx, indexed)
    groups: list[Group] = [*others, *kept]
    for circle, (score, comps, reasons), exchange in zip(
        circles, described, exchanges, strict=True
    ):
        n_pairs = len(circle) * (len(circle) - 1) // 2
        groups.append(
            Group(
                id=0,
                members=circle,
                score=round(score, 6),
                components=comps,
                reasons=reasons,
                kind="circle",
                # The mean of its pairs, as for a trio, so a circle compares with a pair.
                fit=round(score / n_pairs, 6),
                exchange=exchange,  # type: ignore[arg-type]
            )
        )
    groups.sort(key=lambda g: (not g.locked, g.members))
    renumbered = tuple(replace(g, id=k) for k, g in enumerate(groups, start=1))
    return replace(
        result,
        groups=renumbered,
        total_weight=round(sum(g.score for g in renumbered), 6),
    )


def _candidate_pairs_of_pairs(ctx: Context, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every two pairs (small programs), or each pair's best TOP_K partner pairs by the score of
    their first members (large ones)."""
    n = len(members)
    if n <= MAX_PAIRS:
        p, q = np.triu_indices(n, k=1)
        return p.astype(np.int64), q.astype(np.int64)
    rows, cols = [], []
    for start in range(0, n, 256):
        block = np.arange(start, min(n, start + 256))
        a = np.repeat(block, n)
        b = np.tile(np.arange(n), block.size)
        w, _ = ctx.scorer.pairs(members[a, 0], members[b, 0])
        w = w.reshape(block.size, n)
        w[np.arange(block.size), block] = -np.inf
        best = np.argpartition(-w, TOP_K, axis=1)[:, :TOP_K]
        rows.append(np.repeat(block, TOP_K))
        cols.append(best.ravel())
    p, q = np.concatenate(rows), np.concatenate(cols)
    lo, hi = np.minimum(p, q), np.maximum(p, q)
    keys = np.unique(lo * n + hi)
    return (keys // n).astype(np.int64), (keys % n).astype(np.int64)
