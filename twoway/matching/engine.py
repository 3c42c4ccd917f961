"""`match`, `suggest` and `pair_score`: the engine's entry points."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from . import bipartite
from .candidates import PRICE_LIMIT, PRICED_METHOD, Graph, build_graph, priced_bound
from .constraints import Constraints, _member, build_constraints, level_allowed, level_rule_of
from .explain import many_pair_reasons, pair_reasons, steps_text
from .features import Cohort, build_cohort
from .model import (
    UNMATCHED_REASONS,
    Group,
    MatchResult,
    MatchSettings,
    PairScore,
    Participant,
    Suggestion,
    Unmatched,
)
from .scoring import Scorer
from .solvers import EXACT_LIMIT, PairScoreFn, Swaps, improve_by_swaps, solve_pairs
from .trios import attach_trios

Idx = npt.NDArray[np.int64]
Progress = Callable[[int, int], None]


@dataclass
class Context:
    cohort: Cohort
    scorer: Scorer
    cons: Constraints

    @classmethod
    def build(cls, participants: Sequence[Participant], settings: MatchSettings) -> Context:
        cohort = build_cohort(participants, settings)
        return cls(cohort, Scorer.build(cohort), build_constraints(cohort))

    def feasible_scores(
        self, i: Idx, j: Idx, past_ok: bool = False
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
        """Exact scores of arbitrary pairs and whether each may be formed."""
        s = self.cohort.settings
        w, _ = self.scorer.pairs(i, j)
        ok = ~self.cons.excluded(i, j, past=not past_ok) & (w >= s.min_fit) & (w > 0)
        return w.astype(np.float64), ok

    def describe(
        self, groups: Sequence[Sequence[int]]
    ) -> list[tuple[float, dict[str, float], tuple[str, ...]]]:
        """Score, summed components and reasons of each group (every pair inside it).

        All pairs of all groups are scored, checked and explained in a few vectorised calls;
        Python only sums the few pairs of each group and formats text.
        """
        sizes = [len(members) for members in groups]
        counts = [s * (s - 1) // 2 for s in sizes]
        if not any(counts):
            return [(0.0, {}, ()) for _ in groups]
        if all(s == 2 for s in sizes):
            flat_ij = np.array(groups, dtype=np.int64).reshape(-1, 2)
            i, j = flat_ij[:, 0], flat_ij[:, 1]
        else:
            flat = [
                (a, b)
                for members in groups
                for k, a in enumerate(members)
                for b in members[k + 1 :]
            ]
            ij = np.array(flat, dtype=np.int64).reshape(-1, 2)
            i, j = ij[:, 0], ij[:, 1]
        total, comps = self.scorer.pairs(i, j)
        total64 = total.astype(np.float64)
        names = list(comps)
        table = np.stack([comps[name] for name in names], axis=1).astype(np.float64)
        rows = table.tolist()
        totals = total64.tolist()
        limits = [4 if n == 1 else 2 for n in counts for _ in range(n)]
        texts = many_pair_reasons(self.scorer, i, j, rows, names, limits)
        # Allowed again only because nobody else was possible: a past partner, nothing worse.
        keys = i * self.cons.n + j
        repeat = (_member(keys, self.cons.past) & ~_member(keys, self.cons.hard)).tolist()
        out = []
        pos = 0
        for n in counts:
            sl = slice(pos, pos + n)
            pos += n
            if n <= 7:
                # Row by row, as NumPy sums a few rows (and so bit for bit the same).
                acc = rows[pos - n] if n else [0.0] * len(names)
                tot = totals[pos - n] if n else 0.0
                for r in range(pos - n + 1, pos):
                    acc = [x + y for x, y in zip(acc, rows[r], strict=True)]
                    tot += totals[r]
                summed = {name: round(v, 6) for name, v in zip(names, acc, strict=True)}
            else:
                summed = {
                    name: round(float(v), 6)
                    for name, v in zip(names, table[sl].sum(axis=0), strict=True)
                }
                tot = float(total64[sl].sum())
            reasons: list[str] = []
            for k in range(sl.start, sl.stop):
                reasons.extend(texts[k])
                if repeat[k]:
                    reasons.append("partners before (allowed again: no one else was possible)")
            out.append((tot, summed, tuple(dict.fromkeys(reasons))))
        return out


def exchange_of(ctx: Context, groups: Sequence[Sequence[int]]) -> list[str]:
    """ "both", "one" or "none" for each group (see `Group.exchange`)."""
    flat = [(g, a, b) for g, m in enumerate(groups) for a in m for b in m if a != b]
    if not flat:
        return ["none" for _ in groups]
    arr = np.array(flat, dtype=np.int64)
    teaches = (ctx.scorer.teach(arr[:, 1], arr[:, 2]) > 0).tolist()
    gives: list[set[int]] = [set() for _ in groups]
    gets: list[set[int]] = [set() for _ in groups]
    for (g, a, b), t in zip(flat, teaches, strict=True):
        if t:
            gives[g].add(a)
            gets[g].add(b)
    out = []
    for g, members in enumerate(groups):
        if not gives[g]:
            out.append("none")
        elif all(m in gives[g] and m in gets[g] for m in members):
            out.append("both")
        else:
            out.append("one")
    return out


def _weight(pairs: list[tuple[int, int]], score: PairScoreFn) -> float:
    if not pairs:
        return 0.0
    p = np.array(pairs, dtype=np.int64)
    w, _ = score(p[:, 0], p[:, 1])
    return float(w.sum())


def _rematch_leftovers(
    ctx: Context,
    graph: Graph,
    pairs: list[tuple[int, int]],
    score: PairScoreFn,
    settings: MatchSettings,
    deadline: float,
) -> Swaps:
    """Pair up people the large-cohort heuristic left alone, among themselves.

    Top-k graphs have hubs: popular people sit on many lists, so some people find every
    candidate taken. Any feasible pair may be used, so we build a fresh candidate graph on
    the people left over, solve it (exactly when small), and polish with pair swaps again.
    """
    for _ in range(3):
        taken = np.zeros(graph.m, dtype=bool)
        if pairs:
            taken[np.array(pairs, dtype=np.int64).ravel()] = True
        left = np.flatnonzero(~taken).astype(np.int64)
        if left.size < 2:
            break
        sub = build_graph(ctx.cohort, ctx.scorer, ctx.cons, graph.nodes[left], settings.top_k)
        sol = solve_pairs(sub.m, sub.ei, sub.ej, sub.w, sub.tau, None, rounds=0)
        if not sol.pairs:
            break
        pairs = pairs + [(int(left[a]), int(left[b])) for a, b in sol.pairs]
        pairs = sorted((min(a, b), max(a, b)) for a, b in pairs)
    return improve_by_swaps(
        graph.m, graph.ei, graph.ej, graph.w, pairs, score, settings.swap_rounds, deadline
    )


def _explain_level_rule(ctx: Context, unmatched: dict[int, str]) -> None:
    """Tell people the level rule left out apart from people nobody could take.

    Someone with no feasible partner (or mentor) who would have one without the level rule
    gets "level_gap" (or "no_mentor_in_level_range") instead.
    """
    cons = ctx.cons
    if not cons.has_level_rule:
        return
    c = ctx.cohort
    s = c.settings
    mentors = np.array([k for k in range(c.n) if c.role[k] == "mentor"], dtype=np.int64)
    everyone = np.arange(c.n, dtype=np.int64)
    for v, code in list(unmatched.items()):
        if code == "no_feasible_partner":
            others, new = everyone[everyone != v], "level_gap"
        elif code == "no_feasible_mentor":
            others, new = mentors, "no_mentor_in_level_range"
        else:
            continue
        if others.size == 0:
            continue
        i = np.full(others.size, v, dtype=np.int64)
        w, _ = ctx.scorer.pairs(i, others)
        keys = i * cons.n + others
        rules = _member(keys, cons.hard) | (others == v)
        if not s.allow_repeats:
            rules |= _member(keys, cons.past)
        if np.any(~rules & (w >= s.min_fit) & (w > 0)):
            unmatched[v] = new


def _unmatched_message(ctx: Context, k: int, code: str) -> str:
    c = ctx.cohort
    person = c.people[k]
    s = c.settings
    name = person.display_name
    if code == "level_gap" and s.max_level_gap is not None:
        gap = s.max_level_gap
        within = "at the same level" if gap == 0 else f"within {steps_text(gap)} of L{person.level}"
        return f"{name}: no one {within} passes the other rules (the program's level gap)"
    if code == "no_mentor_in_level_range" and s.mentor_level_range is not None:
        lo, hi = s.mentor_level_range
        span = steps_text(lo) if lo == hi else f"{lo} to {hi} steps"
        return f"{name}: no mentor {span} ahead of L{person.level} passes the other rules"
    return f"{name}: {UNMATCHED_REASONS[code]}"


def _locks(ctx: Context) -> list[tuple[int, ...]]:
    """Groups forced together: the program's locked groups, then mutual requests."""
    c = ctx.cohort
    locked: list[tuple[int, ...]] = []
    used: set[int] = set()
    for group in c.settings.locked_groups:
        idx = []
        for pid in group:
            if pid not in c.index:
                raise ValueError(f"locked group names unknown participant {pid!r}")
            k = c.index[pid]
            if k in used:
                raise ValueError(f"participant {pid!r} is in two locked groups")
            idx.append(k)
            used.add(k)
        if len(idx) >= 2:
            locked.append(tuple(idx))
    for i, p in enumerate(c.people):
        for other in sorted(p.requested):
            j = c.index.get(other)
            if j is None or j <= i or p.id not in c.people[j].requested:
                continue
            if i in used or j in used or ctx.cons.violations(i, j):
                continue  # a hard constraint beats a request; the pair is simply not locked
            locked.append((i, j))
            used.update((i, j))
    return locked


