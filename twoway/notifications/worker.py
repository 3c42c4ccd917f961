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

Database outages. A worker never exits because the database went away (a restart, a failover,
a network cut): every pass of the loop catches database errors, drops the connection and waits
(1 s doubling to 30 s) before trying again, and SIGTERM still stops it during that wait. When
the database drops just after the transport accepted a message, the worker keeps retrying the
mark-sent update (and takes no other row) until the database is back; the message is sent
once as long as the outage is shorter than the lease (OUTBOX_LEASE_SECONDS; after that another
worker may take the row, and the update says so in the log). A worker stuck in a call that never
returns (a database that accepts connections but never answers) still exits STOP_GRACE seconds
after SIGTERM. tests/notifications/test_faults.py terminates the workers' connections during
delivery and checks that no message is lost or doubled.

Stale reminders. A row may carry `expires_at` (reminders do): past it the row is skipped, shown
as such in the outbox, instead of reminding someone of a check-in that is over because the
worker was down or an upgrade took long.

Scheduled jobs. Apps declare them in their own jobs.py (twoway/lib/jobs.py); the worker runs
each once per tick, the (job, tick) row in JobTick being the lock between workers.
"""

from __future__ import annotations

import contextlib
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
from types import FrameType
from typing import Any, NamedTuple

from django.conf import settings
from django.db import (
    Error as DatabaseError,
)
from django.db import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)
from django.db.models import F, Q
from django.utils import timezone

from twoway.lib.jobs import Job, registered
from twoway.notifications.models import (
    ChannelChoice,
    JobTick,
    NotificationPreference,
    NotificationSettings,
    OutboxMessage,
    OutboxStatus,
)
from twoway.notifications.services import channel_for, group_ids, resolve_channel
from twoway.notifications.transports import (
    Transport,
    TransportError,
    build_transports,
    reachable_organizations,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_MAX = dt.timedelta(hours=2)
# Do not start a send with less than this left on the lease.
LEASE_MARGIN = dt.timedelta(seconds=2)
# After a database error the loop waits this long, doubling up to DB_BACKOFF_MAX.
DB_BACKOFF_START = 1.0
DB_BACKOFF_MAX = 30.0
# How often a worker retries recording a message it has sent while the database is away.
RECORD_RETRY_MAX = 2.0
# Seconds after SIGTERM before a worker stuck in a call that never returns is stopped anyway.
STOP_GRACE = 30


# The database is away (as opposed to a query that is wrong): the loop waits and tries again.
OUTAGE = (OperationalError, InterfaceError)


class WorkerStopped(BaseException):
    """Raised by the grace alarm after SIGTERM; a BaseException so no `except Exception` in a
    transport or a job swallows it."""


def _database_answers() -> bool:
    """After an OperationalError: is the database still there (the statement was the problem,
    e.g. it ran past the statement timeout), or has it gone away?"""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        return False


def _drop_connection() -> None:
    # The connection may be half-dead: closing it may fail too, and that is fine.
    with contextlib.suppress(Exception):
        connection.close()


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, … capped at 2 h (attempts counts the one that just failed)."""
    delay: dt.timedelta = BACKOFF_BASE * (2 ** max(attempts - 1, 0))
    return min(delay, BACKOFF_MAX)


def _pending_due(now: dt.datetime) -> Any:
    return OutboxMessage.objects.filter(status=OutboxStatus.PENDING, due_at__lte=now)


class Claim(NamedTuple):
    token: str
    rows: list[OutboxMessage]
    # The `claimed_until` written on the rows: the lease ends then, not `lease` after the
    # claim returned (which may be much later when the database is slow).
    lease_end: dt.datetime


