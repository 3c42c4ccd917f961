"""`twoway backup` writes a copy that restores to the same data (issue 12, item 17)."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tests.conftest import World
from twoway.people.models import Person

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_backs_up_sqlite_into_a_self_contained_file(world: World, tmp_path: Path) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite path (the PostgreSQL path has its own test)")
    target = tmp_path / "twoway-backup.sqlite3"
    call_command("backup", str(target))
    copy = sqlite3.connect(target)
    names = {row[0] for row in copy.execute("SELECT name FROM people_person")}
    assert names == set(Person.objects.values_list("name", flat=True))
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_it_refuses_to_overwrite_a_file(world: World, tmp_path: Path) -> None:
    target = tmp_path / "exists.bak"
    target.write_text("an older backup")
    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", str(target))
    assert target.read_text() == "an older backup"


def test_it_backs_up_postgresql_with_pg_dump_and_restores(world: World, tmp_path: Path) -> None:
    from tests.conftest import require_postgres

    require_postgres()
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.fail("pg_dump/pg_restore missing although the suite runs on PostgreSQL")
    target = tmp_path / "twoway.dump"
    call_command("backup", str(target))
    params = connection.get_connection_params()
    restored = f"restore_{uuid.uuid4().hex[:8]}"
    admin = {k: params[k] for k in ("host", "port", "user") if params.get(k)}
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        conn.execute(f'CREATE DATABASE "{restored}"')
    try:
        subprocess.run(
            [
                "pg_restore",
                "--no-owner",
                f"--host={params.get('host', '')}",
                f"--port={params.get('port', '')}",
                f"--username={params.get('user', '')}",
                f"--dbname={restored}",
                str(target),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        with psycopg.connect(dbname=restored, **admin) as conn:
            names = {row[0] for row in conn.execute("SELECT name FROM people_person")}
        assert names == set(Person.objects.values_list("name", flat=True))
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
            conn.execute(f'DROP DATABASE "{restored}" WITH (FORCE)')
