"""Weekly recurrence in a time zone, computed the way RFC 5545 does it.

An occurrence is the same wall-clock time on the same weekday in the series' time zone, so the
UTC instant shifts by an hour across a daylight-saving change. A wall-clock time that does not
exist on a given day (inside the spring-forward gap) takes the offset from before the gap, as
RFC 5545 section 3.3.5 says; zoneinfo with fold=0 does exactly that.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

# Only a guard against a runaway end date: ten years of weekly check-ins, far above the longest
# program term (104 weeks), so no real series is ever cut short.
MAX_OCCURRENCES = 10 * 53
DEFAULT_HORIZON_WEEKS = 26


def first_slot(
    *, weekday: int, local_time: dt.time, tz: zoneinfo.ZoneInfo, not_before: dt.datetime
) -> dt.datetime:
    """The first (weekday, local_time) in `tz` at or after `not_before` (aware), in UTC."""
    day = not_before.astimezone(tz).date()
    day += dt.timedelta(days=(weekday - day.weekday()) % 7)
    start = dt.datetime.combine(day, local_time, tzinfo=tz)
    if start < not_before:
        start = dt.datetime.combine(day + dt.timedelta(weeks=1), local_time, tzinfo=tz)
    return start.astimezone(dt.UTC)


def weekly_starts(
    *,
    first: dt.datetime,
    local_time: dt.time,
    tz: zoneinfo.ZoneInfo,
    every_weeks: int,
    until: dt.datetime,
) -> list[dt.datetime]:
    """Every `every_weeks` weeks from `first` (aware) up to `until` (inclusive), in UTC."""
    day = first.astimezone(tz).date()
    starts: list[dt.datetime] = []
    while len(starts) < MAX_OCCURRENCES:
        start = dt.datetime.combine(day, local_time, tzinfo=tz).astimezone(dt.UTC)
        if start > until:
            break
        starts.append(start)
        day += dt.timedelta(weeks=every_weeks)
    return starts


def series_until(
    *, first: dt.datetime, ends_on: dt.date | None, tz: zoneinfo.ZoneInfo
) -> dt.datetime:
    """The last moment an occurrence may start: the end of the partnership's term, or a
    default horizon for open-ended partnerships (extended when the schedule is set again)."""
    if ends_on is not None:
        end = dt.datetime.combine(ends_on, dt.time(23, 59, 59), tzinfo=tz).astimezone(dt.UTC)
        if end > first:
            return end
    return first + dt.timedelta(weeks=DEFAULT_HORIZON_WEEKS)
