"""`twoway worker`: send the outbox and run the jobs every app declares in its jobs.py.

Run one or more of these next to the web processes; each process is one worker, and any number
of them can run at once (on PostgreSQL). SIGTERM finishes the message in hand and exits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from twoway.notifications.worker import STOP_GRACE, Worker


class Command(BaseCommand):
    help = "Send due outbox messages and run the scheduled reminder jobs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Run the jobs once, send what is due, then exit."
        )
        parser.add_argument("--batch", type=int, default=10, help="Rows claimed at a time.")
        parser.add_argument(
            "--lease",
            type=int,
            default=settings.OUTBOX_LEASE_SECONDS,
            help="Seconds a claim lasts before another worker may retry the rows.",
        )
        parser.add_argument("--sleep", type=float, default=1.0, help="Idle wait in seconds.")
        parser.add_argument(
            "--grace",
            type=int,
            default=STOP_GRACE,
            help="Seconds after SIGTERM before a worker stuck in a call exits anyway.",
        )
        parser.add_argument(
            "--no-jobs",
            action="store_true",
            help="Only send; leave the jobs (reminders, matching rounds, insights) to others.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        worker = Worker(
            batch=max(1, options["batch"]),
            lease=dt.timedelta(seconds=max(1, options["lease"])),
            idle_sleep=options["sleep"],
            stop_grace=max(1, options["grace"]),
        )
        if options["no_jobs"]:
            worker.jobs = []
        counts = worker.run(once=options["once"])
        if options["verbosity"] >= 1:
            summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing due"
            self.stdout.write(f"worker {worker.name}: {summary}")