def match(
    participants: Sequence[Participant],
    settings: MatchSettings | None = None,
    progress: Progress | None = None,
) -> MatchResult:
    """Match a whole cohort at once for the best total fit.

    Peer mode: a maximum-weight matching into pairs (exact up to several thousand people;
    certified near-optimal beyond), then trios for people left over if the program allows.
    Mentor mode: mentors take up to `capacity` mentees, an exact bipartite b-matching on the
    candidate graph. Every person without a group is listed in `unmatched` with a reason.
    `progress(done, total)` is called while scoring large cohorts.
    """
    t0 = time.perf_counter()
    settings = settings or MatchSettings()
    if settings.mode not in ("peer", "mentor"):
        raise ValueError(f"unknown mode {settings.mode!r}")
    ctx = Context.build(participants, settings)
    c = ctx.cohort
    locked = _locks(ctx)
    in_lock = {k for g in locked for k in g}
    locked_weight = sum(d[0] for d in ctx.describe(locked))

    groups: list[tuple[tuple[int, ...], str, bool]] = [(g, "pair", True) for g in locked]
    trio_of: dict[tuple[int, ...], int] = {}  # a trio's members -> the person who joined
    unmatched: dict[int, str] = {}
    if settings.mode == "peer":
        free = np.ones(c.n, dtype=bool)
        free[list(in_lock)] = False
        nodes = np.flatnonzero(free).astype(np.int64)
        graph = build_graph(c, ctx.scorer, ctx.cons, nodes, settings.top_k, progress)

        def local_score(a: Idx, b: Idx) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
            return ctx.feasible_scores(nodes[a], nodes[b])

        # Large pools: an assignment cycle cover polished by pair swaps, then the people it
        # left over re-paired among themselves and one more swap search (below).
        large = graph.m > EXACT_LIMIT
        # The swap searches stop on their round budget; the time limit is a safety cap only.
        deadline = time.perf_counter() + settings.time_limit_seconds
        sol = solve_pairs(
            graph.m,
            graph.ei,
            graph.ej,
            graph.w,
            graph.tau,
            local_score if large else None,
            settings.time_limit_seconds,
            settings.swap_rounds,
        )
        if graph.m <= PRICE_LIMIT:
            # Usually far tighter than the assignment bound's floors on a top-k graph.
            priced = priced_bound(c, ctx.scorer, ctx.cons, graph)
            if priced is not None and priced < sol.upper_bound:
                sol.upper_bound = max(priced, sol.weight)
                sol.bound_method = PRICED_METHOD
        local_pairs = sol.pairs
        if large:
            swaps = _rematch_leftovers(ctx, graph, local_pairs, local_score, settings, deadline)
            local_pairs = swaps.pairs
            sol.time_capped = sol.time_capped or swaps.time_capped
            sol.weight = _weight(local_pairs, local_score)
        pairs = [(int(nodes[a]), int(nodes[b])) for a, b in local_pairs]
        deg = np.bincount(np.concatenate([graph.ei, graph.ej]), minlength=graph.m)
        has_partner = set(nodes[(deg > 0) | (graph.tau > 0)].tolist())
        in_pair = np.zeros(graph.m, dtype=bool)
        if local_pairs:
            in_pair[np.array(local_pairs, dtype=np.int64).ravel()] = True
        leftover = nodes[~in_pair].tolist()
        trios: dict[int, tuple[int, float]] = {}
        if settings.allow_trios:
            repeat_ok = [int(nodes[a]) for e in graph.repeats for a in e]
            trios = attach_trios(ctx.scorer, ctx.cons, leftover, pairs, repeat_ok)
        extra: dict[int, list[int]] = {}
        for person, (k, _) in trios.items():
            extra.setdefault(k, []).append(person)
        for person, (k, _) in trios.items():
            trio_of[tuple(sorted((*pairs[k], person)))] = person
        for k, p in enumerate(pairs):
            members = tuple(sorted((*p, *extra.get(k, [])), key=lambda v: v))
            groups.append((members, "trio" if len(members) == 3 else "pair", False))
        rest = [v for v in leftover if v not in trios]
        for v in rest:
            if v not in has_partner:
                unmatched[v] = "no_feasible_partner"
            elif settings.allow_trios:
                unmatched[v] = "no_trio_fit"
            elif len(nodes) % 2 == 1 and len(rest) == 1:
                unmatched[v] = "odd_one_out"
            else:
                unmatched[v] = "not_chosen"
        pair_weight = locked_weight + sol.weight
        upper = locked_weight + sol.upper_bound
        solver, bound_method, scope = sol.solver, sol.bound_method, "pairs"
        heuristic, time_capped = not sol.exact, sol.time_capped
        if sol.exact and graph.complete:
            # Every feasible pair was a candidate and the blossom algorithm is exact: the total
            # is the optimum itself, so there is no gap to report (the relaxation may be higher).
            upper, bound_method = pair_weight, "exact optimum (every feasible pair)"
    else:
        res = bipartite.solve_mentor(ctx, in_lock, locked)
        for a, b in res.pairs:
            groups.append(((a, b), "mentor", False))
        unmatched.update(res.unmatched)
        pair_weight = locked_weight + res.weight
        upper = locked_weight + res.upper_bound
        solver, bound_method, scope = res.solver, res.bound_method, "mentor"
        heuristic, time_capped = False, False

    out_groups: list[Group] = []
    total = 0.0
    ordered = sorted(groups, key=lambda g: (not g[2], g[0]))
    described = ctx.describe([g[0] for g in ordered])
    exchanges = exchange_of(ctx, [g[0] for g in ordered])
    for gid, ((members, kind, is_locked), (score, comps, reasons), exchange) in enumerate(
        zip(ordered, described, exchanges, strict=True), start=1
    ):
        total += score
        n_pairs = len(members) * (len(members) - 1) // 2
        note = ""
        if kind == "trio":
            third = c.people[trio_of[members]].display_name if members in trio_of else ""
            note = (
                f"a trio: {third} had no partner left (an odd number of people) and fits this "
                "pair best; its fit is the mean of its three pairs"
            )
        out_groups.append(
            Group(
                id=gid,
                members=tuple(c.ids[k] for k in members),
                score=round(score, 6),
                components=comps,
                reasons=reasons,
                kind=kind,  # type: ignore[arg-type]
                locked=is_locked,
                fit=round(score / max(n_pairs, 1), 6),
                exchange=exchange,  # type: ignore[arg-type]
                note=note,
            )
        )
    _explain_level_rule(ctx, unmatched)
    out_unmatched = tuple(
        Unmatched(c.ids[k], code, _unmatched_message(ctx, k, code))
        for k, code in sorted(unmatched.items())
    )
    gap = 0.0 if upper <= 0 else max(0.0, 1.0 - pair_weight / upper)
    return MatchResult(
        groups=tuple(out_groups),
        unmatched=out_unmatched,
        total_weight=round(total, 6),
        pair_weight=round(pair_weight, 6),
        upper_bound=round(upper, 6),
        gap=gap,
        seconds=time.perf_counter() - t0,
        solver=solver,
        bound_method=bound_method,
        bound_scope=scope,
        mode=settings.mode,
        n=c.n,
        heuristic=heuristic,
        time_capped=time_capped,
    )


