"""The goals prompt over a round matched on one day: its cost per run does not grow with the
number of pairs, and a second run queues nothing (tests/notifications/due.py)."""

from __future__ import annotations

from tests.conftest import World
from tests.notifications.due import assert_cost_flat
from twoway.goals import jobs


def test_goals_not_set_takes_as_many_statements_for_30_pairs_as_for_3(world: World) -> None:
    assert_cost_flat(jobs.goals_not_set, world.acme, second_run_reads=1)
