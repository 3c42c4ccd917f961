"""The fit check and feedback reminders over a round whose pairs all met on one day: their cost
per run does not grow with the number of pairs, and a second run queues nothing
(tests/notifications/due.py)."""

from __future__ import annotations

from tests.conftest import World
from tests.notifications.due import assert_cost_flat
from twoway.feedback import jobs


def test_fit_checks_take_as_many_statements_for_30_pairs_as_for_3(world: World) -> None:
    assert_cost_flat(jobs.fit_checks, world.acme, second_run_reads=1)


def test_feedback_reminders_take_as_many_statements_for_30_pairs_as_for_3(world: World) -> None:
    assert_cost_flat(jobs.feedback_reminders, world.acme, second_run_reads=1)
