"""Whether pairs meet on their program's cadence: the nudges (meetings/jobs.py), the program
manager's "stalled" list and the weekly program summary read it."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from twoway.meetings.models import CheckIn, CheckinStatus
from twoway.programs.models import Partnership, PartnershipStatus, Program

NUDGE_AFTER_CADENCES = 1.5
STALLED_AFTER_CADENCES = 3.0
# Past this the pair is long stalled: the program manager has it, and the nudges stop.
NUDGES_STOP_AFTER_CADENCES = 6


def with_last_held(qs: QuerySet[Partnership]) -> QuerySet[Partnership]:
    """Annotate `last_held`: the start of the latest check-in the pair held (or None)."""
    latest = (
        CheckIn.objects.filter(partnership=OuterRef("pk"), status=CheckinStatus.HELD)
        .values("partnership")
        .annotate(last=Max("scheduled_start"))
        .values("last")
    )
    return qs.annotate(last_held=Subquery(latest))


def cadence_baseline(partnership: Partnership) -> dt.datetime:
    """Since when the pair has been expected to meet: its last held check-in, else its start."""
    last_held: dt.datetime | None = getattr(partnership, "last_held", None)
    if last_held is not None:
        return last_held
    if partnership.started_on is not None:
        return dt.datetime.combine(partnership.started_on, dt.time(0), tzinfo=dt.UTC)
    return partnership.created


def cadence(partnership: Partnership) -> dt.timedelta:
    return dt.timedelta(weeks=partnership.program.checkin_every_weeks)


def overdue_partnerships(
    *, factor: float, now: dt.datetime | None = None, program: Program | None = None
) -> list[Partnership]:
    """Active partnerships that held no check-in within `factor` x their program's cadence."""
    now = now or timezone.now()
    qs = Partnership.objects.filter(status=PartnershipStatus.ACTIVE)
    if program is not None:
        qs = qs.filter(program=program)
    found = []
    for p in with_last_held(qs.select_related("program", "organization")).prefetch_related(
        "members__person"
    ):
        if now - cadence_baseline(p) > cadence(p) * factor:
            found.append(p)
    return found


def overdue_in_program(
    program: Program, *, factor: float, now: dt.datetime | None = None
) -> QuerySet[Partnership]:
    """The same rule as `overdue_partnerships` for one program, as one SQL query: the page of a
    program with ten thousand pairs reads only the page of pairs it shows.

    `cadence_baseline` is the last held check-in, else the start date at midnight UTC, else the
    creation time; the pair is overdue when that baseline lies before `now - factor x cadence`.
    The start date is compared as a date, so no database needs to cast it: midnight of day `d`
    lies before the cutoff when `d` is before the cutoff's date, or is that date and the cutoff
    is after midnight. Longest without a check-in first.
    """
    now = now or timezone.now()
    cutoff = now - dt.timedelta(weeks=program.checkin_every_weeks) * factor
    cutoff_utc = cutoff.astimezone(dt.UTC)
    started_before = (
        Q(started_on__lte=cutoff_utc.date())
        if cutoff_utc.time() > dt.time(0)
        else Q(started_on__lt=cutoff_utc.date())
    )
    # "The last held check-in lies before the cutoff" is "none held since the cutoff, and one
    # held at all": two EXISTS the database answers from the check-in index (a semi- and an
    # anti-join), rather than the latest check-in computed for every pair. The latest one is
    # then annotated for the order and the page only.
    held = CheckIn.objects.filter(partnership=OuterRef("pk"), status=CheckinStatus.HELD)
    started_long_ago = (Q(started_on__isnull=False) & started_before) | Q(
        started_on__isnull=True, created__lt=cutoff
    )
    overdue = Partnership.objects.filter(
        ~Exists(held.filter(scheduled_start__gte=cutoff)) & (Exists(held) | started_long_ago),
        program=program,
        status=PartnershipStatus.ACTIVE,
    )
    return with_last_held(overdue).order_by(
        F("last_held").asc(nulls_first=True), "started_on", "created", "pk"
    )


def _started_since(moment: dt.datetime) -> Q:
    """The start date at midnight UTC lies at or after `moment`: the converse of
    `overdue_in_program`'s comparison, by date too."""
    moment_utc = moment.astimezone(dt.UTC)
    if moment_utc.time() > dt.time(0):
        return Q(started_on__gt=moment_utc.date())
    return Q(started_on__gte=moment_utc.date())


def nudge_due_in_program(
    program: Program, *, factor: float, until: float, now: dt.datetime
) -> QuerySet[Partnership]:
    """`overdue_in_program` (no check-in within `factor` x the cadence), less the pairs whose
    `cadence_baseline` lies more than `until` x the cadence before `now`, in one query."""
    since = now - dt.timedelta(weeks=program.checkin_every_weeks) * until
    baseline_since = Q(last_held__gte=since) | Q(last_held__isnull=True) & (
        Q(started_on__isnull=False) & _started_since(since)
        | Q(started_on__isnull=True, created__gte=since)
    )
    return overdue_in_program(program, factor=factor, now=now).filter(baseline_since)


def stalled_in_program(program: Program, now: dt.datetime | None = None) -> QuerySet[Partnership]:
    """Pairs of `program` that held no check-in within 3x the cadence: the program manager's
    "stalled" list (also in the weekly program summary)."""
    return overdue_in_program(program, factor=STALLED_AFTER_CADENCES, now=now)


def stalled_partnerships(
    program: Program, now: dt.datetime | None = None, limit: int | None = None
) -> list[Partnership]:
    """The first `limit` of `stalled_in_program` (all when None) with the members' people."""
    qs = (
        stalled_in_program(program, now=now)
        .select_related("program", "organization")
        .prefetch_related("members__person")
    )
    return list(qs if limit is None else qs[:limit])
