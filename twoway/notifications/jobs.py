"""The outbox's own housekeeping, on the worker's clock: old job ticks and old sent messages."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db.models import Q

from twoway.lib.jobs import job
from twoway.notifications.models import JobTick, OutboxMessage, OutboxStatus

JOB_TICKS_KEPT = dt.timedelta(days=7)
# Every reminder job looks back at most a few weeks, and a dedupe key only has to outlive that
# look-back: rows younger than this are never pruned, whatever the setting says.
SHORTEST_RETENTION = dt.timedelta(days=30)
PRUNE_CHUNK = 2000

log = logging.getLogger(__name__)


@job("job_ticks_cleanup", every=dt.timedelta(days=1))
def job_ticks_cleanup(now: dt.datetime) -> int:
    JobTick.objects.filter(tick__lt=now - JOB_TICKS_KEPT).delete()
    return 0


def outbox_retention() -> dt.timedelta:
    return max(dt.timedelta(days=settings.OUTBOX_RETENTION_DAYS), SHORTEST_RETENTION)


@job("outbox_prune", every=dt.timedelta(hours=1))
def outbox_prune(now: dt.datetime) -> int:
    """Delete sent and skipped messages older than OUTBOX_RETENTION_DAYS (default 90), in small
    chunks so the worker never holds a long lock. Failed messages stay until an admin retries
    them or deletes them: they are the ones somebody may still need to look at."""
    cutoff = now - outbox_retention()
    old = OutboxMessage.objects.filter(
        Q(status=OutboxStatus.SENT, sent_at__lt=cutoff)
        | Q(status=OutboxStatus.SKIPPED, due_at__lt=cutoff)
    )
    deleted = 0
    while True:
        ids = list(old.order_by().values_list("id", flat=True)[:PRUNE_CHUNK])
        if not ids:
            if deleted:
                log.info("outbox: pruned %d messages older than %s", deleted, cutoff.date())
            return 0  # the job's count is of messages queued, and it queues none
        deleted += OutboxMessage.objects.filter(id__in=ids).delete()[0]