def _suggestions(
    scorer: Scorer,
    ids: Sequence[str],
    person: int,
    candidates: npt.NDArray[np.int64],
    weights: npt.NDArray[np.floating[Any]],
    rows: list[int],
) -> list[Suggestion]:
    """The chosen rows of one person's scores as suggestions, with components and reasons."""
    out = []
    for r in rows:
        j = int(candidates[r])
        _, comps = scorer.pairs(np.array([person]), np.array([j]))
        one = {name: float(v[0]) for name, v in comps.items()}
        out.append(
            Suggestion(
                id=ids[j],
                score=round(float(weights[r]), 6),
                components=one,
                reasons=pair_reasons(scorer, person, j, one),
            )
        )
    return out


def suggest(
    person_id: str,
    participants: Sequence[Participant],
    settings: MatchSettings | None = None,
    k: int = 10,
) -> list[Suggestion]:
    """Best feasible partners for one person, best first (ties by id), with reasons.

    Hard constraints and the minimum fit apply as in `match`; past partners only when the
    program allows repeats.
    """
    settings = settings or MatchSettings()
    ctx = Context.build(participants, settings)
    c = ctx.cohort
    if person_id not in c.index:
        raise KeyError(person_id)
    i = c.index[person_id]
    others = np.array([j for j in range(c.n) if j != i], dtype=np.int64)
    if others.size == 0:
        return []
    w, ok = ctx.feasible_scores(np.full(others.size, i), others, past_ok=settings.allow_repeats)
    order = sorted(np.nonzero(ok)[0].tolist(), key=lambda r: (-w[r], c.ids[int(others[r])]))
    return _suggestions(ctx.scorer, c.ids, i, others, w, order[:k])


