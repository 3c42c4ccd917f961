"""twoway import_people FILE.csv --org SLUG [--dry-run] [--yes] [--deactivate-missing]

Prints the preview (counts, every error by row and column, unknown columns), then asks before
writing anything. `--yes` answers the question; a file that would make more than 10 % of the
active people leave also needs `--confirm-deactivations N` with the exact number (or typing it).
Exit status: 0 done (or nothing to do, or a dry run), 1 refused or cancelled, 2 errors in the file.
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from twoway.accounts.models import Organization
from twoway.directory.records import decode
from twoway.directory.services import (
    DirectoryError,
    directory_import_apply,
    directory_import_preview,
)


class Command(BaseCommand):
    help = "Import people from an HR export (CSV): preview, confirm, then write in one go."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the CSV file")
        parser.add_argument("--org", required=True, help="the organization's slug")
        parser.add_argument("--dry-run", action="store_true", help="preview only; write nothing")
        parser.add_argument("--yes", action="store_true", help="apply without asking")
        parser.add_argument(
            "--deactivate-missing",
            action="store_true",
            help="the file lists everyone: active people who are not in it have left (today)",
        )
        parser.add_argument(
            "--confirm-deactivations",
            type=int,
            default=None,
            metavar="N",
            help="needed with --yes when more than 10%% of active people would leave",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organization.objects.filter(slug=options["org"]).first()
        if org is None:
            raise CommandError(f"No organization with the slug {options['org']!r}.")
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from None
        text = decode(data)
        sha256 = hashlib.sha256(text.encode()).hexdigest()
        started = time.perf_counter()
        preview = directory_import_preview(
            organization=org,
            actor=None,
            filename=path.name,
            data=text,
            deactivate_missing=options["deactivate_missing"],
        )
        summary = preview.summary
        counts = summary["counts"]
        out = self.stdout
        out.write(f"{path.name} (sha256 {sha256[:16]}…) for {org.name}:")
        out.write(
            f"  create {counts['create']}, update {counts['update']}, "
            f"deactivate {counts['deactivate']}, unchanged {counts['unchanged']}, "
            f"errors {counts['errors']}  ({time.perf_counter() - started:.1f} s)"
        )
        for w in summary["warnings"]:
            out.write(f"  note: {w['message']}")
        for name in ("new_departments", "new_teams", "new_skills"):
            if summary[name]:
                label = name.replace("new_", "new ")
                shown = ", ".join(summary[name][:20])
                more = len(summary[name]) - 20
                out.write(f"  {label}: {shown}{f' … (+{more})' if more > 0 else ''}")
        if summary["errors"]:
            for e in summary["errors"]:
                where = f"row {e['row']}" + (f", {e['column']}" if e["column"] else "")
                self.stderr.write(f"{path.name}: {where}: {e['message']}")
            self.stderr.write("Nothing was written.")
            sys.exit(2)
        if options["dry_run"]:
            out.write("Dry run: nothing was written.")
            return
        if not (counts["create"] or counts["update"] or counts["deactivate"]):
            out.write("The directory already matches this file: nothing to do.")
            return
        confirm = False
        if summary["needs_leave_confirmation"]:
            n = counts["deactivate"]
            share = 100 * summary["leave_share"]
            out.write(
                f"  {n} of {summary['active_before']} active people would leave ({share:.1f} %)."
            )
            if options["confirm_deactivations"] is not None:
                confirm = options["confirm_deactivations"] == n
                if not confirm:
                    self.stderr.write(f"--confirm-deactivations must be {n}; nothing was written.")
                    sys.exit(1)
            elif options["yes"] or not sys.stdin.isatty():
                self.stderr.write(
                    f"More than 10 % would leave: add --confirm-deactivations {n}. "
                    "Nothing was written."
                )
                sys.exit(1)
            else:
                answer = input(f"Type {n} to confirm that they have left: ").strip()
                confirm = answer == str(n)
                if not confirm:
                    self.stderr.write("Cancelled; nothing was written.")
                    sys.exit(1)
        if not options["yes"]:
            if not sys.stdin.isatty():
                self.stderr.write("Add --yes to apply without a terminal; nothing was written.")
                sys.exit(1)
            if input("Apply these changes? [y/N] ").strip().lower() not in {"y", "yes"}:
                self.stderr.write("Cancelled; nothing was written.")
                sys.exit(1)
        started = time.perf_counter()
        try:
            applied = directory_import_apply(
                directory_import=preview,
                actor=None,
                sha256=sha256,
                confirm_deactivations=confirm,
                source="command line",
            )
        except DirectoryError as exc:
            self.stderr.write(f"{exc} Nothing was written.")
            sys.exit(1)
        done = applied.summary["applied"]
        out.write(
            f"Imported in {time.perf_counter() - started:.1f} s: created {done['create']}, "
            f"updated {done['update']}, deactivated {done['deactivate']}, "
            f"unchanged {done['unchanged']}."
        )
