"""Fill the insight tables from the raw rows (the job and the backfill; never a page view).

`refresh_org(org, start=…, end=…)` recomputes the daily counts of every day in [start, end],
every program's snapshot as of now (the declared metrics of `twoway.insights.metrics`) and
publishes what the release rules allow (`twoway.insights.release`), idempotently, in one
transaction. `insights_refresh(now)` is the hourly job: yesterday and today for every
organization with a program. `twoway insights_backfill` runs it over the whole history, or for
chosen metrics only. Its query count depends on the number of programs, never on the number of
people; all per-person work is NumPy over a few columns.

Definitions (also printed on the dashboard):
- a partnership *happened* when its status is active, completed or ended early;
- eligible = active people the program admits today, plus anyone who ever enrolled;
- on cadence = in an active partnership that held a check-in in the last 30 days (or within
  its cadence when that is longer);
- wellbeing: per person, the first partnership of the program where they answered the pulse
  both "at the start" (the latest answer from 60 days before to 14 days after it started) and
  "after 2+ months" (the first answer at least 60 days after it started); the change is
  after - before, one pair of answers per person;
- retention: time since hire, with participation as a time-varying group (Simon & Makuch):
  someone counts as a non-participant from hire until their first partnership in the program
  starts and as a participant from then on (delayed entry), so participants get no credit for
  the time they had to stay to be able to join.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

from twoway.accounts.models import Organization
from twoway.feedback.models import FitCheck, PulseResponse
from twoway.goals.models import Goal, GoalEvent, GoalEventKind, GoalStatus
from twoway.insights import metrics, release
from twoway.insights.metrics import (
    HAPPENED,
    PULSE_ITEMS,
    SNAPSHOT_VERSION,
    Loaded,
)
from twoway.insights.metrics import day_of as _day
from twoway.insights.metrics import org_tz as _tz
from twoway.insights.models import DailyCount, ProgramSnapshot
from twoway.meetings.models import CheckIn, CheckinStatus
from twoway.programs.models import (
    Enrolment,
    MatchRequest,
    Partnership,
    PartnershipMember,
    PartnershipStatus,
    Program,
    RequestStatus,
)

__all__ = ["HAPPENED", "PULSE_ITEMS", "insights_refresh", "refresh_org", "run_job"]


def _ordinal(days: Iterable[dt.date | None]) -> np.ndarray:
    """Dates as day numbers; a missing date is 'never' (a very large number)."""
    return np.array([d.toordinal() if d else 10**7 for d in days], dtype=np.int64)


def _open_intervals(starts: np.ndarray, ends: np.ndarray, days: np.ndarray) -> np.ndarray:
    """For each day d: how many intervals have start ≤ d < end."""
    s = np.sort(starts)
    e = np.sort(ends)
    return np.searchsorted(s, days, side="right") - np.searchsorted(e, days, side="right")


class _Counts:
    def __init__(self) -> None:
        self.rows: dict[tuple[int, dt.date, str, str], int] = defaultdict(int)

    def add(
        self, program_id: int, day: dt.date | None, metric: str, sub: str = "", n: int = 1
    ) -> None:
        if day is not None:
            self.rows[(program_id, day, metric, sub)] += n


# --- daily counts ----------------------------------------------------------------------------


def daily_counts(
    org: Organization, start: dt.date, end: dt.date, programs: list[Program]
) -> dict[tuple[int, dt.date, str, str], int]:
    tz = _tz(org)
    counts = _Counts()
    in_window = lambda d: d is not None and start <= d <= end  # noqa: E731
    lo = dt.datetime.combine(start - dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)
    hi = dt.datetime.combine(end + dt.timedelta(days=2), dt.time(0), tzinfo=dt.UTC)
    days = np.arange(start.toordinal(), end.toordinal() + 1)
    program_ids = [p.pk for p in programs]

    # Snapshots: enrolment intervals, matched people, active pairs (over the whole history).
    enrol = defaultdict(list)
    for program_id, created, withdrawn in Enrolment.objects.filter(
        program_id__in=program_ids
    ).values_list("program_id", "created", "withdrawn_at"):
        enrol[program_id].append((_day(created, tz), _day(withdrawn, tz)))
    pairs: dict[int, list[tuple[dt.date | None, dt.date | None]]] = defaultdict(list)
    partnership_program = {}
    for pk, program_id, started, ended in Partnership.objects.filter(
        program_id__in=program_ids, status__in=HAPPENED
    ).values_list("pk", "program_id", "started_on", "ended_at"):
        start_day = started
        pairs[program_id].append((start_day, _day(ended, tz)))
        partnership_program[pk] = program_id
    first_match: dict[tuple[int, int], dt.date] = {}
    for program_id, person_id, started in PartnershipMember.objects.filter(
        partnership__program_id__in=program_ids,
        partnership__status__in=HAPPENED,
        partnership__started_on__isnull=False,
    ).values_list("partnership__program_id", "person_id", "partnership__started_on"):
        key = (program_id, person_id)
        if started is None:
            continue
        if key not in first_match or started < first_match[key]:
            first_match[key] = started
    matched_days: dict[int, list[dt.date]] = defaultdict(list)
    for (program_id, _), started in first_match.items():
        matched_days[program_id].append(started)
    for program_id in program_ids:
        rows = enrol.get(program_id, [])
        series = {
            "enrolled": _open_intervals(
                _ordinal(r[0] for r in rows), _ordinal(r[1] for r in rows), days
            ),
            "matched": np.searchsorted(
                np.sort(_ordinal(matched_days.get(program_id, []))), days, side="right"
            ),
            "active_pairs": _open_intervals(
                _ordinal(r[0] for r in pairs.get(program_id, [])),
                _ordinal(r[1] for r in pairs.get(program_id, [])),
                days,
            ),
        }
        for metric, values in series.items():
            for day_number, v in zip(days, values, strict=True):
                if v:
                    counts.add(program_id, dt.date.fromordinal(int(day_number)), metric, n=int(v))

    # Flows inside the window.
    for program_id, status, at in CheckIn.objects.filter(
        partnership__program_id__in=program_ids,
        status__in=(CheckinStatus.HELD, CheckinStatus.MISSED),
        scheduled_start__gte=lo,
        scheduled_start__lt=hi,
    ).values_list("partnership__program_id", "status", "scheduled_start"):
        d = _day(at, tz)
        if in_window(d):
            counts.add(program_id, d, f"checkins_{status}")
    for program_id, first in (
        CheckIn.objects.filter(partnership__program_id__in=program_ids, status=CheckinStatus.HELD)
        .values("partnership_id", "partnership__program_id")
        .annotate(first=Min("scheduled_start"))
        .filter(first__gte=lo, first__lt=hi)
        .values_list("partnership__program_id", "first")
    ):
        d = _day(first, tz)
        if in_window(d):
            counts.add(program_id, d, "first_checkins")
    for program_id, created in Goal.objects.filter(
        partnership__program_id__in=program_ids, created__gte=lo, created__lt=hi
    ).values_list("partnership__program_id", "created"):
        d = _day(created, tz)
        if in_window(d):
            counts.add(program_id, d, "goals_set")
    for program_id, at in (
        GoalEvent.objects.filter(
            goal__partnership__program_id__in=program_ids,
            goal__status=GoalStatus.ACHIEVED,
            kind=GoalEventKind.STATUS,
        )
        .values("goal_id", "goal__partnership__program_id")
        .annotate(at=Max("created"))
        .filter(at__gte=lo, at__lt=hi)
        .values_list("goal__partnership__program_id", "at")
    ):
        d = _day(at, tz)
        if in_window(d):
            counts.add(program_id, d, "goals_achieved")
    for program_id, status, created, responded in (
        MatchRequest.objects.filter(program_id__in=program_ids)
        .filter(Q(created__gte=lo, created__lt=hi) | Q(responded_at__gte=lo, responded_at__lt=hi))
        .values_list("program_id", "status", "created", "responded_at")
    ):
        d = _day(created, tz)
        if in_window(d):
            counts.add(program_id, d, "requests_sent")
        d = _day(responded, tz)
        if status == RequestStatus.ACCEPTED and in_window(d):
            counts.add(program_id, d, "requests_accepted")
    for program_id, status, ended in Partnership.objects.filter(
        program_id__in=program_ids,
        status__in=(PartnershipStatus.COMPLETED, PartnershipStatus.ENDED),
        ended_at__gte=lo,
        ended_at__lt=hi,
    ).values_list("program_id", "status", "ended_at"):
        d = _day(ended, tz)
        if in_window(d):
            metric = "completed" if status == PartnershipStatus.COMPLETED else "ended_early"
            counts.add(program_id, d, metric)
    # How many answered, never what: a day's count split by answer would be one person's
    # answer on a quiet day, in a table any future reader of these rows could see.
    for program_id, created in FitCheck.objects.filter(
        partnership__program_id__in=program_ids, created__gte=lo, created__lt=hi
    ).values_list("partnership__program_id", "created"):
        d = _day(created, tz)
        if in_window(d):
            counts.add(program_id, d, "fit_checks")
    for program_id, created in PulseResponse.objects.filter(
        partnership__program_id__in=program_ids, created__gte=lo, created__lt=hi
    ).values_list("partnership__program_id", "created"):
        d = _day(created, tz)
        if in_window(d):
            counts.add(program_id, d, "pulse_answers")
    return dict(counts.rows)


# --- writing ---------------------------------------------------------------------------------


def refresh_org(
    org: Organization,
    *,
    start: dt.date,
    end: dt.date,
    now: dt.datetime | None = None,
    snapshots: bool = True,
    only: Iterable[str] | None = None,
) -> int:
    """Recompute [start, end] (and the snapshots, then publish); returns how many daily rows
    were written. `only`: recompute these metrics of the snapshots and leave the others."""
    now = now or timezone.now()
    today = now.astimezone(_tz(org)).date()
    programs = list(
        Program.objects.filter(organization=org).prefetch_related("eligible_departments")
    )
    rows = daily_counts(org, start, end, programs)
    totals: dict[tuple[dt.date, str, str], int] = defaultdict(int)
    for (_, day, metric, sub), value in rows.items():
        totals[(day, metric, sub)] += value
    objects = [
        DailyCount(
            organization=org, program_id=pid, day=day, metric=metric, subgroup=sub, value=value
        )
        for (pid, day, metric, sub), value in rows.items()
    ] + [
        DailyCount(organization=org, program=None, day=day, metric=metric, subgroup=sub, value=v)
        for (day, metric, sub), v in totals.items()
    ]
    loaded = Loaded(org, programs, today, now)
    names = list(only) if only is not None else None
    snaps: dict[int, dict[str, Any]] = {}
    if snapshots:
        stored: dict[int, Any] = {}
        if names is not None:
            stored = dict(
                ProgramSnapshot.objects.filter(program__in=programs).values_list(
                    "program_id", "data"
                )
            )
        for program in programs:
            old = stored.get(program.pk) or {}
            if names is not None and old.get("version") == SNAPSHOT_VERSION:
                data = {**old, **metrics.snapshot(loaded, program, names)}
            else:
                # Everything: a full refresh, or a snapshot of an older shape.
                data = metrics.snapshot(loaded, program)
            snaps[program.pk] = {**data, "version": SNAPSHOT_VERSION}
    with transaction.atomic():
        DailyCount.objects.filter(organization=org, day__gte=start, day__lte=end).delete()
        DailyCount.objects.bulk_create(objects, batch_size=2000)
        for program_id, data in snaps.items():
            ProgramSnapshot.objects.update_or_create(
                program_id=program_id,
                defaults={"organization": org, "as_of": today, "computed_at": now, "data": data},
            )
        if snapshots:
            release.publish_org(org, loaded, programs, snaps, now, only=names)
    return len(objects)


def insights_refresh(now: dt.datetime) -> int:
    """The hourly job: yesterday and today for every organization with a program, then the
    publications the release rules allow."""
    for org in Organization.objects.filter(programs__isnull=False).distinct():
        today = now.astimezone(_tz(org)).date()
        refresh_org(org, start=today - dt.timedelta(days=1), end=today, now=now)
    return 0


# The worker's entry point until the jobs registry calls `insights_refresh` by its own name.
run_job = insights_refresh