@dataclass(frozen=True)
class SuggestionRow:
    """`suggest_row`'s answer: the suggestions, and how many candidates the level rule alone
    left out (so the page can say why they are not suggested)."""

    suggestions: tuple[Suggestion, ...]
    outside_level_rule: int


def suggest_row(
    cohort: Cohort,
    person: int,
    candidates: Idx,
    *,
    excluded: Collection[int] = (),
    asked_by_person: Collection[int] = (),
    asked_person: Collection[int] = (),
    k: int = 10,
) -> SuggestionRow:
    """`suggest` for one person against a cohort built once (`build_cohort`): one row of the
    score matrix, no constraints table over the whole cohort.

    The scores, components and reasons are those `pair_score` gives the same pair with the
    same cohort: the same `Scorer` code scores the row. What the cohort's participants do not
    carry, the caller gives for this person only, fresh: `excluded` (indices never to suggest:
    the reporting line, blocks, past partners unless the program allows repeats),
    `asked_by_person` / `asked_person` (indices of open requests either way). The level rule
    and the minimum fit apply as in `match`.
    """
    c = cohort
    cand = np.asarray(candidates, dtype=np.int64)
    cand = cand[cand != person]
    asked_by, asked = set(asked_by_person), set(asked_person)
    if asked_by or asked:
        # The cached participants carry no requests (they change by the minute): put this
        # person's in, both for the request component and for the words that explain it.
        people = list(c.people)
        me = people[person]
        people[person] = dataclasses.replace(me, requested=frozenset(c.ids[j] for j in asked_by))
        for j in asked:
            people[j] = dataclasses.replace(people[j], requested=frozenset({me.id}))
        c = dataclasses.replace(c, people=people)
    others = sorted(asked_by | asked)
    rows = [person] * len(others) + others
    cols = others + [person] * len(others)
    requests = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(c.n, c.n), dtype=np.float32
    )
    requests.data[:] = 1.0
    scorer = Scorer(c, requests)
    if cand.size == 0:
        return SuggestionRow((), 0)
    mine = np.full(cand.size, person, dtype=np.int64)
    w, _ = scorer.pairs(mine, cand)
    max_gap, mentor_range = level_rule_of(c)
    # Everyone's level (NaN: unknown) and role from the cohort's arrays: no Python loop over
    # a pool of thousands.
    levels = np.array([*c.level_values, np.nan], dtype=np.float64)[c.level_idx]
    mentor = np.asarray(c.role) == "mentor"
    level_ok = level_allowed(
        levels, mentor, max_gap, mentor_range, np.full(cand.size, person, dtype=np.int64), cand
    )
    blocked = np.isin(cand, np.fromiter(excluded, dtype=np.int64, count=len(excluded)))
    fits = (w >= c.settings.min_fit) & (w > 0)
    ok = level_ok & ~blocked & fits
    out = _suggestions(scorer, c.ids, person, cand, w, _best(w, ok, cand, c.ids, k))
    return SuggestionRow(tuple(out), int((~level_ok & ~blocked & fits).sum()))


