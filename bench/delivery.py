"""Benchmark outbox delivery: messages per second to a loopback SMTP server, 1, 2 and 4 workers.

    .venv/bin/python bench/delivery.py                      # starts a throwaway PostgreSQL
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/delivery.py
    .venv/bin/python bench/delivery.py --messages 5000 --workers 1 2 4 8

With DATABASE_URL (a server you may create databases on) it creates and drops a database
`twoway_bench` there; without it, it needs PostgreSQL's binaries (/usr/lib/postgresql/*/bin) and
runs a cluster in a temporary directory (as user postgres when run as root).
Each round: start W `twoway worker --no-jobs` processes and let them settle, insert the messages
(due now) in one statement, and time until the SMTP sink (aiosmtpd, in this process) has
accepted all of them. Worker start-up is not timed; rendering, claiming, SMTP and marking are.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.postgres_cluster import NoPostgres, postgres_cluster  # noqa: E402

TWOWAY = str(Path(sys.executable).with_name("twoway"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    try:
        with postgres_cluster(prefix="twoway-bench-pg-", settings="-c max_connections=50") as found:
            yield found.admin_url
    except NoPostgres as exc:
        sys.exit(f"no DATABASE_URL and {exc}")


class CountingSink:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.count += 1
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--batch", type=int, default=20)
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        admin_url = os.environ.get("DATABASE_URL") or stack.enter_context(throwaway_postgres())
        run(admin_url, args.messages, args.workers, args.batch)


def run(admin_url: str, messages: int, worker_counts: list[int], batch: int) -> None:
    import logging

    import psycopg
    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    base, _, _ = admin_url.rpartition("/")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS twoway_bench")
        conn.execute("CREATE DATABASE twoway_bench")
    url = f"{base}/twoway_bench"
    sink = CountingSink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    env = dict(
        os.environ,
        DATABASE_URL=url,
        DEBUG="0",
        SECRET_KEY="bench",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_USE_TLS="0",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="twoway.settings",
    )
    os.environ.update(env)
    subprocess.run([TWOWAY, "migrate", "-v0"], env=env, check=True)

    import django

    django.setup()
    from tests.notifications.reminders import queue_reminders
    from twoway.accounts.models import Organization
    from twoway.notifications.models import OutboxMessage
    from twoway.people.models import Person

    org = Organization.objects.create(name="Bench", slug="bench")
    people = [
        Person.objects.create(organization=org, name=f"Person {i}", email=f"p{i}@bench.example")
        for i in range(100)
    ]
    print(f"{messages} messages per round, batch {batch}, PostgreSQL, SMTP on loopback")
    print(f"{'workers':>8} {'seconds':>8} {'msg/s':>8}")
    results = []
    try:
        for n in worker_counts:
            OutboxMessage.objects.all().delete()
            procs = [
                subprocess.Popen(
                    [TWOWAY, "worker", "--no-jobs", "--batch", str(batch), "--sleep", "0.05"],
                    env=env,
                    stdout=subprocess.DEVNULL,
                )
                for _ in range(n)
            ]
            time.sleep(3)  # let them import Django and start polling
            with sink.lock:
                sink.count = 0
            t0 = time.perf_counter()
            queue_reminders(org, people, messages, f"bench:{n}")
            while sink.count < messages:
                time.sleep(0.01)
            elapsed = time.perf_counter() - t0
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                proc.wait(timeout=30)
            results.append((n, elapsed))
            print(f"{n:>8} {elapsed:>8.2f} {messages / elapsed:>8.0f}", flush=True)
    finally:
        controller.stop()
        from django.db import connection

        connection.close()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS twoway_bench")
    print(f"(on {os.cpu_count()} CPUs; the sink, PostgreSQL and the workers share them)")


if __name__ == "__main__":
    main()
