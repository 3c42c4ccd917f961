"""The load bench, short, in the suite: signed-in participants requesting, answering, logging
check-ins and setting goals at once under gunicorn on PostgreSQL (bench/load.py; the 60-second,
20-client run is the bench itself). Asserted: no server error, no deadlock, nobody over
capacity — the bench exits 1 on any, and its figures say which.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import require_postgres

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def server_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] or "postgres"
    if s["PASSWORD"]:
        auth += f":{s['PASSWORD']}"
    return f"postgresql://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/postgres"


def test_participants_writing_at_once_meet_no_error_deadlock_or_overfull_partner(
    tmp_path: Path,
) -> None:
    require_postgres()
    figures = tmp_path / "load.json"
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": server_url(), "HOME": str(tmp_path)}
    args = ["--seconds", "10", "--clients", "8", "--workers", "2", "--json", str(figures)]
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=600,
    )
    print(run.stdout.decode())
    assert figures.exists(), run.stderr.decode()[-3000:]
    result = json.loads(figures.read_text())
    assert result["failures"] == []
    assert (result["server_errors"], result["deadlocks"], result["capacity_violations"]) == (
        0,
        0,
        0,
    )
    assert run.returncode == 0, run.stdout.decode()[-3000:]
    # It did what it says: every client signed in and asked for peers.
    assert result["kinds"]["sign in"]["count"] == 8
    assert result["kinds"]["request"]["count"] > 0
