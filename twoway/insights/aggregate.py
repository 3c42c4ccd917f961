"""Fill the insight tables from the raw rows (the job and the backfill; never a page view).

`refresh_org(org, start=…, end=…)` recomputes the daily counts of every day in [start, end] and
every program's snapshot as of today, idempotently (delete the range, insert it again, in one
transaction). The worker runs it for yesterday and today each hour; `twoway insights_backfill`
runs it over the whole history. Its query count depends on the number of programs, never on
the number of people; all per-person work is NumPy over a few columns.

Definitions (also printed on the dashboard):
- a partnership *happened* when its status is active, completed or ended early;
- eligible = active people the program admits today, plus anyone who ever enrolled;
- on cadence = in an active partnership that held a check-in in the last 30 days (or within
  its cadence when that is longer);
- wellbeing: per person, the first partnership of the program where they answered the pulse
  both "at the start" (the latest answer from 60 days before to 14 days after it started) and
  "after 2+ months" (the latest answer at least 60 days after it started); the change is
  after - before, one pair of answers per person;
- retention: time since hire, with participation as a time-varying group (Simon & Makuch):
  someone counts as a non-participant from hire until their first partnership in the program
  starts and as a participant from then on (delayed entry), so participants get no credit for
  the time they had to stay to be able to join.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from twoway.accounts.models import Organization
from twoway.feedback.models import FitCheck, PulseResponse
from twoway.goals.models import Goal, GoalEvent, GoalEventKind, GoalStatus
from twoway.insights import stats
from twoway.insights.models import ClosingSurvey, DailyCount, ProgramSnapshot
from twoway.meetings.models import CheckIn, CheckinStatus
from twoway.people.models import Person
from twoway.programs.models import (
    Enrolment,
    MatchRequest,
    Partnership,
    PartnershipMember,
    PartnershipStatus,
    Program,
    RequestStatus,
)

PULSE_ITEMS = ("belonging", "stress", "confidence", "energy")
HAPPENED = (PartnershipStatus.ACTIVE, PartnershipStatus.COMPLETED, PartnershipStatus.ENDED)
BASELINE_BEFORE = dt.timedelta(days=60)
BASELINE_AFTER = dt.timedelta(days=14)
FOLLOW_UP_AFTER = dt.timedelta(days=60)
ON_CADENCE_DAYS = 30
STALLED_AFTER_CADENCES = 3.0  # as notifications.selectors.STALLED_AFTER_CADENCES
STALLED_LIST_MAX = 50
FIRST_CHECKIN_BINS = [(0, 7, "within a week"), (8, 14, "8–14 days"), (15, 30, "15–30 days")]
FIRST_CHECKIN_BINS += [(31, 60, "31–60 days"), (61, 10**6, "over 60 days")]
OWN_WORDS = "In their own words"
SNAPSHOT_VERSION = 1


def _tz(org: Organization) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(org.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _day(moment: dt.datetime | None, tz: dt.tzinfo) -> dt.date | None:
    return None if moment is None else moment.astimezone(tz).date()


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
    for program_id, answer, created in FitCheck.objects.filter(
        partnership__program_id__in=program_ids, created__gte=lo, created__lt=hi
    ).values_list("partnership__program_id", "answer", "created"):
        d = _day(created, tz)
        if in_window(d):
            counts.add(program_id, d, "fit_checks", answer)
    for row in PulseResponse.objects.filter(
        partnership__program_id__in=program_ids, created__gte=lo, created__lt=hi
    ).values_list("partnership__program_id", "created", *PULSE_ITEMS):
        d = _day(row[1], tz)
        if in_window(d):
            counts.add(row[0], d, "pulse_answers")
            for item, value in zip(PULSE_ITEMS, row[2:], strict=True):
                counts.add(row[0], d, f"pulse_{item}", str(value))
    return dict(counts.rows)


# --- snapshots -------------------------------------------------------------------------------


def _eligible_people(program: Program, today: dt.date) -> Any:
    qs = Person.objects.filter(organization_id=program.organization_id, is_active=True)
    if program.invite_only:
        qs = qs.filter(program_invitations=program)
    if program.eligible_levels:
        qs = qs.filter(level__in=program.eligible_levels)
    departments = [d.pk for d in program.eligible_departments.all()]
    if departments:
        qs = qs.filter(department_id__in=departments)
    if program.min_tenure_days is not None:
        qs = qs.filter(hire_date__lte=today - dt.timedelta(days=program.min_tenure_days))
    if program.max_tenure_days is not None:
        qs = qs.filter(hire_date__gte=today - dt.timedelta(days=program.max_tenure_days))
    return qs


def _histogram(values: Iterable[int], lo: int, hi: int) -> list[int]:
    c = Counter(values)
    return [c.get(v, 0) for v in range(lo, hi + 1)]


def _wellbeing(
    members: list[tuple[int, dt.date, dt.date | None]],
    pulses: dict[int, list[tuple[dt.datetime, tuple[int, ...]]]],
) -> dict[str, Any]:
    """Sufficient statistics of the paired change per item (module doc for the pairing)."""
    sums: dict[str, dict[str, Any]] = {
        item: {
            "n": 0,
            "sum_before": 0,
            "sum_after": 0,
            "sum_d": 0,
            "sum_d2": 0,
            "before": [0] * 5,
            "after": [0] * 5,
            "change": [0] * 9,
        }
        for item in PULSE_ITEMS
    }
    done: set[int] = set()
    for person_id, started, _ended in sorted(members, key=lambda m: (m[1], m[0])):
        if person_id in done or person_id not in pulses:
            continue
        start = dt.datetime.combine(started, dt.time(0), tzinfo=dt.UTC)
        before = [
            s
            for when, s in pulses[person_id]
            if start - BASELINE_BEFORE <= when <= start + BASELINE_AFTER
        ]
        after = [s for when, s in pulses[person_id] if when >= start + FOLLOW_UP_AFTER]
        if not before or not after:
            continue
        done.add(person_id)
        b, a = before[-1], after[-1]
        for i, item in enumerate(PULSE_ITEMS):
            d = a[i] - b[i]
            row = sums[item]
            row["n"] += 1
            row["sum_before"] += b[i]
            row["sum_after"] += a[i]
            row["sum_d"] += d
            row["sum_d2"] += d * d
            row["before"][b[i] - 1] += 1
            row["after"][a[i] - 1] += 1
            row["change"][d + 4] += 1
    return sums


def _km_points(curve: stats.KMCurve, step_days: int = 7) -> list[list[float]]:
    """The curve thinned to one point per week (the last event of each week), each point
    [day, survival, low, high, at risk just before it]."""
    points: dict[int, list[float]] = {}
    for t, s, lo, hi, n in zip(
        curve.times, curve.survival, curve.low, curve.high, curve.at_risk, strict=True
    ):
        bucket = int(t) // step_days
        if bucket not in points:
            points[bucket] = [float(t), 0, 0, 0, int(n)]
        points[bucket][1:4] = [round(float(s), 4), round(float(lo), 4), round(float(hi), 4)]
        points[bucket][0] = float(t)
    return list(points.values())


def _retention(
    people: list[tuple[int, dt.date, dt.date | None]],
    joined: dict[int, dt.date],
    today: dt.date,
) -> dict[str, Any]:
    entry_p: list[float] = []
    exit_p: list[float] = []
    event_p: list[bool] = []
    entry_o: list[float] = []
    exit_o: list[float] = []
    event_o: list[bool] = []

    def other(entry: float, exit_: float, event: bool) -> None:
        entry_o.append(entry)
        exit_o.append(exit_)
        event_o.append(event)

    for person_id, hired, left in people:
        end = left or today
        tenure = (end - hired).days
        if tenure <= 0:
            continue
        left_flag = left is not None
        start = joined.get(person_id)
        if start is None:
            other(0, tenure, left_flag)
            continue
        at_join = (start - hired).days
        if at_join >= tenure:
            # Joined on or after the day they left (or today): no time as a participant.
            other(0, tenure, left_flag)
            continue
        if at_join > 0:
            other(0, at_join, False)
        entry_p.append(max(at_join, 0))
        exit_p.append(tenure)
        event_p.append(left_flag)
    result: dict[str, Any] = {
        "participants": len(entry_p),
        "others": sum(1 for person_id, _, _ in people if person_id not in joined),
        "events": {"participants": int(sum(event_p)), "others": int(sum(event_o))},
        "curves": {},
        "at_risk": {},
    }
    horizon = max(exit_p + exit_o, default=0)
    years = list(range(0, int(horizon // 365.25) + 1))
    result["years"] = years
    for name, (entry, exit_, event) in {
        "participants": (entry_p, exit_p, event_p),
        "others": (entry_o, exit_o, event_o),
    }.items():
        if not exit_:
            result["curves"][name] = []
            result["at_risk"][name] = [0 for _ in years]
            continue
        curve = stats.kaplan_meier(exit_, event, entry)
        # Event points, plus one point a month so a curve without events still shows how long
        # its group is followed (and the page can stop it where too few are left).
        months = np.arange(30.0, max(exit_) + 1, 30.0)
        n_months = stats.at_risk(months, np.asarray(exit_, float), np.asarray(entry, float))
        monthly = [
            [
                float(t),
                round(curve.at(t), 4),
                *map(lambda v: round(v, 4), curve.interval_at(t)),
                int(n),
            ]
            for t, n in zip(months, n_months, strict=True)
        ]
        result["curves"][name] = sorted(_km_points(curve) + monthly, key=lambda p: p[0])
        grid = np.array([max(y * 365.25, 0.5) for y in years])
        n = stats.at_risk(grid, np.asarray(exit_, float), np.asarray(entry, float))
        result["at_risk"][name] = [int(x) for x in n]
        result.setdefault("survival_at", {})[name] = [round(curve.at(g), 4) for g in grid]
    if exit_p and exit_o:
        test = stats.logrank(exit_p, event_p, exit_o, event_o, entry_p, entry_o)
        result["logrank"] = {
            "statistic": round(test.statistic, 4),
            "p_value": test.p_value,
            "observed": list(test.observed),
            "expected": [round(x, 2) for x in test.expected],
        }
    return result


def program_snapshots(
    org: Organization, programs: list[Program], today: dt.date, now: dt.datetime
) -> dict[int, dict[str, Any]]:
    tz = _tz(org)
    program_ids = [p.pk for p in programs]
    out: dict[int, dict[str, Any]] = {}

    partnerships = list(
        Partnership.objects.filter(program_id__in=program_ids, status__in=HAPPENED)
        .annotate(
            first_held=Min("checkins__scheduled_start", filter=Q(checkins__status="held")),
            last_held=Max("checkins__scheduled_start", filter=Q(checkins__status="held")),
        )
        .values_list(
            "pk",
            "program_id",
            "status",
            "started_on",
            "ended_at",
            "first_held",
            "last_held",
            "created",
        )
    )
    recent = dict(
        CheckIn.objects.filter(
            partnership__program_id__in=program_ids,
            partnership__status=PartnershipStatus.ACTIVE,
            status=CheckinStatus.HELD,
            scheduled_start__gte=now - dt.timedelta(days=max(ON_CADENCE_DAYS, 7 * 12)),
            scheduled_start__lte=now,
        )
        .values("partnership_id")
        .annotate(last=Max("scheduled_start"))
        .values_list("partnership_id", "last")
    )
    members: dict[int, list[int]] = defaultdict(list)
    fit_ratings: dict[int, list[int]] = defaultdict(list)
    for partnership_id, program_id, person_id, rating in PartnershipMember.objects.filter(
        partnership__program_id__in=program_ids
    ).values_list("partnership_id", "partnership__program_id", "person_id", "fit_rating"):
        members[partnership_id].append(person_id)
        if rating is not None:
            fit_ratings[program_id].append(rating)
    enrolled: dict[int, set[int]] = defaultdict(set)
    for program_id, person_id in Enrolment.objects.filter(program_id__in=program_ids).values_list(
        "program_id", "person_id"
    ):
        enrolled[program_id].add(person_id)
    involved = set().union(*enrolled.values(), *members.values()) if program_ids else set()
    person_info = {
        pk: (dept or "No department", level)
        for pk, dept, level in Person.objects.filter(organization=org)
        .filter(
            Q(enrolments__program_id__in=program_ids)
            | Q(partnership_memberships__partnership__program_id__in=program_ids)
        )
        .distinct()
        .values_list("pk", "department__name", "level")
    }
    pulses: dict[int, list[tuple[dt.datetime, tuple[int, ...]]]] = defaultdict(list)
    for row in (
        (
            PulseResponse.objects.filter(person__organization=org, person_id__in=list(involved))
            if len(involved) < 20000
            else PulseResponse.objects.filter(person__organization=org)
        )
        .order_by("created", "id")
        .values_list("person_id", "created", *PULSE_ITEMS)
    ):
        if row[0] in involved:
            pulses[row[0]].append((row[1], tuple(row[2:])))
    goals: dict[int, Counter[tuple[str, str]]] = defaultdict(Counter)
    for program_id, template, status in Goal.objects.filter(
        partnership__program_id__in=program_ids
    ).values_list("partnership__program_id", "template", "status"):
        goals[program_id][(template or OWN_WORDS, status)] += 1
    fits: dict[int, Counter[str]] = defaultdict(Counter)
    for program_id, answer, n in (
        FitCheck.objects.filter(partnership__program_id__in=program_ids)
        .values("partnership__program_id", "answer")
        .annotate(n=Count("id"))
        .values_list("partnership__program_id", "answer", "n")
    ):
        fits[program_id][answer] = n
    recommend: dict[int, list[int]] = defaultdict(list)
    for program_id, value in ClosingSurvey.objects.filter(
        partnership__program_id__in=program_ids
    ).values_list("partnership__program_id", "recommend"):
        recommend[program_id].append(value)
    people: list[tuple[int, dt.date, dt.date | None]] = [
        (pk, hired, left)
        for pk, hired, left in Person.objects.filter(
            organization=org, hire_date__isnull=False
        ).values_list("pk", "hire_date", "left_on")
        if hired is not None
    ]
    eligible_now = {
        p.pk: set(_eligible_people(p, today).values_list("pk", flat=True)) for p in programs
    }

    by_program: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in partnerships:
        by_program[row[1]].append(row)
    for program in programs:
        rows = by_program.get(program.pk, [])
        cadence_days = 7 * program.checkin_every_weeks
        window = dt.timedelta(days=max(ON_CADENCE_DAYS, cadence_days))
        matched: set[int] = set()
        met: set[int] = set()
        on_cadence: set[int] = set()
        first_days: list[int] = []
        not_met = 0
        stalled: list[tuple[int, int]] = []
        joined: dict[int, dt.date] = {}
        wellbeing_members: list[tuple[int, dt.date, dt.date | None]] = []
        for pk, _, status, started, ended, first_held, last_held, created in rows:
            people_here = members.get(pk, [])
            matched.update(people_here)
            start_day = started or _day(created, tz)
            for person_id in people_here:
                if start_day and (person_id not in joined or start_day < joined[person_id]):
                    joined[person_id] = start_day
                if start_day:
                    wellbeing_members.append((person_id, start_day, _day(ended, tz)))
            if first_held is not None:
                met.update(people_here)
                if start_day:
                    first_days.append(
                        max(0, ((_day(first_held, tz) or start_day) - start_day).days)
                    )
            else:
                not_met += 1
            if status == PartnershipStatus.ACTIVE:
                last = recent.get(pk)
                if last is not None and now - last <= window:
                    on_cadence.update(people_here)
                base = last_held or (
                    dt.datetime.combine(start_day, dt.time(0), tzinfo=dt.UTC)
                    if start_day
                    else created
                )
                if now - base > dt.timedelta(days=cadence_days * STALLED_AFTER_CADENCES):
                    stalled.append((pk, (now - base).days))
        stalled.sort(key=lambda s: -s[1])
        ever_enrolled = enrolled.get(program.pk, set()) | matched
        eligible = eligible_now.get(program.pk, set()) | ever_enrolled
        first = np.array(first_days) if first_days else None
        # Breakdowns of everyone who enrolled, by where they stand.
        stages = ("Waiting to be matched", "Matched, not met yet", "Met at least once")
        by_dept: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        by_level: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for person_id in ever_enrolled:
            stage = 2 if person_id in met else 1 if person_id in matched else 0
            dept, level = person_info.get(person_id, ("No department", None))
            by_dept[dept][stage] += 1
            by_level[org.level_label(level) or "No level"][stage] += 1
        ladder = {label: i for i, label in enumerate(org.level_ladder)}
        template_order = [*list(program.goal_templates or []), OWN_WORDS]
        goal_rows = sorted(
            {t for t, _ in goals[program.pk]},
            key=lambda t: (template_order.index(t) if t in template_order else 99, t),
        )
        statuses = [GoalStatus.ACHIEVED, GoalStatus.ACTIVE, GoalStatus.DROPPED]
        out[program.pk] = {
            "version": SNAPSHOT_VERSION,
            "funnel": {
                "eligible": len(eligible),
                "enrolled": len(ever_enrolled),
                "matched": len(matched),
                "first_checkin": len(met),
                "on_cadence": len(on_cadence),
            },
            "time_to_first": {
                "pairs_met": 0 if first is None else len(first),
                "pairs_not_met": not_met,
                "median": None if first is None else float(np.median(first)),
                "p25": None if first is None else float(np.percentile(first, 25)),
                "p75": None if first is None else float(np.percentile(first, 75)),
                "bins": [
                    [label, 0 if first is None else int(((first >= a) & (first <= b)).sum())]
                    for a, b, label in FIRST_CHECKIN_BINS
                ],
            },
            "stalled": stalled[:STALLED_LIST_MAX],
            "stalled_total": len(stalled),
            "goals": {
                "rows": goal_rows,
                "cols": [s.label for s in statuses],
                "cells": [[goals[program.pk][(t, s)] for s in statuses] for t in goal_rows],
            },
            "by_department": {
                "rows": sorted(by_dept),
                "cols": list(stages),
                "cells": [by_dept[k] for k in sorted(by_dept)],
            },
            "by_level": {
                "rows": sorted(by_level, key=lambda x: (ladder.get(x, 99), x)),
                "cols": list(stages),
                "cells": [
                    by_level[k] for k in sorted(by_level, key=lambda x: (ladder.get(x, 99), x))
                ],
            },
            "wellbeing": _wellbeing(wellbeing_members, pulses),
            "retention": _retention(people, joined, today),
            "satisfaction": {
                "fit": {a: fits[program.pk].get(a, 0) for a in ("good", "deciding", "not_a_fit")},
                "fit_ratings": _histogram(fit_ratings.get(program.pk, []), 1, 5),
                "recommend": _histogram(recommend.get(program.pk, []), 0, 10),
            },
        }
    return out


# --- writing ---------------------------------------------------------------------------------


def refresh_org(
    org: Organization,
    *,
    start: dt.date,
    end: dt.date,
    now: dt.datetime | None = None,
    snapshots: bool = True,
) -> int:
    """Recompute [start, end] (and the snapshots); returns how many daily rows were written."""
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
    snaps = program_snapshots(org, programs, today, now) if snapshots else {}
    with transaction.atomic():
        DailyCount.objects.filter(organization=org, day__gte=start, day__lte=end).delete()
        DailyCount.objects.bulk_create(objects, batch_size=2000)
        for program_id, data in snaps.items():
            ProgramSnapshot.objects.update_or_create(
                program_id=program_id,
                defaults={"organization": org, "as_of": today, "computed_at": now, "data": data},
            )
    return len(objects)


def run_job(now: dt.datetime) -> int:
    """The worker's job: yesterday and today for every organization with a program."""
    for org in Organization.objects.filter(programs__isnull=False).distinct():
        today = now.astimezone(_tz(org)).date()
        refresh_org(org, start=today - dt.timedelta(days=1), end=today, now=now)
    return 0
