"""The term-end job over a round that ends on one day: its cost per run does not grow with the
number of pairs, and a second run queues nothing (tests/notifications/due.py)."""

from __future__ import annotations

from tests.conftest import World
from tests.notifications.due import assert_cost_flat
from twoway.partnerships import jobs


def test_closing_reflections_take_as_many_statements_for_30_pairs_as_for_3(world: World) -> None:
    assert_cost_flat(jobs.closing_reflections, world.acme, second_run_reads=1)
