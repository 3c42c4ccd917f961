"""Reads for notifications that know no domain: how a moment reads in the recipient's time
zone, when "Monday morning" has come for a weekly message, and whether a dedupe key is queued."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence

from django.db.models import CharField, Exists, F, Value
from django.db.models.functions import Cast, Concat

from twoway.notifications.models import OutboxMessage

# As notify_many's chunks: well within every database's bind-parameter limit.
KEYS_PER_SELECT = 1000
# Weekly messages (digest, program summary) go out from Monday at this hour, local time.
WEEKLY_HOUR = 8


def _zone(tz_name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(tz_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local_when(moment: dt.datetime, tz_name: str) -> str:
    """'Tuesday 14 May, 10:00 (Europe/Berlin)' in the reader's own time zone."""
    local = moment.astimezone(_zone(tz_name))
    return f"{local:%A} {local.day} {local:%B}, {local:%H:%M} ({tz_name})"


def week_started(now: dt.datetime, tz_name: str) -> str | None:
    """The ISO week ('2026-W21') when it is past Monday 08:00 in `tz_name`, else None.

    Every day of the week after that qualifies, so a worker that was down on Monday still sends
    the week's message later (once: the week is in the dedupe key)."""
    local = now.astimezone(_zone(tz_name))
    if local.weekday() == 0 and local.hour < WEEKLY_HOUR:
        return None
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def queued(*parts: str | F) -> Exists:
    """SQL for "the outbox holds a message of this dedupe key": the key spelt from literal text
    and columns of the row being filtered, e.g. `queued("fit-check:", OuterRef("partnership_id"),
    ":", OuterRef("person_id"))`. A reminder job leaves out in its query what it queued on an
    earlier run, so a run with nothing new to say reads little. Each key is one probe of the
    outbox's unique dedupe-key index; notify() and notify_many() stay the guard."""
    pieces = [Value(p) if isinstance(p, str) else Cast(p, CharField()) for p in parts]
    return Exists(
        OutboxMessage.objects.filter(dedupe_key=Concat(*pieces, output_field=CharField()))
    )


def queued_keys(keys: Sequence[str]) -> set[str]:
    """Which of `keys` the outbox holds already, a thousand per SELECT: a job whose dedupe key
    the query cannot spell (it names a moment) reads the few columns that make its keys, asks
    this, and loads only the items with something new to say."""
    found: set[str] = set()
    for start in range(0, len(keys), KEYS_PER_SELECT):
        found.update(
            OutboxMessage.objects.filter(
                dedupe_key__in=keys[start : start + KEYS_PER_SELECT]
            ).values_list("dedupe_key", flat=True)
        )
    return found
