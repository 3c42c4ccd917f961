"""Same input and seed, same result, whatever the machine is doing.

The local search of large cohorts used to run to a wall-clock deadline, so a busy machine
stopped it earlier and gave another total. It now stops on a work budget (rounds of pair
swaps); the time limit is only a safety cap, and a result it cut short says so.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import twoway.matching.candidates as cand
import twoway.matching.engine as engine
import twoway.matching.solvers as solvers
from twoway.matching import MatchSettings, match
from twoway.matching.synthetic import company

BURN = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"


@pytest.mark.slow
def test_a_20000_person_cohort_gets_the_same_groups_on_a_busy_machine() -> None:
    people = company(20_000, seed=3)
    settings = MatchSettings(seed=3)
    quiet = match(people, settings)
    # One CPU burner per core (bounded: they stop by themselves after two minutes).
    burners = [
        subprocess.Popen([sys.executable, "-c", BURN.format(seconds=120)])
        for _ in range(os.cpu_count() or 2)
    ]
    try:
        busy = match(list(people), settings)
    finally:
        for proc in burners:
            proc.kill()
            proc.wait()
    assert quiet.heuristic and busy.heuristic  # the large path, with its local search
    assert not quiet.time_capped and not busy.time_capped
    assert busy.total_weight == quiet.total_weight
    assert busy.upper_bound == quiet.upper_bound
    assert [g.members for g in busy.groups] == [g.members for g in quiet.groups]
    assert [(u.id, u.reason) for u in busy.unmatched] == [(u.id, u.reason) for u in quiet.unmatched]


def test_the_safety_time_limit_is_reported_when_it_stops_the_search(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cand, "FULL_LIMIT", 10)
    monkeypatch.setattr(cand, "EXACT_SCAN_LIMIT", 10)
    monkeypatch.setattr(solvers, "EXACT_LIMIT", 10)
    monkeypatch.setattr(engine, "EXACT_LIMIT", 10)
    people = company(1500, seed=4)
    budget = match(people, MatchSettings())
    assert budget.heuristic and not budget.time_capped
    capped = match(people, MatchSettings(time_limit_seconds=1e-9))
    assert capped.time_capped
    # Cut short, it is still a valid pairing under the same certified bound.
    assert capped.pair_weight <= capped.upper_bound
    assert capped.pair_weight <= budget.pair_weight
