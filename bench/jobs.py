"""The worker's per-minute jobs over one program whose every pair is due: seconds and SQL
statements of a first run (queues everything) and a second run (everything already queued), at
`--pairs` pairs and at a reference of a hundredth of that, in the same run.

    .venv/bin/python bench/jobs.py [--pairs 10000]
    .venv/bin/python bench/jobs.py --database-url postgresql://postgres@127.0.0.1:5432/postgres

On SQLite (the default) it writes a temporary file. With --database-url it creates and drops a
database `twoway_bench_jobs` on that PostgreSQL server. The pairs are a round's, started on one
day as publishing starts them (tests/notifications/due.py): at the bench's moment each is due
for every job (term ended yesterday, matched eight days ago without a goal, first check-in held
twelve days ago and none since, a check-in an hour ago not logged, one in ten minutes, a
feedback round closing in two days). The reference pairs are measured first, then ended, so the
larger measure reads only its own pairs. Per job it prints both sizes, the statements per pair,
and the per-pair cost ratio (seconds per pair at `--pairs` over seconds per pair at the
reference: 1.0 is linear, below 1 the fixed cost shared by more pairs). The digest names the
rows each job queued (recipient, kind, template, context, dedupe key, expiry, channel): two
versions of the jobs that print the same digests queued the same messages.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "twoway_bench_jobs"
# A fixed moment, so two runs of the bench (two versions of the jobs) queue comparable rows.
NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
from bench.scratch import Counter, scratch_database, setup_django  # noqa: E402

JOBS = [
    "closing_reflections",
    "checkin_reminders",
    "did_you_meet",
    "cadence_nudges",
    "goals_not_set",
    "fit_checks",
    "feedback_reminders",
]


@dataclass(frozen=True)
class Run:
    seconds: float
    statements: int
    queued: int


def timed(job: Callable[[dt.datetime], int]) -> Run:
    from django.db import connection

    counter = Counter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        queued = job(NOW)
        return Run(time.perf_counter() - started, counter.n, queued)


def digest(after_pk: int) -> str:
    """A short hash of the outbox rows queued since `after_pk`, in a stable order."""
    from twoway.notifications.models import OutboxMessage

    rows = sorted(
        json.dumps(
            [
                r.recipient_id,
                r.kind,
                r.template,
                r.context,
                r.dedupe_key,
                r.expires_at.isoformat() if r.expires_at else None,
                r.channel,
            ],
            sort_keys=True,
        )
        for r in OutboxMessage.objects.filter(pk__gt=after_pk)
    )
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()[:12]


def measure(program: Any, pairs: int) -> dict[str, tuple[Run, Run, str]]:
    from django.db.models import Max

    from tests.notifications.due import add_due_pairs
    from twoway.lib import jobs as registry
    from twoway.notifications.models import OutboxMessage

    add_due_pairs(program, pairs, NOW)
    found = {}
    for name in JOBS:
        job = registry.get(name).run
        before = OutboxMessage.objects.aggregate(last=Max("pk"))["last"] or 0
        first, second = timed(job), timed(job)
        assert (first.queued, second.queued) == (2 * pairs, 0), (name, first, second)
        found[name] = (first, second, digest(before))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--database-url", help="a PostgreSQL server (default: SQLite)")
    parser.add_argument("--keep", action="store_true", help="Keep the bench database.")
    args = parser.parse_args()
    reference = max(1, args.pairs // 100)
    if args.database_url:
        setup_django(scratch_database(args.database_url, BENCH_DB))
    else:
        setup_django(f"sqlite:///{tempfile.mkdtemp()}/jobs.sqlite3")
    from django.core.management import call_command
    from django.db import connection

    from tests.notifications.due import due_program
    from twoway.accounts.models import Organization
    from twoway.programs.models import Partnership, PartnershipStatus

    call_command("migrate", interactive=False, verbosity=0)
    org = Organization.objects.create(name="Bench", slug="bench")
    small_program = due_program(org, name="Reference")
    small = measure(small_program, reference)
    Partnership.objects.filter(program=small_program).update(status=PartnershipStatus.ENDED)
    large = measure(due_program(org, name="Large"), args.pairs)

    load = os.getloadavg()[0]
    print(
        f"worker jobs, every pair due, on {connection.display_name}, "
        f"load average {load:.2f}; reference {reference} pairs, measure {args.pairs} pairs"
    )
    header = (
        f"{'job':20} {'pairs':>6} {'1st run s':>10} {'stmts':>7} {'/pair':>6}"
        f" {'2nd run s':>10} {'stmts':>7} {'/pair':>6}  digest"
    )
    print(header)
    for name in JOBS:
        for pairs, (first, second, sums) in ((reference, small[name]), (args.pairs, large[name])):
            print(
                f"{name:20} {pairs:6d} {first.seconds:10.3f} {first.statements:7d}"
                f" {first.statements / pairs:6.2f} {second.seconds:10.3f} {second.statements:7d}"
                f" {second.statements / pairs:6.2f}  {sums}"
            )
        ratio_first = (large[name][0].seconds / args.pairs) / (small[name][0].seconds / reference)
        ratio_second = (large[name][1].seconds / args.pairs) / (small[name][1].seconds / reference)
        print(
            f"{'':20} per-pair cost ratio {args.pairs}/{reference}: "
            f"first run {ratio_first:.2f}, second run {ratio_second:.2f}"
        )
    first_total = sum(large[name][0].seconds for name in JOBS)
    second_total = sum(large[name][1].seconds for name in JOBS)
    print(
        f"all {len(JOBS)} jobs at {args.pairs} pairs: first run {first_total:.1f} s, "
        f"second run (every minute after) {second_total:.1f} s"
    )
    if args.database_url and not args.keep:
        from django.db import connections

        connections.close_all()
        scratch_database(args.database_url, BENCH_DB, drop_only=True)


if __name__ == "__main__":
    main()
