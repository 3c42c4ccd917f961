"""CPU seconds one `twoway worker --once --no-jobs` spends draining N messages, for two checkouts.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/worker_cpu.py --messages 2000 --reference /tmp/twoway-main

Wall time on a shared machine says more about the neighbours than about the code; the CPU time
the worker process itself used (user + system, from getrusage of the child) does not. Each
checkout gets its own database (`twoway_cpu_0`, `twoway_cpu_1`, created and dropped on the
server of DATABASE_URL) migrated by its own code, the same N messages (due now, to 100 people)
and the locmem email backend, so what is measured is claiming, rendering and recording. The
rounds alternate between the checkouts; the last line is this checkout's median over the
reference's (below 1: cheaper).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TWOWAY = str(Path(sys.executable).with_name("twoway"))

SEED = """
from django.utils import timezone
from twoway.accounts.models import Organization
from twoway.notifications.models import OutboxMessage
from twoway.people.models import Person
org = Organization.objects.create(name="Bench", slug="bench")
people = [
    Person.objects.create(organization=org, name=f"P{i}", email=f"p{i}@bench.example")
    for i in range(100)
]
context = {"sender": "Bob", "program": "Peers", "days": 5, "url": "/o/bench/"}
OutboxMessage.objects.bulk_create(
    OutboxMessage(organization=org, recipient=people[i % 100], kind="request",
                  template="reminder_request", context=context, dedupe_key=f"b:{i}",
                  due_at=timezone.now())
    for i in range(N)
)
"""


def one_round(tree: Path, admin_url: str, db: str, messages: int) -> float:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {db}")
    env = dict(
        os.environ,
        PYTHONPATH=str(tree),
        DATABASE_URL=f"{admin_url.rpartition('/')[0]}/{db}",
        DEBUG="0",
        SECRET_KEY="bench",
        TWOWAY_ENCRYPTION_KEYS="DtlQ9tTgkqIPqtp1G8Ik0D0DbcP8Ffx1cVa4zDE5jzQ=",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="twoway.settings",
    )
    run = {"env": env, "cwd": tree, "check": True, "capture_output": True}
    subprocess.run([TWOWAY, "migrate", "-v0"], **run)  # type: ignore[call-overload]
    seed = SEED.replace("range(N)", f"range({messages})")
    subprocess.run([TWOWAY, "shell", "-c", seed], **run)  # type: ignore[call-overload]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(  # type: ignore[call-overload]
        [TWOWAY, "worker", "--once", "--no-jobs", "--batch", "20"], text=True, **run
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if f"sent {messages}" not in done.stdout:
        sys.exit(f"{tree}: the worker did not send everything: {done.stdout.strip()}")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reference", type=Path, required=True, help="the other checkout")
    args = parser.parse_args()
    admin_url = os.environ.get("DATABASE_URL", "")
    if not admin_url.startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL server you may create databases on")
    trees = {"this": ROOT, "reference": args.reference.resolve()}
    cpu: dict[str, list[float]] = {name: [] for name in trees}
    for i in range(args.rounds):
        for n, (name, tree) in enumerate(trees.items()):
            seconds = one_round(tree, admin_url, f"twoway_cpu_{n}", args.messages)
            cpu[name].append(seconds)
            print(f"round {i + 1} {name:>9}: {seconds:5.2f} s CPU for {args.messages} messages")
    this, ref = statistics.median(cpu["this"]), statistics.median(cpu["reference"])
    print(f"median CPU: this {this:.2f} s, reference {ref:.2f} s, ratio {this / ref:.2f}")


if __name__ == "__main__":
    main()
