"""The worker: claims due outbox rows, sends them, records every attempt; runs scheduled jobs.

Claiming. A claim is a lease: the worker writes `claim_token` (unique per claim) and
`claimed_until = now + lease` on up to `batch` due rows and counts the attempt. On PostgreSQL the
rows are chosen with `SELECT … FOR UPDATE SKIP LOCKED`, so concurrent workers take disjoint
rows without waiting for one another; elsewhere (SQLite) one conditional UPDATE takes only rows
that are still unclaimed (SQLite runs one writer at a time, so that statement is the lock).
A worker that dies (SIGKILL, OOM, power) simply stops: its rows become claimable again when the
lease runs out and another worker retries them. Nothing is lost.

Recording. Every result is written with `… WHERE id = … AND claim_token = <ours>` right after the
transport returns, in its own autocommitted statement: sent, failed (permanent error, or too many
attempts), retry later with exponential backoff, postponed (quiet hours, pause) or skipped (the
person turned the kind off). A worker never sends a row whose lease is about to expire.

The one window we cannot close. Between the SMTP server accepting a message (its "250 OK" to
the final dot) and our UPDATE that marks it sent there are a few milliseconds in which a SIGKILL
leaves a delivered message looking unsent; after the lease another worker sends it again. No
protocol lets an SMTP server and PostgreSQL commit together, so this is at-least-once with a
window of one message per killed worker, never more (a worker has one message in flight at a
time). We keep the window small (mark-sent is the very next statement, no batching of results)
and make the rare duplicate recognisable: every attempt carries the same Message-ID, derived from
the dedupe key, so mail clients and servers that deduplicate on it show it once.
The crash test (tests/notifications/test_crash.py) asserts exactly this: every message arrives,
and any second copy is of the one message a SIGKILLed worker had in flight.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import signal
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from twoway.notifications.models import (
    ChannelChoice,
    JobTick,
    NotificationPreference,
    NotificationSettings,
    OutboxMessage,
    OutboxStatus,
)
from twoway.notifications.services import group_ids, resolve_channel
from twoway.notifications.transports import (
    Transport,
    TransportError,
    build_transports,
    reachable_organizations,
)
from twoway.programs.rounds import run_pending_rounds

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_MAX = dt.timedelta(hours=2)
# Do not start a send with less than this left on the lease.
LEASE_MARGIN = dt.timedelta(seconds=2)


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, … capped at 2 h (attempts counts the one that just failed)."""
    delay: dt.timedelta = BACKOFF_BASE * (2 ** max(attempts - 1, 0))
    return min(delay, BACKOFF_MAX)


def _pending_due(now: dt.datetime) -> Any:
    return OutboxMessage.objects.filter(status=OutboxStatus.PENDING, due_at__lte=now)


