"""VTIMEZONE definitions that every mainstream calendar reader gets right.

What readers are known to do with a VTIMEZONE (and so what is written here):

- vobject (and so Radicale) and ical.js keep only the first value of an RDATE line, so no RDATE
  is written at all: a rule that holds for several years is one RRULE observance
  (`FREQ=YEARLY;BYMONTH=3;BYDAY=2SU`), the way Outlook and Thunderbird write them; a change that
  happened once is an observance of its own with a single DTSTART.
- An onset is the local time *before* the jump (02:00 when clocks go from 02:00 to 03:00), as
  RFC 5545's own examples write it; readers that take it literally are then right the hour
  after the change.
- The rules in force start in 1970 (as Thunderbird's do) so a definition is never mistaken for
  UTC by a reader that compares it with UTC over past years (vobject does, for 2000-2020).
- A rule still in force at the end of the time span is left open (no UNTIL): it stays right for
  however long a series runs.

The definitions are derived from the system's tz database (zoneinfo) by finding each transition
in the years asked for; the result is cached per zone and span.
"""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
import functools
import zoneinfo
from dataclasses import dataclass

from icalendar import Timezone

WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
EPOCH_YEAR = 1970


@dataclass(frozen=True)
class Transition:
    at: dt.datetime  # the instant, in UTC
    before: dt.timedelta
    after: dt.timedelta
    name: str

    @property
    def onset(self) -> dt.datetime:
        """The local wall-clock time just before the change (naive)."""
        return (self.at + self.before).replace(tzinfo=None)

    @property
    def kind(self) -> str:
        return "DAYLIGHT" if self.after > self.before else "STANDARD"

    def shape(self) -> tuple[object, ...]:
        """What must stay the same for several years' transitions to be one yearly rule."""
        onset = self.onset
        return (self.before, self.after, self.name, onset.month, onset.time(), onset.weekday())


def _state(tz: zoneinfo.ZoneInfo, at: dt.datetime) -> tuple[dt.timedelta, str]:
    local = at.astimezone(tz)
    return local.utcoffset() or dt.timedelta(0), local.tzname() or ""


def transitions(tz: zoneinfo.ZoneInfo, start: dt.datetime, end: dt.datetime) -> list[Transition]:
    """Every change of offset or abbreviation between two UTC instants, to the second."""
    found: list[Transition] = []
    step = dt.timedelta(hours=12)
    at = start
    state = _state(tz, at)
    while at < end:
        nxt = at + step
        new = _state(tz, nxt)
        if new != state:
            low, high = at, nxt  # state(low) == state, state(high) != state
            while high - low > dt.timedelta(seconds=1):
                mid = low + (high - low) / 2
                mid = mid.replace(microsecond=0)
                if mid <= low:
                    break
                if _state(tz, mid) == state:
                    low = mid
                else:
                    high = mid
            offset, name = _state(tz, high)
            found.append(Transition(at=high, before=state[0], after=offset, name=name))
            state = (offset, name)
        at = nxt
    return found


def _positions(day: dt.date) -> set[int]:
    """Which BYDAY positions name this day in its month: the nth, and -1 in its last week."""
    positions = {(day.day - 1) // 7 + 1}
    if day.day + 7 > month_calendar.monthrange(day.year, day.month)[1]:
        positions.add(-1)
    return positions


def _nth_weekday(year: int, month: int, weekday: int, position: int) -> dt.date:
    if position > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (position - 1))
    last = dt.date(year, month, month_calendar.monthrange(year, month)[1])
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


@dataclass
class _Rule:
    """Transitions of one shape in consecutive years that one BYDAY position describes."""

    members: list[Transition]
    positions: set[int]

    def accepts(self, transition: Transition) -> bool:
        last = self.members[-1]
        return (
            transition.shape() == last.shape()
            and transition.onset.year == last.onset.year + 1
            and bool(self.positions & _positions(transition.onset.date()))
        )

    @property
    def position(self) -> int:
        return -1 if -1 in self.positions else min(self.positions)


