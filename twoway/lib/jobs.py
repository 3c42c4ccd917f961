"""Periodic work, declared by the app that owns it.

Each app puts its jobs in its own `jobs.py`:

    from twoway.lib.jobs import job

    @job("request_reminders", every=dt.timedelta(minutes=1))
    def request_reminders(now: dt.datetime) -> int:
        ...  # returns how many messages it queued

`registered()` imports every installed app's `jobs` module (Django's autodiscovery, as the admin
finds `admin.py`) and returns the jobs; `twoway worker` runs them. A job with `every=None` runs
on every pass of the worker loop instead of once per tick (matching rounds start within a
second of being queued); such a job must guard itself against two workers running it at once.

Why not a scheduler library: Celery beat, APScheduler's job stores and django-q all want a
broker or their own tables and processes, while the worker already has a clock and a lock that
works on SQLite and PostgreSQL alike (one `JobTick` row per job and tick, see
twoway/notifications/worker.py). This module imports no app: it only keeps the list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.module_loading import autodiscover_modules

JobFunction = Callable[[dt.datetime], int]


@dataclass(frozen=True)
class Job:
    name: str
    every: dt.timedelta | None
    run: JobFunction

    @property
    def each_pass(self) -> bool:
        return self.every is None


_registry: dict[str, Job] = {}
_discovered = False


def job(name: str, *, every: dt.timedelta | None) -> Callable[[JobFunction], JobFunction]:
    """Register `fn(now) -> int` as the job `name`, run once per `every` by one worker."""
    if every is not None and every < dt.timedelta(minutes=1):
        raise ValueError(f"job {name}: the worker's clock ticks once a minute at most")

    def register(fn: JobFunction) -> JobFunction:
        found = _registry.get(name)
        # The same function imported twice (a test runner's import mode) is the same job.
        if found is not None and _where(found.run) != _where(fn):
            raise ValueError(f"two jobs are named {name!r}: {found.run} and {fn}")
        _registry[name] = Job(name=name, every=every, run=fn)
        return fn

    return register


def _where(fn: JobFunction) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def autodiscover() -> None:
    global _discovered
    if not _discovered:
        autodiscover_modules("jobs")
        _discovered = True


def registered() -> list[Job]:
    """Every job of every installed app, in a stable order."""
    autodiscover()
    return sorted(_registry.values(), key=lambda j: j.name)


def get(name: str) -> Job:
    autodiscover()
    return _registry[name]
