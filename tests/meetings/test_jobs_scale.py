"""The check-in jobs over a round whose pairs all meet at the same times: their cost per run
does not grow with the number of pairs, and a second run queues nothing
(tests/notifications/due.py)."""

from __future__ import annotations

from tests.conftest import World
from tests.notifications.due import assert_cost_flat
from twoway.meetings import jobs


def test_checkin_reminders_take_as_many_statements_for_30_pairs_as_for_3(world: World) -> None:
    assert_cost_flat(jobs.checkin_reminders, world.acme)


def test_did_you_meet_takes_as_many_statements_for_30_pairs_as_for_3(world: World) -> None:
    assert_cost_flat(jobs.did_you_meet, world.acme, second_run_reads=1)


def test_cadence_nudges_take_as_many_statements_for_30_pairs_as_for_3(world: World) -> None:
    assert_cost_flat(jobs.cadence_nudges, world.acme)
