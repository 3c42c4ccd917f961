"""The program metrics, each declared once (zulip's `CountStat` style).

A `Metric` names one figure group of a program's snapshot and says how to compute it from the
rows an organization's refresh loads (`Loaded`: one query per kind of row, run only when a metric
needs it, so back-filling one metric alone runs only that metric's queries). `snapshot(...,
only=...)` computes some or all of them.

Metrics over answers people give in confidence (`private=True`: wellbeing, fit check, fit
rating, closing survey, time to the first check-in) also list their *contributions*: one
additive piece per contributor (a person's pair of pulse answers, one fit-check answer, one
closing-survey answer, one pair's first meeting), in memory only. The release rules
(`twoway.insights.release`) publish sums of whole groups of contributions and never store one.
A contribution is fixed once it exists (see each metric), so a published sum never changes
because one person changed an answer.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from django.db.models import Max, Min, Q

from twoway.accounts.models import Organization
from twoway.feedback.models import FitCheck, PulseResponse
from twoway.goals.models import Goal, GoalStatus
from twoway.insights import stats
from twoway.insights.models import ClosingSurvey
from twoway.meetings.models import CheckIn, CheckinStatus
from twoway.people.models import Person
from twoway.programs.models import (
    Enrolment,
    Partnership,
    PartnershipMember,
    PartnershipStatus,
    Program,
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
FIT_ANSWERS = ("good", "deciding", "not_a_fit")
OWN_WORDS = "In their own words"
STAGES = ("Waiting to be matched", "Matched, not met yet", "Met at least once")
SNAPSHOT_VERSION = 2

Contributions = dict[str, Any]


def org_tz(org: Organization) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(org.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def day_of(moment: dt.datetime | None, tz: dt.tzinfo) -> dt.date | None:
    return None if moment is None else moment.astimezone(tz).date()


def onehot(size: int, index: int) -> list[int]:
    row = [0] * size
    row[index] = 1
    return row


def add(total: Any, part: Any) -> Any:
    """Sum of two contributions of the same shape (numbers, lists and dicts of them)."""
    if total is None:
        return part
    if isinstance(part, dict):
        return {key: add(total.get(key), value) for key, value in part.items()}
    if isinstance(part, list):
        return [add(a, b) for a, b in zip(total, part, strict=True)]
    return total + part


def total_of(parts: Iterable[Any], empty: Any) -> Any:
    out = None
    for part in parts:
        out = add(out, part)
    return empty if out is None else out


# --- what a refresh loads, once per organization ------------------------------------------------


@dataclass
class ProgramState:
    """Who is where in one program: derived once from the partnerships, shared by metrics."""

    matched: set[int]
    met: set[int]
    on_cadence: set[int]
    first_days: dict[int, int]  # partnership id → days from its start to its first check-in
    not_met: int
    stalled: list[tuple[int, int]]
    joined: dict[int, dt.date]
    starts: list[tuple[int, dt.date]]  # (person, start of one of their partnerships)


class Loaded:
    """The rows of one organization's programs, each kind loaded on first use."""

    def __init__(
        self, org: Organization, programs: list[Program], today: dt.date, now: dt.datetime
    ) -> None:
        self.org = org
        self.programs = programs
        self.program_ids = [p.pk for p in programs]
        self.today = today
        self.now = now
        self.tz = org_tz(org)
        self._states: dict[int, ProgramState] = {}

    @cached_property
    def partnerships(self) -> dict[int, list[tuple[Any, ...]]]:
        rows = (
            Partnership.objects.filter(program_id__in=self.program_ids, status__in=HAPPENED)
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
        out: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for row in rows:
            out[row[1]].append(row)
        return out

    @cached_property
    def recent(self) -> dict[int, dt.datetime]:
        return dict(
            CheckIn.objects.filter(
                partnership__program_id__in=self.program_ids,
                partnership__status=PartnershipStatus.ACTIVE,
                status=CheckinStatus.HELD,
                scheduled_start__gte=self.now - dt.timedelta(days=max(ON_CADENCE_DAYS, 7 * 12)),
                scheduled_start__lte=self.now,
            )
            .values("partnership_id")
            .annotate(last=Max("scheduled_start"))
            .values_list("partnership_id", "last")
        )

    @cached_property
    def members(self) -> list[tuple[int, int, int, int, int | None]]:
        """(member row, partnership, program, person, fit rating)."""
        return list(
            PartnershipMember.objects.filter(
                partnership__program_id__in=self.program_ids
            ).values_list(
                "pk", "partnership_id", "partnership__program_id", "person_id", "fit_rating"
            )
        )

    @cached_property
    def people_of(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = defaultdict(list)
        for _, partnership_id, _, person_id, _ in self.members:
            out[partnership_id].append(person_id)
        return out

    @cached_property
    def enrolled(self) -> dict[int, set[int]]:
        out: dict[int, set[int]] = defaultdict(set)
        for program_id, person_id in Enrolment.objects.filter(
            program_id__in=self.program_ids
        ).values_list("program_id", "person_id"):
            out[program_id].add(person_id)
        return out

    @cached_property
    def involved(self) -> set[int]:
        if not self.program_ids:
            return set()
        return set().union(*self.enrolled.values(), *self.people_of.values())

    @cached_property
    def person_info(self) -> dict[int, tuple[str, int | None]]:
        return {
            pk: (dept or "No department", level)
            for pk, dept, level in Person.objects.filter(organization=self.org)
            .filter(
                Q(enrolments__program_id__in=self.program_ids)
                | Q(partnership_memberships__partnership__program_id__in=self.program_ids)
            )
            .distinct()
            .values_list("pk", "department__name", "level")
        }

    @cached_property
    def pulses(self) -> dict[int, list[tuple[dt.datetime, tuple[int, ...]]]]:
        involved = self.involved
        qs = PulseResponse.objects.filter(person__organization=self.org)
        if len(involved) < 20000:
            qs = qs.filter(person_id__in=list(involved))
        out: dict[int, list[tuple[dt.datetime, tuple[int, ...]]]] = defaultdict(list)
        for row in qs.order_by("created", "id").values_list("person_id", "created", *PULSE_ITEMS):
            if row[0] in involved:
                out[row[0]].append((row[1], tuple(row[2:])))
        return out

    @cached_property
    def goals(self) -> dict[int, Counter[tuple[str, str]]]:
        out: dict[int, Counter[tuple[str, str]]] = defaultdict(Counter)
        for program_id, template, status in Goal.objects.filter(
            partnership__program_id__in=self.program_ids
        ).values_list("partnership__program_id", "template", "status"):
            out[program_id][(template or OWN_WORDS, status)] += 1
        return out

    @cached_property
    def fit_checks(self) -> dict[int, list[tuple[int, int, str]]]:
        out: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
        for program_id, partnership_id, person_id, answer in FitCheck.objects.filter(
            partnership__program_id__in=self.program_ids
        ).values_list("partnership__program_id", "partnership_id", "person_id", "answer"):
            out[program_id].append((partnership_id, person_id, answer))
        return out

    @cached_property
    def closing_surveys(self) -> dict[int, list[tuple[int, int]]]:
        out: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for program_id, pk, value in ClosingSurvey.objects.filter(
            partnership__program_id__in=self.program_ids
        ).values_list("partnership__program_id", "pk", "recommend"):
            out[program_id].append((pk, value))
        return out

    @cached_property
    def hires(self) -> list[tuple[int, dt.date, dt.date | None]]:
        return [
            (pk, hired, left)
            for pk, hired, left in Person.objects.filter(
                organization=self.org, hire_date__isnull=False
            ).values_list("pk", "hire_date", "left_on")
            if hired is not None
        ]

    def eligible_now(self, program: Program) -> set[int]:
        qs = Person.objects.filter(organization_id=program.organization_id, is_active=True)
        if program.invite_only:
            qs = qs.filter(program_invitations=program)
        if program.eligible_levels:
            qs = qs.filter(level__in=program.eligible_levels)
        departments = [d.pk for d in program.eligible_departments.all()]
        if departments:
            qs = qs.filter(department_id__in=departments)
        if program.min_tenure_days is not None:
            qs = qs.filter(hire_date__lte=self.today - dt.timedelta(days=program.min_tenure_days))
        if program.max_tenure_days is not None:
            qs = qs.filter(hire_date__gte=self.today - dt.timedelta(days=program.max_tenure_days))
        return set(qs.values_list("pk", flat=True))

    def state(self, program: Program) -> ProgramState:
        if program.pk in self._states:
            return self._states[program.pk]
        cadence_days = 7 * program.checkin_every_weeks
        window = dt.timedelta(days=max(ON_CADENCE_DAYS, cadence_days))
        s = ProgramState(set(), set(), set(), {}, 0, [], {}, [])
        for pk, _, status, started, _ended, first_held, last_held, created in self.partnerships.get(
            program.pk, []
        ):
            here = self.people_of.get(pk, [])
            s.matched.update(here)
            start_day = started or day_of(created, self.tz)
            for person_id in here:
                if start_day and (person_id not in s.joined or start_day < s.joined[person_id]):
                    s.joined[person_id] = start_day
                if start_day:
                    s.starts.append((person_id, start_day))
            if first_held is not None:
                s.met.update(here)
                if start_day:
                    first = day_of(first_held, self.tz) or start_day
                    s.first_days[pk] = max(0, (first - start_day).days)
            else:
                s.not_met += 1
            if status == PartnershipStatus.ACTIVE:
                last = self.recent.get(pk)
                if last is not None and self.now - last <= window:
                    s.on_cadence.update(here)
                base = last_held or (
                    dt.datetime.combine(start_day, dt.time(0), tzinfo=dt.UTC)
                    if start_day
                    else created
                )
                if self.now - base > dt.timedelta(days=cadence_days * STALLED_AFTER_CADENCES):
                    s.stalled.append((pk, (self.now - base).days))
        s.stalled.sort(key=lambda x: -x[1])
        self._states[program.pk] = s
        return s

    def ever_enrolled(self, program: Program) -> set[int]:
        return self.enrolled.get(program.pk, set()) | self.state(program).matched


# --- the metrics ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    """One figure group of a program snapshot. `compute` gives what the snapshot stores;
    a private metric's `contributions` give its additive pieces, keyed by contributor."""

    name: str
    compute: Callable[[Loaded, Program], Any]
    contributions: Callable[[Loaded, Program], Contributions] | None = None

    @property
    def private(self) -> bool:
        return self.contributions is not None


def funnel(d: Loaded, program: Program) -> dict[str, int]:
    s = d.state(program)
    ever = d.ever_enrolled(program)
    return {
        "eligible": len(d.eligible_now(program) | ever),
        "enrolled": len(ever),
        "matched": len(s.matched),
        "first_checkin": len(s.met),
        "on_cadence": len(s.on_cadence),
    }


def stalled(d: Loaded, program: Program) -> dict[str, Any]:
    s = d.state(program)
    return {"pairs": s.stalled[:STALLED_LIST_MAX], "total": len(s.stalled)}


def _breakdown(d: Loaded, program: Program, key: Callable[[int], str]) -> dict[str, Any]:
    s = d.state(program)
    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for person_id in d.ever_enrolled(program):
        stage = 2 if person_id in s.met else 1 if person_id in s.matched else 0
        rows[key(person_id)][stage] += 1
    return {"rows": list(rows), "cols": list(STAGES), "cells": list(rows.values())}


def by_department(d: Loaded, program: Program) -> dict[str, Any]:
    table = _breakdown(d, program, lambda p: d.person_info.get(p, ("No department", None))[0])
    order = sorted(range(len(table["rows"])), key=lambda i: table["rows"][i])
    return {
        **table,
        "rows": [table["rows"][i] for i in order],
        "cells": [table["cells"][i] for i in order],
    }


def by_level(d: Loaded, program: Program) -> dict[str, Any]:
    org = d.org
    table = _breakdown(
        d,
        program,
        lambda p: org.level_label(d.person_info.get(p, ("", None))[1]) or "No level",
    )
    ladder = {label: i for i, label in enumerate(org.level_ladder)}
    order = sorted(
        range(len(table["rows"])),
        key=lambda i: (ladder.get(table["rows"][i], 99), table["rows"][i]),
    )
    return {
        **table,
        "rows": [table["rows"][i] for i in order],
        "cells": [table["cells"][i] for i in order],
    }


def goals(d: Loaded, program: Program) -> dict[str, Any]:
    counts = d.goals[program.pk]
    template_order = [*list(program.goal_templates or []), OWN_WORDS]
    rows = sorted(
        {t for t, _ in counts},
        key=lambda t: (template_order.index(t) if t in template_order else 99, t),
    )
    statuses = [GoalStatus.ACHIEVED, GoalStatus.ACTIVE, GoalStatus.DROPPED]
    return {
        "rows": rows,
        "cols": [s.label for s in statuses],
        "cells": [[counts[(t, s)] for s in statuses] for t in rows],
    }


def _empty_wellbeing() -> dict[str, Any]:
    return {
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


def wellbeing_contributions(d: Loaded, program: Program) -> Contributions:
    """Per person, the first partnership of the program where they answered the pulse both at
    the start (the latest answer from 60 days before to 14 days after it started) and after two
    months (the *first* answer at least 60 days after it started). Both are fixed once the
    second exists: the start window closed 46 days before, and a later answer is not the first.
    """
    out: Contributions = {}
    for person_id, started in sorted(d.state(program).starts, key=lambda m: (m[1], m[0])):
        key = f"person:{person_id}"
        if key in out or person_id not in d.pulses:
            continue
        start = dt.datetime.combine(started, dt.time(0), tzinfo=dt.UTC)
        answers = d.pulses[person_id]
        before = [
            s for when, s in answers if start - BASELINE_BEFORE <= when <= start + BASELINE_AFTER
        ]
        after = [s for when, s in answers if when >= start + FOLLOW_UP_AFTER]
        if not before or not after:
            continue
        b, a = before[-1], after[0]
        piece = {}
        for i, item in enumerate(PULSE_ITEMS):
            change = a[i] - b[i]
            piece[item] = {
                "n": 1,
                "sum_before": b[i],
                "sum_after": a[i],
                "sum_d": change,
                "sum_d2": change * change,
                "before": onehot(5, b[i] - 1),
                "after": onehot(5, a[i] - 1),
                "change": onehot(9, change + 4),
            }
        out[key] = piece
    return out


def wellbeing(d: Loaded, program: Program) -> dict[str, Any]:
    return total_of(wellbeing_contributions(d, program).values(), _empty_wellbeing())


def first_checkin_contributions(d: Loaded, program: Program) -> Contributions:
    """Per pair that met: which bin of days its first check-in fell in (fixed once held)."""
    out: Contributions = {}
    for pk, days in d.state(program).first_days.items():
        index = next(i for i, (lo, hi, _) in enumerate(FIRST_CHECKIN_BINS) if lo <= days <= hi)
        out[f"pair:{pk}"] = {"pairs": 1, "bins": onehot(len(FIRST_CHECKIN_BINS), index)}
    return out


def time_to_first(d: Loaded, program: Program) -> dict[str, Any]:
    s = d.state(program)
    days = np.array(list(s.first_days.values())) if s.first_days else None
    summed = total_of(
        first_checkin_contributions(d, program).values(),
        {"pairs": 0, "bins": [0] * len(FIRST_CHECKIN_BINS)},
    )
    return {
        "pairs_met": summed["pairs"],
        "pairs_not_met": s.not_met,
        # Kept for the backfill's own checks; never published (an order statistic of a few
        # pairs is one pair's exact value).
        "median": None if days is None else float(np.median(days)),
        "bins": [
            [label, n] for (_, _, label), n in zip(FIRST_CHECKIN_BINS, summed["bins"], strict=True)
        ],
    }


def fit_check_contributions(d: Loaded, program: Program) -> Contributions:
    """One answer per member and partnership, as it was when first published (see release)."""
    return {
        f"fit:{partnership_id}:{person_id}": onehot(3, FIT_ANSWERS.index(answer))
        for partnership_id, person_id, answer in d.fit_checks.get(program.pk, [])
        if answer in FIT_ANSWERS
    }


def fit_check(d: Loaded, program: Program) -> dict[str, int]:
    summed = total_of(fit_check_contributions(d, program).values(), [0, 0, 0])
    return dict(zip(FIT_ANSWERS, summed, strict=True))


def fit_rating_contributions(d: Loaded, program: Program) -> Contributions:
    return {
        f"member:{member_id}": {"n": 1, "sum": rating, "histogram": onehot(5, rating - 1)}
        for member_id, _, program_id, _, rating in d.members
        if program_id == program.pk and rating is not None and 1 <= rating <= 5
    }


def fit_rating(d: Loaded, program: Program) -> dict[str, Any]:
    return total_of(
        fit_rating_contributions(d, program).values(), {"n": 0, "sum": 0, "histogram": [0] * 5}
    )


def closing_survey_contributions(d: Loaded, program: Program) -> Contributions:
    """One answer per member and ended partnership; a survey is never edited."""
    return {
        f"survey:{pk}": onehot(11, value)
        for pk, value in d.closing_surveys.get(program.pk, [])
        if 0 <= value <= 10
    }


def closing_survey(d: Loaded, program: Program) -> list[int]:
    return total_of(closing_survey_contributions(d, program).values(), [0] * 11)


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


def retention_of(
    people: list[tuple[int, dt.date, dt.date | None]],
    joined: dict[int, dt.date],
    today: dt.date,
) -> dict[str, Any]:
    """Time since hire, with participation as a time-varying group (Simon & Makuch): someone
    counts as a non-participant from hire until their first partnership in the program starts
    and as a participant from then on (delayed entry)."""
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
                *(round(v, 4) for v in curve.interval_at(t)),
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


def retention(d: Loaded, program: Program) -> dict[str, Any]:
    return retention_of(d.hires, d.state(program).joined, d.today)


METRICS: tuple[Metric, ...] = (
    Metric("funnel", funnel),
    Metric("stalled", stalled),
    Metric("by_department", by_department),
    Metric("by_level", by_level),
    Metric("goals", goals),
    Metric("retention", retention),
    Metric("time_to_first", time_to_first, first_checkin_contributions),
    Metric("wellbeing", wellbeing, wellbeing_contributions),
    Metric("fit_check", fit_check, fit_check_contributions),
    Metric("fit_rating", fit_rating, fit_rating_contributions),
    Metric("closing_survey", closing_survey, closing_survey_contributions),
)
BY_NAME = {m.name: m for m in METRICS}


def snapshot(d: Loaded, program: Program, only: Iterable[str] | None = None) -> dict[str, Any]:
    names = list(BY_NAME) if only is None else list(only)
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise ValueError(f"Unknown insight metrics: {', '.join(unknown)}")
    return {name: BY_NAME[name].compute(d, program) for name in names}
