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
from .goals import shared_phrase
from .model import Participant
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
        if cross[k] > MIN_SHOWN:
            if pi.department and pj.department and pi.department.lower() != pj.department.lower():
                out.append((cross[k], f"{pi.department} and {pj.department}"))
            elif pi.team and pj.team and pi.team.lower() != pj.team.lower():
                out.append((cross[k], f"different teams ({pi.team} and {pj.team})"))
        if k in minutes and minutes[k] > 0:
            out.append((time_[k], f"{_hours(minutes[k])} of shared availability a week"))
        if goals[k] > MIN_SHOWN:
            phrase = shared_phrase(c.goal_text[a_i], c.goal_text[b_j])
            if phrase:
                out.append((goals[k], f'shared goal: "{phrase}"'))
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
        kept = [text for _, text in out[: limits[k]]]
        # Always said, whatever the limit: how their levels relate, and plainly when there
        # is no skill to trade (with what the pair was matched on instead).
        always = [level_relation(pi, pj, c.settings.mode)]
        if not taught.get(k, ([], []))[0] and not taught.get(k, ([], []))[1]:
            on = [
                label for label, v in _matched_on(level, cross, time_, goals, request, meeting, k)
            ]
            basis = ", ".join(on) if on else "nothing beyond the program's rules"
            always.append(f"no skill exchange between {a} and {b}: matched on {basis}")
        result.append(tuple(always + kept))
    return result


NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven"}


def steps_text(n: int) -> str:
    return f"{NUMBER_WORDS.get(n, str(n))} step{'s' if n != 1 else ''}"


def level_relation(a: Participant, b: Participant, mode: str) -> str:
    """How two levels relate, in words: "both L4", "Ana is one step ahead (L5 and L4)"."""
    if a.level is None and b.level is None:
        return "levels not known"
    if a.level is None or b.level is None:
        who = a if a.level is None else b
        return f"level not known for {who.display_name}"
    if a.level == b.level:
        return f"both L{a.level}"
    ahead, behind = (a, b) if a.level > b.level else (b, a)
    assert ahead.level is not None and behind.level is not None
    gap = ahead.level - behind.level
    text = f"{ahead.display_name} is {steps_text(gap)} ahead (L{ahead.level} and L{behind.level})"
    if mode == "mentor" and ahead is b:
        text += f", though {a.display_name} is the mentor"
    return text


def _matched_on(
    level: list[float],
    cross: list[float],
    time_: list[float],
    goals: list[float],
    request: list[float],
    meeting: list[float],
    k: int,
) -> list[tuple[str, float]]:
    """What a pair without a skill exchange was matched on, strongest first."""
    rows = [
        ("close levels", level[k]),
        ("working in other teams", cross[k]),
        ("shared time", time_[k]),
        ("a shared goal", goals[k]),
        ("a request", request[k]),
        ("meeting the same way", meeting[k]),
    ]
    return sorted((r for r in rows if r[1] > MIN_SHOWN), key=lambda r: -r[1])


def pair_reasons(
    scorer: Scorer, i: int, j: int, components: Mapping[str, float], limit: int = 5
) -> tuple[str, ...]:
    """Top reasons for the pair (i, j), strongest component first."""
    names = list(components)
    row = [float(components[name]) for name in names]
    return many_pair_reasons(
        scorer, np.array([i], dtype=np.int64), np.array([j], dtype=np.int64), [row], names, [limit]
    )[0]
