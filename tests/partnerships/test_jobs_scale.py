"""The term-end job over a round that ends on one day: its cost per run does not grow with the
number of pairs, and a second run queues nothing (tests/notifications/due.py). The weekly
digest, hourly all week: once a person's digest is queued, the other hours do not read them."""

from __future__ import annotations

import datetime as dt

from tests.conftest import World
from tests.notifications.due import assert_cost_flat, counted
from tests.programs.helpers import make_people
from twoway.notifications.models import NotificationSettings
from twoway.partnerships import jobs


def test_closing_reflections_take_as_many_statements_for_30_pairs_as_for_3(world: World) -> None:
    assert_cost_flat(jobs.closing_reflections, world.acme, second_run_reads=1)


def test_the_hourly_digest_run_reads_nobody_whose_digest_is_queued(world: World) -> None:
    tuesday = dt.datetime(2026, 5, 5, 9, 0, tzinfo=dt.UTC)

    def opt_in(n: int, prefix: str) -> None:
        NotificationSettings.objects.bulk_create(
            NotificationSettings(person=p, weekly_digest=True)
            for p in make_people(world.acme, n, prefix=prefix)
        )

    opt_in(3, "Early")
    assert counted(jobs.weekly_digests, tuesday).queued == 3
    few = counted(jobs.weekly_digests, tuesday + dt.timedelta(hours=1))
    opt_in(27, "Late")
    assert counted(jobs.weekly_digests, tuesday + dt.timedelta(hours=2)).queued == 27
    many = counted(jobs.weekly_digests, tuesday + dt.timedelta(hours=3))
    assert few.queued == many.queued == 0
    assert many.reads == few.reads, (few, many)