def claim(*, worker: str, limit: int, lease: dt.timedelta) -> tuple[str, list[OutboxMessage]]:
    """Lease up to `limit` due rows to this worker; returns the claim token and the rows."""
    now = timezone.now()
    token = f"{worker}.{secrets.token_hex(4)}"
    claimable = (
        _pending_due(now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("due_at", "id")
    )
    changes = {
        "claim_token": token,
        "claimed_until": now + lease,
        "attempts": F("attempts") + 1,
    }
    if connection.vendor == "postgresql":
        with transaction.atomic():
            ids = list(
                claimable.select_for_update(skip_locked=True).values_list("id", flat=True)[:limit]
            )
            if ids:
                OutboxMessage.objects.filter(id__in=ids).update(**changes)
    else:
        ids = list(claimable.values_list("id", flat=True)[:limit])
        if ids:
            # The same conditions again in the UPDATE: a row another worker took in between
            # is left alone.
            OutboxMessage.objects.filter(id__in=ids, status=OutboxStatus.PENDING).filter(
                Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
            ).update(**changes)
    if not ids:
        return token, []
    rows = list(
        OutboxMessage.objects.filter(claim_token=token, status=OutboxStatus.PENDING)
        .select_related("recipient", "organization")
        .order_by("due_at", "id")
    )
    return token, rows


def _finish(message: OutboxMessage, token: str, **changes: Any) -> bool:
    changes.setdefault("claimed_until", None)
    done = OutboxMessage.objects.filter(pk=message.pk, claim_token=token).update(**changes)
    if not done:
        log.warning("outbox %s: lease lost before the result was recorded", message.pk)
    return bool(done)


def _postpone(message: OutboxMessage, token: str, until: dt.datetime, why: str) -> str:
    # A postponement is not an attempt.
    _finish(message, token, due_at=until, attempts=F("attempts") - 1, claim_token="")
    log.info("outbox %s postponed to %s (%s)", message.pk, until.isoformat(), why)
    return "postponed"


def _group_sender(message: OutboxMessage, group: list[int]) -> int | None:
    """For a group message on Slack: the member whose row posts into the group DM (the lowest
    person id among those who get this kind on Slack). Every member's row computes the same
    answer, so the group DM gets it once whichever worker sends which row."""
    base = message.dedupe_key.rsplit(":", 1)[0]
    on_slack = []
    for other in OutboxMessage.objects.filter(
        dedupe_key__in=[f"{base}:{pk}" for pk in group]
    ).select_related("recipient"):
        if other.recipient_id is not None and resolve_channel(other) == ChannelChoice.SLACK:
            on_slack.append(other.recipient_id)
    return min(on_slack) if on_slack else None


@dataclass
class BatchInfo:
    """What the batch's recipients chose, read in three queries for the whole batch rather than
    three per message (the worker's throughput is its query count)."""

    settings: dict[int, NotificationSettings]
    prefs: dict[int, dict[str, str]]
    slack_orgs: set[int]

    @classmethod
    def load(cls, rows: list[OutboxMessage]) -> BatchInfo:
        people = {m.recipient_id for m in rows}
        prefs: dict[int, dict[str, str]] = {}
        for person_id, kind, channel in NotificationPreference.objects.filter(
            person_id__in=people
        ).values_list("person_id", "kind", "channel"):
            prefs.setdefault(person_id, {})[kind] = channel
        return cls(
            settings={
                s.person_id: s for s in NotificationSettings.objects.filter(person_id__in=people)
            },
            prefs=prefs,
            slack_orgs=reachable_organizations(
                ChannelChoice.SLACK, {m.organization_id for m in rows}
            ),
        )

    def channel(self, message: OutboxMessage) -> str:
        if message.recipient_id is None:
            return ChannelChoice.EMAIL
        channel = self.prefs.get(message.recipient_id, {}).get(message.kind, message.channel)
        if channel == ChannelChoice.SLACK and message.organization_id not in self.slack_orgs:
            return ChannelChoice.EMAIL
        return channel


def send_one(
    message: OutboxMessage,
    token: str,
    transports: dict[str, Transport],
    lease_end: dt.datetime,
    info: BatchInfo | None = None,
) -> str:
    """Send one claimed row and record the outcome; returns it (for logs and tests)."""
    info = info or BatchInfo.load([message])
    now = timezone.now()
    person = message.recipient
    if person is None:
        # A plain address (an HR contact, a password reset): no preferences, always email. A row
        # for a machine (a webhook endpoint, no address) goes on the channel it names.
        channel = ChannelChoice.EMAIL if message.recipient_email else message.channel
        return _deliver(message, token, transports, lease_end, channel)
    if not person.is_active or person.left_on is not None:
        _finish(message, token, status=OutboxStatus.SKIPPED, skip_reason="the person has left")
        return "skipped"
    prefs = info.settings.get(person.pk) or NotificationSettings(person=person)
    if prefs.paused_until and prefs.paused_until > now:
        return _postpone(message, token, prefs.paused_until, "paused")
    quiet_end = prefs.quiet_until(now, person.time_zone)
    if quiet_end is not None:
        return _postpone(message, token, quiet_end, "quiet hours")
    channel = info.channel(message)
    if channel == ChannelChoice.OFF:
        _finish(
            message,
            token,
            status=OutboxStatus.SKIPPED,
            skip_reason=f"{message.kind} is turned off by the recipient",
        )
        return "skipped"
    group = group_ids(message) if channel == ChannelChoice.SLACK else []
    if group:
        sender = _group_sender(message, group)
        if sender is not None and sender != person.pk:
            _finish(
                message,
                token,
                status=OutboxStatus.SKIPPED,
                channel=channel,
                skip_reason="sent once to the group DM",
            )
            return "skipped"
    return _deliver(message, token, transports, lease_end, channel)


def _deliver(
    message: OutboxMessage,
    token: str,
    transports: dict[str, Transport],
    lease_end: dt.datetime,
    channel: str,
) -> str:
    if timezone.now() > lease_end - LEASE_MARGIN:
        _finish(message, token, attempts=F("attempts") - 1, claim_token="")
        return "released"
    try:
        transports[channel].send(message, delivery_id=token)
    except TransportError as exc:
        return _failed(
            message, token, str(exc), permanent=exc.permanent, relay=exc.relay, channel=channel
        )
    except Exception as exc:
        # A bug (a missing template, bad context) is retried too: it may be fixed by a deploy,
        # and after MAX_ATTEMPTS it shows in the admin list with its traceback.
        detail = "".join(traceback.format_exception_only(exc)).strip()
        log.exception("outbox %s: unexpected error", message.pk)
        return _failed(message, token, detail, permanent=False, channel=channel)
    # Mark sent at once: this statement is the end of the at-least-once window (module doc).
    _finish(
        message,
        token,
        status=OutboxStatus.SENT,
        sent_at=timezone.now(),
        channel=channel,
        last_error="",
    )
    return "sent"


def _failed(
    message: OutboxMessage,
    token: str,
    error: str,
    *,
    permanent: bool,
    channel: str,
    relay: bool = False,
) -> str:
    attempts = message.attempts  # already counts this attempt (claim increments it)
    # A relay that is down or refuses us says nothing about this message: it keeps waiting
    # (backoff up to BACKOFF_MAX) rather than failing with the rest of the queue.
    if permanent or (attempts >= MAX_ATTEMPTS and not relay):
        if not permanent:
            error = f"gave up after {attempts} attempts: {error}"
        _finish(
            message,
            token,
            status=OutboxStatus.FAILED,
            failed_permanently=True,
            last_error=error[:4000],
            channel=channel,
        )
        log.warning("outbox %s failed: %s", message.pk, error)
        return "failed"
    _finish(
        message,
        token,
        last_error=error[:4000],
        due_at=timezone.now() + backoff(attempts),
        claim_token="",
    )
    log.info("outbox %s will retry: %s", message.pk, error)
    return "retry"


# --- scheduled jobs --------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    name: str
    every: dt.timedelta
    run: Callable[[dt.datetime], int]


def default_jobs() -> list[Job]:
    from twoway.insights.aggregate import run_job as insights_job
    from twoway.notifications import rules

    return [
        Job("reminders", dt.timedelta(minutes=1), rules.run_frequent),
        Job("weekly", dt.timedelta(hours=1), rules.run_hourly),
        Job("cleanup", dt.timedelta(days=1), rules.cleanup),
        # Program insights: yesterday and today's counts and snapshots (twoway.insights).
        Job("insights", dt.timedelta(hours=1), insights_job),
    ]


def tick_of(now: dt.datetime, every: dt.timedelta) -> dt.datetime:
    seconds = int(every.total_seconds())
    epoch = int(now.timestamp()) // seconds * seconds
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


def run_due_jobs(*, worker: str, jobs: list[Job], now: dt.datetime | None = None) -> list[str]:
    """Run each job whose current tick nobody has taken yet. The unique (job, tick) row is the
    lock: of several workers waking in the same minute, one inserts it and runs the job."""
    now = now or timezone.now()
    ran = []
    for job in jobs:
        tick = tick_of(now, job.every)
        try:
            with transaction.atomic():
                row = JobTick.objects.create(job=job.name, tick=tick, worker=worker)
        except IntegrityError:
            continue
        try:
            row.created_messages = job.run(now)
        except Exception:
            log.exception("job %s failed", job.name)
            row.error = traceback.format_exc()[-4000:]
        row.finished = timezone.now()
        row.save(update_fields=["created_messages", "error", "finished"])
        ran.append(job.name)
    return ran


# --- the loop --------------------------------------------------------------------------------


@dataclass
class Worker:
    name: str = field(default_factory=lambda: f"{socket.gethostname()}.{os.getpid()}")
    batch: int = 10
    lease: dt.timedelta = field(
        default_factory=lambda: dt.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    )
    idle_sleep: float = 1.0
    jobs: list[Job] = field(default_factory=default_jobs)
    matching_rounds: bool = True
    stopping: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    transports: dict[str, Transport] = field(default_factory=lambda: build_transports())

    def stop(self, *_: object) -> None:
        self.stopping = True

    def process_batch(self) -> int:
        """Claim and send one batch; returns how many rows were claimed."""
        token, rows = claim(worker=self.name, limit=self.batch, lease=self.lease)
        lease_end = timezone.now() + self.lease
        info = BatchInfo.load(rows) if rows else None
        for i, message in enumerate(rows):
            if self.stopping:
                # SIGTERM: hand the rest back at once instead of waiting for the lease.
                OutboxMessage.objects.filter(
                    pk__in=[m.pk for m in rows[i:]], claim_token=token
                ).update(claimed_until=None, claim_token="", attempts=F("attempts") - 1)
                break
            outcome = send_one(message, token, self.transports, lease_end, info)
            self.counts[outcome] = self.counts.get(outcome, 0) + 1
        return len(rows)

    def run(self, *, once: bool = False) -> dict[str, int]:
        """Loop until SIGTERM; with `once`, run the jobs once and exit when nothing is due."""
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        try:
            while not self.stopping:
                close_old_connections()
                if self.jobs:
                    run_due_jobs(worker=self.name, jobs=self.jobs)
                if self.matching_rounds:
                    # Queued matching rounds start at once, not on the next minute's tick; the
                    # round's own conditional claim keeps two workers from running one round.
                    run_pending_rounds(limit=1)
                if self.process_batch():
                    continue
                if once:
                    # Drained when nothing is due any more, leased rows included: a row leased
                    # by a killed worker comes back when its lease ends.
                    if not _pending_due(timezone.now()).exists():
                        break
                    time.sleep(0.1)
                    continue
                time.sleep(self.idle_sleep)
        finally:
            for transport in self.transports.values():
                transport.close()
        return self.counts
