"""Plain-language reasons for a pair, both directions, from the score components.

`many_pair_reasons` explains a batch of pairs at once: everything that needs arrays (the
skills one can teach the other, shared minutes) is computed for the whole batch in a few NumPy
calls, and Python only formats the strings. `pair_reasons` is the same text for one pair.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from .features import Cohort
from .scoring import Scorer

MIN_SHOWN = 1e-6
TAUGHT_LIMIT = 2  # skills named per direction
CHUNK = 8192  # pairs per (pairs x skills) product when ranking the skills taught

Idx = npt.NDArray[np.int64]


def _skills_taught_many(c: Cohort, i: Idx, j: Idx, limit: int = TAUGHT_LIMIT) -> list[list[str]]:
    """For each pair: skills i offers that j seeks, strongest match first (ties by name)."""
    out: list[list[str]] = []
    skills = c.skills
    for start in range(0, i.size, CHUNK):
        prod = c.offer[i[start : start + CHUNK]] * c.seek[j[start : start + CHUNK]]
        # A stable sort of each row, exactly as one row at a time would order it.
        order = np.argsort(-prod, axis=1, kind="stable")[:, :limit]
        keep = np.take_along_axis(prod, order, axis=1) > 0
        for ks, ok in zip(order.tolist(), keep.tolist(), strict=True):
            out.append([skills[k] for k, good in zip(ks, ok, strict=True) if good])
    return out


def _hours(minutes: int) -> str:
    h = minutes / 60
    return f"{h:.0f} h" if float(h).is_integer() else f"{h:.1f} h"


def many_pair_reasons(
    scorer: Scorer,
    i: Idx,
    j: Idx,
    table: Sequence[Sequence[float]],
    names: Sequence[str],
    limits: Sequence[int],
) -> list[tuple[str, ...]]:
    """Top reasons for each pair (i[k], j[k]), strongest component first.

    `table[k]` holds the pair's weighted components in the order of `names` (a missing name
    counts as 0); `limits[k]` is how many reasons to keep.
    """
    c = scorer.cohort
    people = c.people
    col = {name: k for k, name in enumerate(names)}

    def column(name: str) -> list[float]:
        k = col.get(name)
        return [0.0] * len(table) if k is None else [float(row[k]) for row in table]

    recip = [a + b for a, b in zip(column("reciprocity"), column("mutual"), strict=True)]
    level, cross, time_ = column("level"), column("cross_team"), column("time")
    goals, request, meeting = column("goals"), column("request"), column("meeting")
    il, jl = i.tolist(), j.tolist()

    # Array work for the whole batch, only for the pairs that will use it.
    need_skills = [k for k, v in enumerate(recip) if v > MIN_SHOWN]
    taught: dict[int, tuple[list[str], list[str]]] = {}
    if need_skills:
        si, sj = i[need_skills], j[need_skills]
        ij, ji = _skills_taught_many(c, si, sj), _skills_taught_many(c, sj, si)
        taught = dict(zip(need_skills, zip(ij, ji, strict=True), strict=True))
    known = c.avail_known
    need_time = [k for k, v in enumerate(time_) if v > MIN_SHOWN and known[il[k]] and known[jl[k]]]
    minutes: dict[int, int] = {}
    if need_time:
        mins = scorer.overlap_minutes(i[need_time], j[need_time]).tolist()
        minutes = dict(zip(need_time, mins, strict=True))

    result: list[tuple[str, ...]] = []
    for k in range(len(table)):
        a_i, b_j = il[k], jl[k]
        pi, pj = people[a_i], people[b_j]
        a, b = pi.display_name, pj.display_name
        out: list[tuple[float, str]] = []
        if recip[k] > MIN_SHOWN:
            parts = []
            ij_, ji_ = taught[k]
            if ij_:
                parts.append(f"{a} can help {b} with {' and '.join(ij_)}")
            if ji_:
                parts.append(f"{b} can help {a} with {' and '.join(ji_)}")
            if parts:
                out.append((recip[k], "; ".join(parts)))
        if level[k] > MIN_SHOWN and pi.level is not None and pj.level is not None:
            if c.settings.mode == "mentor":
                gap = pi.level - pj.level
                text = f"levels L{pi.level} and L{pj.level} ({gap} ahead)"
            else:
                text = f"levels L{pi.level} and L{pj.level}"
            out.append((level[k], text))
        if cross[k] > MIN_SHOWN:
            if pi.department and pj.department and pi.department.lower() != pj.department.lower():
                out.append((cross[k], f"{pi.department} and {pj.department}"))
            elif pi.team and pj.team and pi.team.lower() != pj.team.lower():
                out.append((cross[k], f"different teams ({pi.team} and {pj.team})"))
        if k in minutes and minutes[k] > 0:
            out.append((time_[k], f"{_hours(minutes[k])} of shared availability a week"))
        if goals[k] > MIN_SHOWN:
            shared = sorted(c.goal_words[a_i] & c.goal_words[b_j])
            if shared:
                out.append((goals[k], "shared goals: " + ", ".join(shared[:3])))
        if request[k] > MIN_SHOWN:
            both = pj.id in pi.requested and pi.id in pj.requested
            text = (
                "asked for each other"
                if both
                else (f"{a} asked for {b}" if pj.id in pi.requested else f"{b} asked for {a}")
            )
            out.append((request[k] + 10.0, text))  # a request is always worth saying
        if meeting[k] > MIN_SHOWN and "in_person" in (
            pi.meeting_preference,
            pj.meeting_preference,
        ):
            out.append((meeting[k], f"both can meet in person in {pi.location}"))
        out.sort(key=lambda t: -t[0])
        result.append(tuple(text for _, text in out[: limits[k]]))
    return result


def pair_reasons(
    scorer: Scorer, i: int, j: int, components: Mapping[str, float], limit: int = 5
) -> tuple[str, ...]:
    """Top reasons for the pair (i, j), strongest component first."""
    names = list(components)
    row = [float(components[name]) for name in names]
    return many_pair_reasons(
        scorer, np.array([i], dtype=np.int64), np.array([j], dtype=np.int64), [row], names, [limit]
    )[0]
