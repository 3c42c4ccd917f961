"""An independent calendar reader for the tests: vobject, which builds each time zone from the
file's own VTIMEZONE (through python-dateutil's tzical) and never looks the zone up by name.

vobject keeps a process-wide TZID registry and, for a TZID it has not registered, falls back to
pytz by name; both would let a wrong VTIMEZONE pass. So every read starts from an empty registry
with the fallback off, and asserts that each time it returns carries a zone built from the file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import vobject
import vobject.icalendar as vical
from dateutil import tz as dateutil_tz  # type: ignore[import-untyped]

REGISTRY = "__tzidMap"


@contextmanager
def _own_zones_only() -> Iterator[None]:
    registry: dict[str, Any] = getattr(vical, REGISTRY)
    saved = dict(registry)
    original = vical.getTzid
    registry.clear()
    registry["UTC"] = dateutil_tz.tzutc()

    def no_lookup_by_name(tzid: str, smart: bool = True) -> Any:
        return original(tzid, False)

    vical.getTzid = no_lookup_by_name
    try:
        yield
    finally:
        vical.getTzid = original
        registry.clear()
        registry.update(saved)


@dataclass(frozen=True)
class Occurrence:
    start: dt.datetime  # UTC
    end: dt.datetime  # UTC
    uid: str


def _from_file(value: dt.datetime) -> dt.datetime:
    zone = value.tzinfo
    assert zone is not None, f"floating time {value}"
    if not isinstance(zone, dateutil_tz.tzutc):
        assert type(zone).__name__ == "_tzicalvtz", f"{value} was not read from the file's zone"
    return value.astimezone(dt.UTC)


def _duration(event: Any) -> dt.timedelta:
    if hasattr(event, "duration"):
        return event.duration.value
    return event.dtend.value - event.dtstart.value


def read(text: str, *, until: dt.datetime | None = None) -> list[Occurrence]:
    """Every occurrence the file describes, overrides and cancellations applied, in UTC."""
    with _own_zones_only():
        cal = vobject.readOne(text)
        events = list(getattr(cal, "vevent_list", []))
        masters = [e for e in events if not hasattr(e, "recurrence_id")]
        overrides = [e for e in events if hasattr(e, "recurrence_id")]
        found: dict[tuple[str, dt.datetime], Occurrence] = {}
        for event in masters:
            if getattr(event, "status", None) and event.status.value == "CANCELLED":
                continue
            uid = event.uid.value
            length = _duration(event)
            start = event.dtstart.value
            _from_file(start)
            if hasattr(event, "rrule"):
                rules = event.getrruleset(addRDate=True)
                starts = list(rules) if until is None else rules.between(start, until, inc=True)
            else:
                starts = [start]
            for s in starts:
                utc = _from_file(s)
                found[(uid, utc)] = Occurrence(utc, utc + length, uid)
        for event in overrides:
            uid = event.uid.value
            rid = _from_file(event.recurrence_id.value)
            found.pop((uid, rid), None)
            if getattr(event, "status", None) and event.status.value == "CANCELLED":
                continue
            start = _from_file(event.dtstart.value)
            found[(uid, rid)] = Occurrence(start, start + _duration(event), uid)
    return sorted(found.values(), key=lambda o: (o.start, o.uid))


def starts(text: str) -> list[dt.datetime]:
    return [o.start for o in read(text)]
