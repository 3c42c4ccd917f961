"""Whether pairs meet on their program's cadence: the nudges (meetings/jobs.py), the program
manager's "stalled" list and the weekly program summary read it."""

from __future__ import annotations

import datetime as dt

from django.db.models import Max, OuterRef, QuerySet, Subquery
from django.utils import timezone

from twoway.meetings.models import CheckIn, CheckinStatus
from twoway.programs.models import Partnership, PartnershipStatus, Program

NUDGE_AFTER_CADENCES = 1.5
STALLED_AFTER_CADENCES = 3.0


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


def stalled_partnerships(program: Program, now: dt.datetime | None = None) -> list[Partnership]:
    """Pairs of `program` that held no check-in within 3x the cadence: the program manager's
    "stalled" list (also in the weekly program summary)."""
    return overdue_partnerships(factor=STALLED_AFTER_CADENCES, now=now, program=program)
