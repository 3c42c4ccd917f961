"""Participants turned into arrays, once, so scoring is vectorised.

Everything a score needs is an index (level, hire year, department, team, location, meeting
preference), a small dense matrix (skills, goals) or a bitset (availability in UTC).
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from .goals import GoalText, parse
from .model import MEETING_PREFERENCES, MatchSettings, Participant

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]

SLOT_MINUTES = 30
SLOTS_PER_WEEK = 7 * 24 * 60 // SLOT_MINUTES  # 336
WORDS = SLOTS_PER_WEEK // 64 + (SLOTS_PER_WEEK % 64 > 0)  # 6 uint64 words
GOAL_DIMS = 64
PHRASE_WEIGHT = 2.0


def goal_tokens(text: str) -> list[str]:
    """What a goal's score compares: meaningful stems and adjacent stems (see goals.py)."""
    return parse(text).features


def _bucket(token: str) -> int:
    # crc32, not hash(): Python salts str hashes per process and we promise determinism.
    return zlib.crc32(token.encode()) % GOAL_DIMS


def window_slots(
    windows: Sequence[tuple[int, int, int]], tz_name: str, reference: dt.date
) -> npt.NDArray[np.bool_]:
    """Mark the 30-minute UTC slots of the week covered by local windows (weekday, start, end)."""
    slots = np.zeros(SLOTS_PER_WEEK, dtype=bool)
    try:
        tz = ZoneInfo(tz_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tz_name!r}") from exc
    monday = reference - dt.timedelta(days=reference.weekday())
    week0 = dt.datetime(monday.year, monday.month, monday.day, tzinfo=dt.UTC)
    for weekday, start, end in windows:
        day = monday + dt.timedelta(days=weekday)
        local = dt.datetime(day.year, day.month, day.day, tzinfo=tz)
        begin = (local + dt.timedelta(minutes=start)).astimezone(dt.UTC)
        minutes0 = int((begin - week0).total_seconds() // 60)
        # A slot counts when the window covers it entirely: half a slot is no time to meet.
        first = -(-minutes0 // SLOT_MINUTES)
        last = (minutes0 + (end - start)) // SLOT_MINUTES
        for s in range(first, last):
            slots[s % SLOTS_PER_WEEK] = True
    return slots


def pack_slots(slots: npt.NDArray[np.bool_]) -> npt.NDArray[np.uint64]:
    padded = np.zeros(WORDS * 64, dtype=bool)
    padded[: slots.size] = slots
    return np.packbits(padded, bitorder="little").view(np.uint64)


def level_table(values: Sequence[int], settings: MatchSettings) -> F32:
    """Fit in [0, 1] for every pair of distinct levels (row = first person, col = second)."""
    lv = np.asarray(values, dtype=np.float64)
    diff = lv[:, None] - lv[None, :]
    if settings.mode == "peer":
        tol = settings.peer_level_tolerance + 1
        return np.clip(1.0 - np.abs(diff) / tol, 0.0, 1.0).astype(np.float32)
    lo, hi = settings.level_gap
    # Row is the mentor, column the mentee: full fit inside the target gap, then -0.5 a level.
    miss = np.maximum(lo - diff, 0.0) + np.maximum(diff - hi, 0.0)
    return np.clip(1.0 - miss / 2.0, 0.0, 1.0).astype(np.float32)


def _codes(values: Sequence[str]) -> tuple[I64, list[str]]:
    """Codes for categorical values; "" gets -1 (unknown never equals anything)."""
    names = sorted({v for v in values if v})
    index = {v: i for i, v in enumerate(names)}
    return np.array([index.get(v, -1) for v in values], dtype=np.int64), names


@dataclass
class Cohort:
    """Arrays for n participants, indexed 0..n-1 in input order."""

    people: list[Participant]
    ids: list[str]
    index: dict[str, int]
    skills: list[str]
    offer: F32  # (n, d) offered strength / 3
    seek: F32  # (n, d) sought strength / total sought strength (a share of what one wants)
    has_two_way: npt.NDArray[np.bool_]  # offers something and seeks something
    level_idx: I64  # -1 = unknown
    level_values: list[int]
    level_tab: F32
    year_idx: I64
    year_tab: F32
    dept: I64
    dept_names: list[str]
    team: I64
    loc: I64
    pref: I64  # index into MEETING_PREFERENCES
    avail: npt.NDArray[np.uint64]  # (n, WORDS) UTC slot bitsets
    avail_known: npt.NDArray[np.bool_]
    avail_unit: F32  # (n, SLOTS_PER_WEEK) slot indicator / sqrt(slot count)
    avail_slots: I64  # slot count
    goals: F32  # (n, GOAL_DIMS) L2-normalised tf-idf of hashed goal words and phrases
    goal_text: list[GoalText]  # each person's goal, parsed (shared between equal texts)
    role: list[str]
    capacity: I64
    settings: MatchSettings

    @property
    def n(self) -> int:
        return len(self.ids)


def build_cohort(people: Sequence[Participant], settings: MatchSettings) -> Cohort:
    people = list(people)
    ids = [p.id for p in people]
    index: dict[str, int] = {}
    for i, pid in enumerate(ids):
        if pid in index:
            raise ValueError(f"duplicate participant id {pid!r}")
        index[pid] = i
    n = len(people)

    # Skill names normalised once per distinct spelling, cells filled in one scatter each.
    norm_name: dict[str, str] = {}
    for p in people:
        for s in (*p.offers, *p.seeks):
            if s not in norm_name:
                norm_name[s] = s.lower().strip()
    skills = sorted(set(norm_name.values()))
    sk = {s: i for i, s in enumerate(skills)}
    col = {s: sk[v] for s, v in norm_name.items()}
    strengths = _strengths([p.offers for p in people], col, len(skills))
    # The same float32 values as strength / 3.0 computed one cell at a time.
    offer = np.array([0.0, 1 / 3.0, 2 / 3.0, 3 / 3.0], dtype=np.float32)[strengths]
    seek = _strengths([p.seeks for p in people], col, len(skills)).astype(np.float32)
    total = seek.sum(axis=1, keepdims=True)
    seek = np.divide(seek, total, out=np.zeros_like(seek), where=total > 0)
    has_two_way = (offer.sum(axis=1) > 0) & (seek.sum(axis=1) > 0)

    level_values = sorted({p.level for p in people if p.level is not None})
    lv_index = {v: i for i, v in enumerate(level_values)}
    level_idx = np.array(
        [lv_index[p.level] if p.level is not None else -1 for p in people], dtype=np.int64
    )
    level_tab = _with_unknown(level_table(level_values, settings))

    years = sorted({p.hire_date.year for p in people if p.hire_date is not None})
    y_index = {y: i for i, y in enumerate(years)}
    year_idx = np.array(
        [y_index[p.hire_date.year] if p.hire_date is not None else -1 for p in people],
        dtype=np.int64,
    )
    yv = np.asarray(years, dtype=np.float64)
    year_tab = _with_unknown(1.0 / (1.0 + np.abs(yv[:, None] - yv[None, :]) / 2.0))

    dept, dept_names = _codes([p.department.strip().lower() for p in people])
    team, _ = _codes([p.team.strip().lower() for p in people])
    loc, _ = _codes([p.location.strip().lower() for p in people])
    pref = np.array([MEETING_PREFERENCES.index(p.meeting_preference) for p in people])

    avail = np.zeros((n, WORDS), dtype=np.uint64)
    known = np.zeros(n, dtype=bool)
    cache: dict[tuple[object, ...], npt.NDArray[np.uint64]] = {}
    for i, p in enumerate(people):
        if not p.availability:
            continue
        key = (p.timezone, tuple((w.weekday, w.start, w.end) for w in p.availability))
        if key not in cache:
            wins = [(w.weekday, w.start, w.end) for w in p.availability]
            cache[key] = pack_slots(window_slots(wins, p.timezone, settings.reference_date))
        avail[i] = cache[key]
        known[i] = True

    bits = np.unpackbits(avail.view(np.uint8), axis=1, bitorder="little")[:, :SLOTS_PER_WEEK]
    unit = bits.astype(np.float32)
    count = unit.sum(axis=1, keepdims=True)
    unit = np.divide(unit, np.sqrt(count), out=np.zeros_like(unit), where=count > 0)
    known &= count[:, 0] > 0

    # Goal texts repeat (templates, blanks): tokenise and weigh each distinct text once.
    text_id: dict[str, int] = {}
    which = np.fromiter(
        (text_id.setdefault(p.goals, len(text_id)) for p in people), dtype=np.int64, count=n
    )
    texts = list(text_id)
    parsed = [parse(t) for t in texts]
    text_words = [g.features for g in parsed]
    uses = np.bincount(which, minlength=len(texts)).tolist()
    df: dict[str, int] = {}
    for ws, u in zip(text_words, uses, strict=True):
        for w in set(ws):
            df[w] = df.get(w, 0) + u
    per_text = np.zeros((len(texts), GOAL_DIMS), dtype=np.float32)
    for t, ws in enumerate(text_words):
        for w in ws:
            # A two-word phrase weighs double: sharing one says more than sharing a word.
            boost = PHRASE_WEIGHT if " " in w else 1.0
            per_text[t, _bucket(w)] += boost * (np.log((1.0 + n) / (1.0 + df[w])) + 1.0)
    goals = per_text[which]
    goal_text = [parsed[t] for t in which.tolist()]
    norm = np.linalg.norm(goals, axis=1, keepdims=True)
    goals = np.divide(goals, norm, out=np.zeros_like(goals), where=norm > 0)

    return Cohort(
        people=people,
        ids=ids,
        index=index,
        skills=skills,
        offer=offer,
        seek=seek,
        has_two_way=has_two_way,
        level_idx=level_idx,
        level_values=level_values,
        level_tab=level_tab,
        year_idx=year_idx,
        year_tab=year_tab,
        dept=dept,
        dept_names=dept_names,
        team=team,
        loc=loc,
        pref=pref.astype(np.int64),
        avail=avail,
        avail_known=known,
        avail_unit=unit,
        avail_slots=count[:, 0].astype(np.int64),
        goals=goals,
        goal_text=goal_text,
        role=[p.role for p in people],
        capacity=np.array([max(int(p.capacity), 0) for p in people], dtype=np.int64),
        settings=settings,
    )


def _strengths(
    maps: Sequence[Mapping[str, int]], col: Mapping[str, int], d: int
) -> npt.NDArray[np.int8]:
    """(n, d) strengths clamped to 1..3 (0 = not listed); a later spelling of a skill wins."""
    n = len(maps)
    counts = np.fromiter((len(m) for m in maps), dtype=np.int64, count=n)
    rows = np.repeat(np.arange(n, dtype=np.int64), counts)
    cols = np.fromiter((col[s] for m in maps for s in m), dtype=np.int64, count=rows.size)
    vals = np.fromiter((int(v) for m in maps for v in m.values()), dtype=np.int64, count=rows.size)
    out = np.zeros((n, d), dtype=np.int8)
    keys = rows * max(d, 1) + cols
    if np.unique(keys).size == keys.size:
        out[rows, cols] = np.clip(vals, 1, 3)
    else:  # two spellings of one skill in one person: assign in order, the last one wins
        for r, c, v in zip(rows.tolist(), cols.tolist(), vals.tolist(), strict=True):
            out[r, c] = min(max(v, 1), 3)
    return out


def _with_unknown(tab: npt.NDArray[np.floating]) -> F32:
    """Append a row and column for "unknown" (index -1) with a neutral 0.5 fit."""
    k = tab.shape[0]
    out = np.full((k + 1, k + 1), 0.5, dtype=np.float32)
    out[:k, :k] = tab
    return out
