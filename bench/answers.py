"""Benchmark request answers under contention on PostgreSQL: deadlocks, errors, capacity.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/answers.py
    .venv/bin/python bench/answers.py --people 120 --threads 20

It creates and drops a database `twoway_bench_answers` on the server of DATABASE_URL. Each
person of a program asks their next five neighbours on a ring (capacity 2 each), so every
answer shares people with several others; then the same answers are given once by one thread
(the reference) and once by `--threads` threads at the same time (a fresh copy of the data each
time). Two thirds are accepts, one third declines, in a shuffled order. It prints answers per
second, deadlocks, other database errors, refusals (someone full, a request already closed) and
capacity violations (anyone with more partners than their capacity), and the ratio of the
concurrent rate to the serial one.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "twoway_bench_answers"

from bench.scratch import scratch_database, setup_django  # noqa: E402


def build(people: int, seed: int) -> list[tuple[int, bool]]:
    """A program with `people` enrolled on a ring and their requests; returns (request, accept)."""
    from twoway.accounts.models import Organization
    from twoway.people.models import Person
    from twoway.programs import services
    from twoway.programs.models import Enrolment, Program, ProgramStatus

    org = Organization.objects.create(name=f"Bench {seed}", slug=f"bench-{seed}")
    program = Program.objects.create(
        organization=org, name="Peers", status=ProgramStatus.OPEN, max_open_requests=10
    )
    ring = Person.objects.bulk_create(
        Person(organization=org, name=f"Peer {i:04}", email=f"p{i}@bench.example")
        for i in range(people)
    )
    Enrolment.objects.bulk_create(
        Enrolment(program=program, person=p, offers={"0": 1}, capacity=2) for p in ring
    )
    work = []
    rng = random.Random(seed)
    for i, person in enumerate(ring):
        for step in range(1, 6):
            other = ring[(i + step) % people]
            try:
                request = services.request_send(
                    program=program, sender=person, receiver=other, note="Peers?"
                )
            except services.ProgramError:
                continue  # asked each other: paired at once, nothing to answer
            if request.status == "open":
                work.append((request.pk, rng.random() < 2 / 3))
    rng.shuffle(work)
    return work


def answer_all(work: list[tuple[int, bool]], threads: int) -> dict[str, Any]:
    from django.db import OperationalError, connection

    from twoway.programs import services
    from twoway.programs.models import MatchRequest

    counts: dict[str, Any] = {"answered": 0, "refused": 0, "deadlocks": 0, "errors": 0}
    lock = threading.Lock()
    queue = list(work)

    def run() -> None:
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    request_id, accept = queue.pop()
                request = MatchRequest.objects.select_related("receiver").get(pk=request_id)
                try:
                    if accept:
                        services.request_accept(request=request, by=request.receiver)
                    else:
                        services.request_decline(request=request, by=request.receiver)
                    outcome = "answered"
                except services.ProgramError:
                    outcome = "refused"
                except OperationalError as exc:
                    outcome = "deadlocks" if "deadlock" in str(exc) else "errors"
                except Exception:
                    outcome = "errors"
                with lock:
                    counts[outcome] += 1
        finally:
            connection.close()

    pool = [threading.Thread(target=run) for _ in range(threads)]
    started = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    counts["seconds"] = time.perf_counter() - started
    return counts


def capacity_violations() -> int:
    from django.db.models import Count, F

    from twoway.programs.models import Enrolment, PartnershipMember

    taken = dict(
        PartnershipMember.objects.values("person_id")
        .annotate(n=Count("id"))
        .values_list("person_id", "n")
    )
    return sum(
        1
        for person_id, capacity in Enrolment.objects.annotate(c=F("capacity")).values_list(
            "person_id", "c"
        )
        if taken.get(person_id, 0) > capacity
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=120)
    parser.add_argument("--threads", type=int, default=20)
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL server you may create a database on")
    url = scratch_database(server, BENCH_DB)
    setup_django(url)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    rows = []
    for label, threads, seed in (("serial", 1, 1), (f"{args.threads} threads", args.threads, 2)):
        work = build(args.people, seed)
        result = answer_all(work, threads)
        result["violations"] = capacity_violations()
        rows.append((label, len(work), result))
    print(
        f"{'run':<12} {'answers':>8} {'per s':>8} {'deadlocks':>10} {'errors':>7} "
        f"{'refused':>8} {'over capacity':>14}"
    )
    for label, total, r in rows:
        print(
            f"{label:<12} {total:>8} {total / r['seconds']:>8.1f} {r['deadlocks']:>10} "
            f"{r['errors']:>7} {r['refused']:>8} {r['violations']:>14}"
        )
    serial, concurrent = rows[0][2], rows[1][2]
    ratio = (rows[1][1] / concurrent["seconds"]) / (rows[0][1] / serial["seconds"])
    print(f"concurrent / serial rate: {ratio:.2f}")
    connection.close()
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")


if __name__ == "__main__":
    main()
