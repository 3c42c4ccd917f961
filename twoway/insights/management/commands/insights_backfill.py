from __future__ import annotations

import datetime as dt
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Min
from django.utils import timezone
from tqdm import tqdm

from twoway.accounts.models import Organization
from twoway.insights.aggregate import refresh_org
from twoway.insights.metrics import BY_NAME, METRICS
from twoway.programs.models import Program

CHUNK_DAYS = 60


class Command(BaseCommand):
    help = "Rebuild the program insight tables from history (daily counts and snapshots)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--since",
            type=dt.date.fromisoformat,
            default=None,
            help="First day to rebuild (YYYY-MM-DD); default: the organization's first program.",
        )
        parser.add_argument("--org", default=None, help="Only this organization (its slug).")
        parser.add_argument(
            "--metric",
            action="append",
            default=None,
            help="Recompute only this snapshot metric (repeatable): "
            + ", ".join(m.name for m in METRICS)
            + ". Daily counts are rebuilt either way.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        only = options["metric"]
        unknown = [name for name in only or [] if name not in BY_NAME]
        if unknown:
            raise CommandError(
                f"No insight metric called {', '.join(unknown)}; choose from {', '.join(BY_NAME)}."
            )
        orgs = Organization.objects.filter(programs__isnull=False).distinct().order_by("pk")
        if options["org"]:
            orgs = orgs.filter(slug=options["org"])
            if not orgs.exists():
                raise CommandError(
                    f"No organization with programs has the slug {options['org']!r}."
                )
        started = time.perf_counter()
        for org in orgs:
            today = timezone.localdate()
            first = options["since"]
            if first is None:
                found = Program.objects.filter(organization=org).aggregate(
                    created=Min("created"), started=Min("partnerships__started_on")
                )
                candidates = [d for d in (found["started"],) if d] + (
                    [timezone.localdate(found["created"])] if found["created"] else []
                )
                first = min(candidates) if candidates else today
            chunks = []
            day = first
            while day <= today:
                chunks.append((day, min(day + dt.timedelta(days=CHUNK_DAYS - 1), today)))
                day += dt.timedelta(days=CHUNK_DAYS)
            rows = 0
            with tqdm(
                total=len(chunks),
                desc=org.slug,
                unit="chunk",
                file=sys.stderr,
                disable=not sys.stderr.isatty(),
            ) as bar:
                for i, (start, end) in enumerate(chunks):
                    # Snapshots once, with the last chunk: they are "as of today" anyway.
                    rows += refresh_org(
                        org,
                        start=start,
                        end=end,
                        snapshots=i == len(chunks) - 1,
                        only=only,
                    )
                    bar.update(1)
            if not chunks:
                refresh_org(org, start=today, end=today, only=only)
            self.stdout.write(f"{org.slug}: {rows} daily rows from {first} to {today}.")
        self.stdout.write(f"Done in {time.perf_counter() - started:.1f} s.")