def _best(
    w: npt.NDArray[Any], ok: npt.NDArray[np.bool_], cand: Idx, ids: Sequence[str], k: int
) -> list[int]:
    """Positions of the `k` best allowed candidates, best first, ties by id: the k-th best
    score is found by a partition, and only those scoring at least as much are sorted (a pool
    of twenty thousand sorted whole in Python was half of a suggestions page)."""
    allowed = np.nonzero(ok)[0]
    if allowed.size > k > 0:
        kth = np.partition(-w[allowed], k - 1)[k - 1]
        allowed = allowed[-w[allowed] <= kth]
    order = sorted(allowed.tolist(), key=lambda r: (-w[r], ids[int(cand[r])]))
    return order[:k]


def pair_score(
    a: Participant,
    b: Participant,
    settings: MatchSettings | None = None,
    cohort: Sequence[Participant] | None = None,
) -> PairScore:
    """The score of one pair with its weighted components, reasons and any hard violation.

    Goal words are weighted by their rarity in `cohort` (default: just the two people), so
    pass the cohort to get exactly the score `match` uses.
    """
    settings = settings or MatchSettings()
    people = list(cohort) if cohort is not None else [a, b]
    ids = {p.id for p in people}
    people += [p for p in (a, b) if p.id not in ids]
    ctx = Context.build(people, settings)
    i, j = ctx.cohort.index[a.id], ctx.cohort.index[b.id]
    total, comps = ctx.scorer.pairs(np.array([i]), np.array([j]))
    one = {name: round(float(v[0]), 6) for name, v in comps.items()}
    violations = ctx.cons.violations(i, j, allow_past=settings.allow_repeats)
    score = float(total[0])
    if score < settings.min_fit or score <= 0:
        violations.append("below_min_fit")
    return PairScore(
        a=a.id,
        b=b.id,
        score=round(score, 6),
        components=one,
        reasons=pair_reasons(ctx.scorer, i, j, one),
        feasible=not violations,
        violations=tuple(violations),
    )