def _rules(found: list[Transition]) -> list[_Rule]:
    open_by_shape: dict[tuple[object, ...], _Rule] = {}
    rules: list[_Rule] = []
    for transition in found:
        rule = open_by_shape.get(transition.shape())
        if rule is not None and rule.accepts(transition):
            rule.members.append(transition)
            rule.positions &= _positions(transition.onset.date())
            continue
        rule = _Rule(members=[transition], positions=_positions(transition.onset.date()))
        open_by_shape[transition.shape()] = rule
        rules.append(rule)
    return rules


def _fmt_offset(offset: dt.timedelta) -> str:
    seconds = int(offset.total_seconds())
    sign = "+" if seconds >= 0 else "-"
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{secs:02d}" if secs else "")


def _observance(
    kind: str,
    *,
    onset: dt.datetime,
    before: dt.timedelta,
    after: dt.timedelta,
    name: str,
    rrule: str = "",
) -> list[str]:
    lines = [
        f"BEGIN:{kind}",
        f"DTSTART:{onset:%Y%m%dT%H%M%S}",
    ]
    if rrule:
        lines.append(f"RRULE:{rrule}")
    if name:
        lines.append(f"TZNAME:{name}")
    lines += [
        f"TZOFFSETFROM:{_fmt_offset(before)}",
        f"TZOFFSETTO:{_fmt_offset(after)}",
        f"END:{kind}",
    ]
    return lines


@functools.lru_cache(maxsize=512)
def vtimezone_text(name: str, first_year: int, last_year: int) -> str:
    """The VTIMEZONE of `name`, right for every instant of the years first_year..last_year and,
    for the rules still in force at the end, for every year after."""
    tz = zoneinfo.ZoneInfo(name)
    start = dt.datetime(first_year, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(last_year + 1, 1, 1, tzinfo=dt.UTC)
    found = transitions(tz, start, end)
    rules = _rules(found)

    lines = ["BEGIN:VTIMEZONE", f"TZID:{name}"]
    # The first rule of each shape goes back to 1970 when every shape is a confirmed yearly rule
    # from the first year on (the common case: one spring and one autumn rule).
    firsts = {r.members[0].shape(): r for r in reversed(rules)}
    back_to_epoch = bool(firsts) and all(
        len(r.members) > 1 and r.members[0].onset.year == first_year for r in firsts.values()
    )
    if not back_to_epoch:
        offset, abbreviation = _state(tz, start)
        lines += _observance(
            "STANDARD",
            onset=dt.datetime(EPOCH_YEAR, 1, 1),
            before=offset,
            after=offset,
            name=abbreviation,
        )
    for rule in rules:
        first, last = rule.members[0], rule.members[-1]
        onset = first.onset
        if len(rule.members) == 1:
            # A one-off change: an observance of its own, no recurrence.
            lines += _observance(
                first.kind, onset=onset, before=first.before, after=first.after, name=first.name
            )
            continue
        weekday = onset.weekday()
        position = rule.position
        if back_to_epoch and firsts.get(first.shape()) is rule:
            day = _nth_weekday(EPOCH_YEAR, onset.month, weekday, position)
            onset = dt.datetime.combine(day, onset.time())
        parts = [f"FREQ=YEARLY;BYMONTH={onset.month};BYDAY={position}{WEEKDAYS[weekday]}"]
        if last.onset.year < last_year:
            parts.append(f"UNTIL={last.at:%Y%m%dT%H%M%SZ}")
        lines += _observance(
            first.kind,
            onset=onset,
            before=first.before,
            after=first.after,
            name=first.name,
            rrule=";".join(parts),
        )
    lines.append("END:VTIMEZONE")
    return "\r\n".join(lines) + "\r\n"


def vtimezone(name: str, first_year: int, last_year: int) -> Timezone:
    """A fresh component (callers add it to their own calendar)."""
    component = Timezone.from_ical(vtimezone_text(name, first_year, last_year))
    assert isinstance(component, Timezone)
    return component
