"""bench/jobs.py at 3 pairs, so the instrument cannot rot between runs: every per-minute job
about pairs is in it, and at the bench's moment each pair is due for each of them (the bench
itself checks two messages per pair on the first run and none on the second)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.notifications.due import due_program
from twoway.accounts.models import Organization
from twoway.lib.jobs import registered

BENCH = Path(__file__).resolve().parents[2] / "bench" / "jobs.py"
# Per-minute jobs about requests, not pairs: a round's pairs do not make them grow.
NOT_ABOUT_PAIRS = {"request_reminders", "request_expiry", "closed_program_requests"}


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_jobs", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Dataclasses look their module up by name while the file runs.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.django_db
def test_it_times_every_per_minute_job_about_pairs() -> None:
    bench = _bench()
    every_minute = {j.name for j in registered() if j.every == dt.timedelta(minutes=1)}
    assert set(bench.JOBS) == every_minute - NOT_ABOUT_PAIRS
    org = Organization.objects.create(name="Bench", slug="bench")
    figures = bench.measure(due_program(org), 3)
    for name, (first, second, digest) in figures.items():
        assert first.statements > 0 and second.statements > 0, name
        assert len(digest) == 12
