from __future__ import annotations

import datetime as dt

from twoway.notifications.models import OutboxMessage
from twoway.notifications.worker import Worker


def drain(max_batches: int = 100) -> dict[str, int]:
    """Send everything due now, in this process, without the scheduled jobs."""
    worker = Worker(name="test", jobs=[], lease=dt.timedelta(seconds=60))
    try:
        for _ in range(max_batches):
            if not worker.process_batch():
                break
    finally:
        for transport in worker.transports.values():
            transport.close()
    return worker.counts


def row(key: str) -> OutboxMessage:
    return OutboxMessage.objects.get(dedupe_key=key)