def claim(*, worker: str, limit: int, lease: dt.timedelta) -> Claim:
    """Lease up to `limit` due rows to this worker."""
    now = timezone.now()
    lease_end = now + lease
    token = f"{worker}.{secrets.token_hex(4)}"
    claimable = (
        _pending_due(now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("due_at", "id")
    )
    changes = {
        "claim_token": token,
        "claimed_until": lease_end,
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
        return Claim(token, [], lease_end)
    rows = list(
        OutboxMessage.objects.filter(claim_token=token, status=OutboxStatus.PENDING)
        .select_related("recipient", "organization")
        .order_by("due_at", "id")
    )
    return Claim(token, rows, lease_end)


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
        prefs = self.prefs.get(message.recipient_id, {})
        channel = channel_for(message.kind, prefs, message.channel)
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
    if message.expires_at is not None and message.expires_at <= now:
        # Not an attempt either: nothing was tried.
        _finish(
            message,
            token,
            status=OutboxStatus.SKIPPED,
            attempts=F("attempts") - 1,
            skip_reason=f"too late: its moment passed at {message.expires_at:%Y-%m-%d %H:%M} UTC",
        )
        return "expired"
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
    sent_at = timezone.now()
    _until_recorded(
        message,
        lambda: _finish(
            message,
            token,
            status=OutboxStatus.SENT,
            sent_at=sent_at,
            channel=channel,
            last_error="",
        ),
    )
    return "sent"


def _until_recorded(message: OutboxMessage, write: Callable[[], bool]) -> bool:
    """Run `write` until the database takes it. The message has left: if this worker gave up
    and took other rows, the lease would run out and another worker would send it again."""
    delay = 0.1
    while True:
        try:
            return write()
        except DatabaseError as exc:
            log.warning("outbox %s sent; recording it waits for the database: %s", message.pk, exc)
            _drop_connection()
            time.sleep(delay)
            delay = min(delay * 2, RECORD_RETRY_MAX)


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


def default_jobs() -> list[Job]:
    """Every job the installed apps declare in their jobs.py (twoway/lib/jobs.py)."""
    return registered()


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
        if job.every is None:
            # Every pass; the job guards itself against other workers (lib/jobs.py).
            try:
                job.run(now)
            except OUTAGE:
                if not _database_answers():
                    raise
                log.exception("job %s failed", job.name)
            except Exception:
                log.exception("job %s failed", job.name)
            continue
        tick = tick_of(now, job.every)
        try:
            with transaction.atomic():
                row = JobTick.objects.create(job=job.name, tick=tick, worker=worker)
        except IntegrityError:
            continue
        try:
            row.created_messages = job.run(now)
        except OUTAGE:
            if not _database_answers():
                raise  # the loop backs off; the next tick runs the job again
            # The database is there: the job itself failed (a statement timeout, say).
            log.exception("job %s failed", job.name)
            row.error = traceback.format_exc()[-4000:]
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
    stop_grace: int = STOP_GRACE
    stopping: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    transports: dict[str, Transport] = field(default_factory=lambda: build_transports())

    def stop(self, *_: object) -> None:
        if not self.stopping and self.stop_grace > 0:
            # Normally the loop sees `stopping` within a second; the alarm is for a call that
            # never returns (a database that accepts and then says nothing).
            signal.signal(signal.SIGALRM, self._stop_now)
            signal.alarm(self.stop_grace)
        self.stopping = True

    def _stop_now(self, signum: int, frame: FrameType | None) -> None:
        raise WorkerStopped(f"still busy {self.stop_grace} s after SIGTERM")

    def wait(self, seconds: float) -> None:
        """Sleep, but wake at once on SIGTERM."""
        end = time.monotonic() + seconds
        while not self.stopping and (left := end - time.monotonic()) > 0:
            time.sleep(min(left, 0.1))

    def process_batch(self) -> int:
        """Claim and send one batch; returns how many rows were claimed."""
        token, rows, lease_end = claim(worker=self.name, limit=self.batch, lease=self.lease)
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

    def run_pass(self, *, once: bool) -> bool:
        """One pass of the loop; returns True when the loop should end (with `once`)."""
        close_old_connections()
        if self.jobs:
            run_due_jobs(worker=self.name, jobs=self.jobs)
        if self.process_batch():
            return False
        if once:
            # Drained when nothing is due any more, leased rows included: a row leased by a
            # killed worker comes back when its lease ends.
            if not _pending_due(timezone.now()).exists():
                return True
            self.wait(0.1)
            return False
        self.wait(self.idle_sleep)
        return False

    def run(self, *, once: bool = False) -> dict[str, int]:
        """Loop until SIGTERM; with `once`, run the jobs once and exit when nothing is due."""
        previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        delay = DB_BACKOFF_START
        try:
            while not self.stopping:
                try:
                    if self.run_pass(once=once):
                        break
                    delay = DB_BACKOFF_START
                except DatabaseError as exc:
                    if once:
                        raise  # a one-off run reports the outage rather than waiting it out
                    # A restart, a failover, a cut: never exit, try again a little later.
                    self.counts["database_errors"] = self.counts.get("database_errors", 0) + 1
                    log.warning("database unavailable, retrying in %.0f s: %s", delay, exc)
                    _drop_connection()
                    self.wait(delay)
                    delay = min(delay * 2, DB_BACKOFF_MAX)
        except WorkerStopped as exc:
            log.warning("worker %s: %s; stopping now", self.name, exc)
        finally:
            signal.alarm(0)
            for sig, handler in previous.items():
                if handler is not None:  # None: installed outside Python, cannot be restored
                    signal.signal(sig, handler)
            for transport in self.transports.values():
                transport.close()
        return self.counts
