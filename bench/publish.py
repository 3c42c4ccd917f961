"""Benchmark publishing a round: the per-group services (the reference) against the background
job's batches, in the same run, on PostgreSQL.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/publish.py
    .venv/bin/python bench/publish.py --groups 10000

It creates and drops a database `twoway_bench_publish` on the server of DATABASE_URL. Two
programs of the same organization get the same draft shape: `--groups` pairs of freshly enrolled
people. The first is published the way a web request used to do it, in one transaction: each
group through `partnership_create` and `partnership_introduce` (one `notify` per member), then
`requests_close_for_full`. The second is queued with `round_publish` (what the page and the API
now do) and published by `round_publish_run`, the code `twoway worker` runs, in batches of
`PUBLISH_BATCH` groups per transaction. It prints the seconds and SQL statements of each, the
time the request now takes (queueing), and the ratio reference / background job.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "twoway_bench_publish"

from bench.scratch import Counter, scratch_database, setup_django  # noqa: E402


def build(org: Any, name: str, groups: int) -> Any:
    """A program with twice `groups` people enrolled and a draft pairing them in order (the
    publishing tests' own draft)."""
    from tests.programs.helpers import make_draft, make_people, make_program

    program = make_program(org, name=name)
    return make_draft(program, make_people(org, 2 * groups, prefix=name))


def publish_per_group(match_round: Any) -> None:
    """The reference: what round_publish did in the web request before it was queued."""
    from django.db import transaction

    from twoway.people.models import Person
    from twoway.programs.cohort import pool
    from twoway.programs.models import Enrolment, PartnershipSource
    from twoway.programs.services import (
        partnership_create,
        partnership_introduce,
        requests_close_for_full,
    )

    with transaction.atomic():
        program = match_round.program
        groups = match_round.result["groups"]
        ids = {m for g in groups for m in g["members"]}
        list(
            Enrolment.objects.select_for_update(of=("self",), no_key=True)
            .filter(program=program, person_id__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        in_pool = {e.person_id: e for e in pool(program)}
        assert ids <= set(in_pool)
        people = {p.pk: p for p in Person.objects.filter(pk__in=ids).select_related("organization")}
        for group in groups:
            members = [people[m] for m in group["members"]]
            partnership = partnership_create(
                program=program,
                people=members,
                source=PartnershipSource.ROUND,
                roles={m: in_pool[m].role for m in group["members"]},
                score=group["score"],
                reasons=group["reasons"],
                match_round=match_round,
            )
            partnership_introduce(partnership, members, group["reasons"])
        requests_close_for_full(program=program, enrolments=[in_pool[m] for m in sorted(ids)])


def timed(fn: Any) -> tuple[float, int]:
    from django.db import connection

    counter = Counter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        fn()
        return time.perf_counter() - started, counter.n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="Keep the bench database.")
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (postgresql://user@host:port/db).")
    setup_django(scratch_database(server, BENCH_DB))
    from django.core.management import call_command

    from twoway.accounts.models import Organization
    from twoway.notifications.models import OutboxMessage
    from twoway.programs import rounds
    from twoway.programs.models import MatchRound, Partnership, RoundStatus

    call_command("migrate", interactive=False, verbosity=0)
    org = Organization.objects.create(name="Bench", slug="bench")
    reference = build(org, "Reference", args.groups)
    background = build(org, "Background", args.groups)

    old_s, old_q = timed(lambda: publish_per_group(reference))
    queue_s, queue_q = timed(lambda: rounds.round_publish(match_round=background, actor=None))
    claimed = rounds.claim_next_publish()
    assert claimed is not None and claimed.pk == background.pk
    job_s, job_q = timed(lambda: rounds.round_publish_run(claimed))
    background.refresh_from_db()
    assert background.status == RoundStatus.PUBLISHED, background.error

    for match_round in (reference, background):
        made = Partnership.objects.filter(round=match_round).count()
        intros = OutboxMessage.objects.filter(
            kind="introduction", context__program=match_round.program.name
        ).count()
        assert made == args.groups and intros == 2 * args.groups, (made, intros)
    assert MatchRound.objects.filter(status=RoundStatus.PUBLISHING).count() == 0

    load = os.getloadavg()
    batches = -(-args.groups // rounds.PUBLISH_BATCH)
    print(f"publishing {args.groups} groups on PostgreSQL, load average {load[0]:.2f}")
    print(
        f"  per-group services, one transaction (reference): {old_s:7.2f} s  "
        f"{old_q:7d} statements  {old_q / args.groups:5.1f} per group"
    )
    print(
        f"  queueing it (what the request now does):         {queue_s:7.2f} s  "
        f"{queue_q:7d} statements"
    )
    print(
        f"  background job, {batches} batches of {rounds.PUBLISH_BATCH}:{'':>13}"
        f"{job_s:7.2f} s  {job_q:7d} statements  {job_q / args.groups:5.1f} per group  "
        f"({job_s / batches:.2f} s per batch)"
    )
    print(f"  ratio reference / background job: {old_s / job_s:.1f}x")
    if not args.keep:
        from django.db import connections

        connections.close_all()
        scratch_database(server, BENCH_DB, drop_only=True)


if __name__ == "__main__":
    main()
