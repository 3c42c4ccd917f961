"""Readers for PEOPLE (CSV or JSON) and PAIRS (CSV), and the GROUPS.csv writer.

Every reader validates the whole file before returning and raises `InputError` with a
one-line message naming the file, the row and the problem. The writer writes to a temporary
file and renames it, so a failure never leaves a half-written GROUPS.csv.

PEOPLE columns (only `id` is required; the rest default to "unknown"):
    id, name, level (int), hire_date (YYYY-MM-DD), department, team, manager_id, location,
    timezone (IANA, default UTC), availability ("mon 09:00-12:00; wed 14:00-15:30", local
    time), meeting_preference (in_person | video | either), offers and seeks
    ("sql:3; client relationships:2", strength 1..3, default 2), goals (free text),
    past_partners, blocked, requested ("id;id"), capacity (int, default 1),
    role (peer | mentor | mentee, default peer).
JSON: a list of objects with the same keys; list fields may be JSON lists, skills may be
objects {"sql": 3}, availability may be a list of "mon 09:00-12:00" strings.
PAIRS columns: a, b, weight (a number). Each unordered pair at most once.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .model import MEETING_PREFERENCES, ROLES, AvailabilityWindow, MatchResult, Participant


class InputError(ValueError):
    """Bad input file: the message is one line meant for the person who wrote the file."""


DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_WINDOW = re.compile(r"^\s*([a-z]{3})[a-z]*\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
PEOPLE_COLUMNS = (
    "id name level hire_date department team manager_id location timezone availability "
    "meeting_preference offers seeks goals past_partners blocked requested capacity role"
).split()


def parse_availability(text: str) -> tuple[AvailabilityWindow, ...]:
    """ "mon 09:00-12:00; wed 14:00-15:30" -> windows (end 24:00 allowed)."""
    out = []
    for part in re.split(r"[;,]", text):
        if not part.strip():
            continue
        m = _WINDOW.match(part.lower())
        if not m or m.group(1) not in DAYS:
            raise ValueError(f"availability {part.strip()!r} is not like 'mon 09:00-12:00'")
        start = int(m.group(2)) * 60 + int(m.group(3))
        end = int(m.group(4)) * 60 + int(m.group(5))
        out.append(AvailabilityWindow(DAYS[m.group(1)], start, end))
    return tuple(out)


def parse_skills(value: Any) -> dict[str, int]:
    """ "sql:3; client relationships:2" (or a mapping) -> {name: strength 1..3}."""
    items: Iterable[tuple[str, Any]]
    if isinstance(value, Mapping):
        items = value.items()
    else:
        pairs = []
        for part in re.split(r"[;,]", str(value or "")):
            if not part.strip():
                continue
            name, _, strength = part.partition(":")
            pairs.append((name, strength.strip() or 2))
        items = pairs
    out: dict[str, int] = {}
    for name, strength in items:
        key = str(name).strip().lower()
        try:
            val = int(strength)
        except (TypeError, ValueError):
            raise ValueError(
                f"skill {key!r} strength must be 1, 2 or 3, got {strength!r}"
            ) from None
        if not 1 <= val <= 3 or not key:
            raise ValueError(f"skill {key!r} strength must be 1, 2 or 3, got {strength!r}")
        out[key] = val
    return out


def _ids(value: Any) -> frozenset[str]:
    if isinstance(value, list | tuple):
        return frozenset(str(v).strip() for v in value if str(v).strip())
    return frozenset(p.strip() for p in re.split(r"[;,]", str(value or "")) if p.strip())


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def participant_from_row(row: Mapping[str, Any]) -> Participant:
    """One participant from a CSV row or JSON object; raises ValueError with the problem."""
    pid = _text(row.get("id"))
    if not pid:
        raise ValueError("id is empty")
    level_raw = _text(row.get("level"))
    try:
        level = int(level_raw) if level_raw else None
    except ValueError:
        raise ValueError(f"level must be an integer, got {level_raw!r}") from None
    hire_raw = _text(row.get("hire_date"))
    try:
        hire = dt.date.fromisoformat(hire_raw) if hire_raw else None
    except ValueError:
        raise ValueError(f"hire_date must be YYYY-MM-DD, got {hire_raw!r}") from None
    tz = _text(row.get("timezone")) or "UTC"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {tz!r}") from None
    avail_raw = row.get("availability")
    if isinstance(avail_raw, list):
        avail_raw = "; ".join(str(x) for x in avail_raw)
    pref = _text(row.get("meeting_preference")) or "either"
    if pref not in MEETING_PREFERENCES:
        raise ValueError(f"meeting_preference must be one of {', '.join(MEETING_PREFERENCES)}")
    cap_raw = _text(row.get("capacity"))
    try:
        capacity = int(cap_raw) if cap_raw else 1
    except ValueError:
        raise ValueError(f"capacity must be an integer, got {cap_raw!r}") from None
    if capacity < 0:
        raise ValueError("capacity must be 0 or more")
    role = _text(row.get("role")) or "peer"
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    return Participant(
        id=pid,
        name=_text(row.get("name")),
        level=level,
        hire_date=hire,
        department=_text(row.get("department")),
        team=_text(row.get("team")),
        manager_id=_text(row.get("manager_id")),
        location=_text(row.get("location")),
        timezone=tz,
        availability=parse_availability(_text(avail_raw)),
        meeting_preference=pref,  # type: ignore[arg-type]
        offers=parse_skills(row.get("offers")),
        seeks=parse_skills(row.get("seeks")),
        goals=_text(row.get("goals")),
        past_partners=_ids(row.get("past_partners")) - {pid},
        blocked=_ids(row.get("blocked")) - {pid},
        requested=_ids(row.get("requested")) - {pid},
        capacity=capacity,
        role=role,  # type: ignore[arg-type]
    )


def read_people(path: str | Path) -> list[Participant]:
    """Participants from a CSV (header row) or a JSON list (by extension or content)."""
    path = Path(path)
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror})") from None
    rows: list[Mapping[str, Any]]
    if path.suffix.lower() == ".json" or text.lstrip().startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{name}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
            raise InputError(f"{name}: JSON must be a list of objects")
        rows = data
        first = 1
    else:
        reader = csv.DictReader(text.splitlines())
        header = [h.strip() for h in (reader.fieldnames or [])]
        if "id" not in header:
            raise InputError(f"{name}: missing column 'id' (columns: {', '.join(PEOPLE_COLUMNS)})")
        reader.fieldnames = header
        rows = list(reader)
        first = 2
    people = []
    seen: set[str] = set()
    for k, row in enumerate(rows):
        where = f"{name}: {'row' if first == 2 else 'item'} {k + first}"
        try:
            p = participant_from_row(row)
        except ValueError as exc:
            raise InputError(f"{where}: {exc}") from None
        if p.id in seen:
            raise InputError(f"{where}: duplicate id {p.id!r}")
        seen.add(p.id)
        people.append(p)
    return people


def read_pairs(path: str | Path) -> list[tuple[str, str, float]]:
    """(a, b, weight) rows of a PAIRS.csv; each unordered pair once, weights finite numbers."""
    path = Path(path)
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror})") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    for col in ("a", "b", "weight"):
        if col not in header:
            raise InputError(f"{name}: missing column {col!r} (need a,b,weight)")
    reader.fieldnames = header
    out = []
    seen: set[tuple[str, str]] = set()
    for k, row in enumerate(reader, start=2):
        a, b, raw = _text(row.get("a")), _text(row.get("b")), _text(row.get("weight"))
        if not a or not b:
            raise InputError(f"{name}: row {k}: a and b must both be set")
        if a == b:
            raise InputError(f"{name}: row {k}: a pair needs two different ids, got {a!r} twice")
        try:
            weight = float(raw)
        except ValueError:
            raise InputError(f"{name}: row {k}: weight must be a number, got {raw!r}") from None
        if not math.isfinite(weight):
            raise InputError(f"{name}: row {k}: weight must be finite, got {raw!r}")
        key = (min(a, b), max(a, b))
        if key in seen:
            raise InputError(f"{name}: row {k}: pair {a},{b} is listed twice")
        seen.add(key)
        out.append((a, b, weight))
    return out


def write_groups(path: str | Path, result: MatchResult) -> None:
    """GROUPS.csv with columns group,member: one row per member, groups numbered from 1."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=".groups-", suffix=".csv", dir=directory)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["group", "member"])
            for g in result.groups:
                for member in g.members:
                    writer.writerow([g.id, member])
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
