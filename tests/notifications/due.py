"""A program whose every pair is due, at one moment, for every per-minute job of the worker:
the shape of a round published in one day (all pairs start and end on the same dates). The
job tests (does a run's cost grow with the pairs?) and bench/jobs.py build on it."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.programs.helpers import make_draft, make_people, make_program
from twoway.accounts.models import Organization
from twoway.feedback.models import FeedbackRound
from twoway.meetings.models import CheckIn, CheckinStatus
from twoway.programs.models import Partnership, Program
from twoway.programs.services import RoundGroup, partnerships_start_for_round

TERM_WEEKS = 4
_batch = itertools.count()


def due_program(org: Organization, name: str = "Everyone due") -> Program:
    """Weekly check-ins, four-week terms: short enough that one pair is due for everything."""
    return make_program(org, name=name, checkin_every_weeks=1, term_weeks=TERM_WEEKS)


def add_due_pairs(program: Program, n: int, now: dt.datetime) -> list[Partnership]:
    """`n` new pairs of `program`, started as a published round starts them, each due at `now`:

    - the term ended yesterday (closing reflection);
    - matched eight days ago, no goal (goals prompt);
    - first held check-in twelve days ago (fit check), none since: 1.5 weekly cadences gone
      by (cadence nudge);
    - a check-in an hour ago nobody logged ("did you meet?");
    - a check-in in ten minutes (the 15-minute reminder);
    - a feedback round closing in two days (feedback reminder)."""
    prefix = f"Due{next(_batch)}x"
    people = make_people(program.organization, 2 * n, prefix=prefix)
    draft = make_draft(program, people)
    groups = [
        RoundGroup(
            index=i, people=people[2 * i : 2 * i + 2], roles={}, score=0.5, reasons=["Planning"]
        )
        for i in range(n)
    ]
    start = now.date() - dt.timedelta(days=1, weeks=TERM_WEEKS)
    pairs = partnerships_start_for_round(
        program=program, match_round=draft, groups=groups, start=start
    )
    Partnership.objects.filter(pk__in=[p.pk for p in pairs]).update(
        created=now - dt.timedelta(days=8)
    )
    CheckIn.objects.bulk_create(
        checkin
        for p in pairs
        for checkin in (
            CheckIn(
                partnership=p,
                scheduled_start=now - dt.timedelta(days=12),
                status=CheckinStatus.HELD,
            ),
            CheckIn(partnership=p, scheduled_start=now - dt.timedelta(hours=1)),
            CheckIn(partnership=p, scheduled_start=now + dt.timedelta(minutes=10)),
        )
    )
    FeedbackRound.objects.bulk_create(
        FeedbackRound(partnership=p, deadline=now + dt.timedelta(days=2)) for p in pairs
    )
    return pairs


# SQLite takes at most 999 bind parameters a statement, so Django splits a bulk INSERT of
# outbox rows (about 20 columns) into one statement per 49 rows there; PostgreSQL takes them in
# one. The writes are held to that, the reads to the same count whatever the pairs.
ROWS_PER_INSERT = 40


@dataclass(frozen=True)
class Run:
    queued: int
    reads: int  # every statement but the INSERTs of outbox rows
    inserts: int


def counted(job: Callable[[dt.datetime], int], now: dt.datetime) -> Run:
    """What one run of `job` at `now` queued, and the SQL statements it took."""
    with CaptureQueriesContext(connection) as queries:
        queued = job(now)
    inserts = sum(
        q["sql"].startswith("INSERT") and "notifications_outboxmessage" in q["sql"]
        for q in queries.captured_queries
    )
    return Run(queued=queued, reads=len(queries) - inserts, inserts=inserts)


def assert_cost_flat(
    job: Callable[[dt.datetime], int], org: Organization, *, second_run_reads: int | None = None
) -> None:
    """Two members' messages per pair; a second run queues nothing and writes nothing; and a
    run reads with as many statements for 30 pairs as for 3 (the old jobs took three or four
    statements per message), writing its rows in bulk. With `second_run_reads`, a second run
    reads no more than that: the job leaves what it queued out of its query."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    program = due_program(org)
    add_due_pairs(program, 3, now)
    few, few_again = counted(job, now), counted(job, now)
    add_due_pairs(program, 27, now)
    many, many_again = counted(job, now), counted(job, now)
    assert (few.queued, few_again.queued, many.queued, many_again.queued) == (6, 0, 54, 0)
    assert many.reads == few.reads, (few, many)
    assert many_again.reads == few_again.reads, (few_again, many_again)
    assert few_again.inserts == many_again.inserts == 0
    for run in (few, many):
        assert run.inserts <= -(-run.queued // ROWS_PER_INSERT), run
    if second_run_reads is not None:
        assert many_again.reads <= second_run_reads, many_again
