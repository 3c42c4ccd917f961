"""`twoway backup FILE`: a consistent copy of the database while the app keeps running.

SQLite: `VACUUM INTO`, which reads one snapshot (WAL mode lets the web and the worker go on
writing) and writes a compact, self-contained file — never a plain file copy, which can catch the
database half-written and misses what is still in the -wal file. PostgreSQL: `pg_dump` in its
custom format (restore with `pg_restore`). The encryption keys are not in the database: back them
up separately, or private notes cannot be read after a restore.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection


class Command(BaseCommand):
    help = (
        "Write a consistent backup of the database to FILE while the app runs "
        "(SQLite: VACUUM INTO; PostgreSQL: pg_dump --format=custom). Back up the encryption "
        "keys separately."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="Where to write the backup (must not exist).")

    def handle(self, *args: Any, **options: Any) -> None:
        target: Path = options["file"].resolve()
        if target.exists():
            raise CommandError(f"{target} already exists; choose a new file name.")
        if not target.parent.is_dir():
            raise CommandError(f"{target.parent} is not a folder.")
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM INTO %s", [str(target)])
        elif connection.vendor == "postgresql":
            self._pg_dump(target)
        else:
            raise CommandError(f"backups of {connection.vendor} are not supported")
        self.stdout.write(f"Backup written to {target} ({target.stat().st_size:,} bytes).")
        self.stdout.write("Keep the encryption keys (TWOWAY_ENCRYPTION_KEYS) with it, apart.")

    def _pg_dump(self, target: Path) -> None:
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise CommandError("pg_dump is not on the PATH (install the PostgreSQL client).")
        params = connection.get_connection_params()
        env = dict(os.environ)
        if params.get("password"):
            env["PGPASSWORD"] = str(params["password"])
        command = [pg_dump, "--format=custom", "--no-owner", f"--file={target}"]
        for flag, key in (("--host", "host"), ("--port", "port"), ("--username", "user")):
            if params.get(key):
                command.append(f"{flag}={params[key]}")
        command.append(f"--dbname={params['dbname']}")
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            target.unlink(missing_ok=True)
            raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
