"""Crash test for webhooks, as tests/notifications/test_crash.py for email: worker processes on
PostgreSQL deliver signed events to a receiver on loopback while some are SIGKILLed.

Asserted: every event reaches the receiver with a valid signature (nothing lost), every row ends
`sent`, and an event arrives twice only inside the outbox's documented at-least-once window: at
most one per kill (a worker has one delivery in flight), which the event's stable `id` lets a
receiver drop.
"""

from __future__ import annotations

import collections
import json
import random
import signal
import subprocess
import time

import pytest
from django.utils import timezone

from tests.conftest import require_postgres
from tests.integrations.webhooks.receiver import Receiver
from tests.notifications.test_crash import TWOWAY, worker_env
from twoway.accounts.models import Organization
from twoway.integrations.webhooks.models import WebhookEndpoint
from twoway.integrations.webhooks.signing import verify
from twoway.lib import crypto
from twoway.notifications.models import OutboxMessage, OutboxStatus

EVENTS = 400
WORKERS = 3
KILLS = 4
SECRET = "whsec_crash"


def seed(url: str) -> set[str]:
    org = Organization.objects.create(name="Crash", slug="crash")
    endpoint = WebhookEndpoint.objects.create(
        organization=org,
        url=url,
        events=["checkin.held"],
        secret_encrypted=crypto.encrypt(SECRET),
    )
    now = timezone.now()
    OutboxMessage.objects.bulk_create(
        OutboxMessage(
            organization=org,
            kind="webhook",
            channel="webhook",
            template="webhook",
            context={
                "endpoint_id": endpoint.pk,
                "event": {
                    "id": f"checkin.held:{i}",
                    "type": "checkin.held",
                    "created": now.isoformat(),
                    "data": {"id": i, "status": "held"},
                },
            },
            dedupe_key=f"webhook:{endpoint.pk}:checkin.held:{i}",
            due_at=now,
        )
        for i in range(EVENTS)
    )
    return {f"checkin.held:{i}" for i in range(EVENTS)}


@pytest.mark.django_db(transaction=True)
def test_no_webhook_is_lost_when_workers_are_killed() -> None:
    require_postgres()
    rng = random.Random(20261201)
    with Receiver(delay=0.01) as receiver:
        expected = seed(receiver.url)
        env = worker_env(0, lease=3)
        # The receiver is on loopback, which deliveries refuse unless told otherwise.
        env["TWOWAY_WEBHOOK_ALLOW_PRIVATE"] = "1"
        cmd = [TWOWAY, "worker", "--no-jobs", "--batch", "5", "--lease", "3", "--sleep", "0.2"]

        def start() -> subprocess.Popen[bytes]:
            return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        live = [start() for _ in range(WORKERS)]
        killed = 0
        deadline = time.monotonic() + 90
        while killed < KILLS and time.monotonic() < deadline:
            target = len(receiver.received) + rng.randint(20, 60)
            while len(receiver.received) < min(target, EVENTS - 30):
                if time.monotonic() > deadline:
                    break
                time.sleep(0.005)
            if len(receiver.received) >= EVENTS - 30:
                break
            victim = live.pop(rng.randrange(len(live)))
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            killed += 1
            live.append(start())
        while time.monotonic() < deadline:
            if not OutboxMessage.objects.filter(status=OutboxStatus.PENDING).exists():
                break
            time.sleep(0.2)
        for proc in live:
            proc.send_signal(signal.SIGTERM)
        for proc in live:
            _, err = proc.communicate(timeout=20)
            # As in tests/notifications/test_crash.py: a worker started moments ago may still be
            # loading Django when SIGTERM comes; it then ends at once, holding nothing.
            clean = proc.returncode == 0 or (proc.returncode == -signal.SIGTERM and not err)
            assert clean, (proc.returncode, err.decode()[-2000:])
        received = list(receiver.received)

    assert killed >= 2, "the workers finished before enough kills: raise EVENTS"
    assert all(verify(SECRET, r.headers["Twoway-Signature"], r.body) for r in received)
    copies = collections.Counter(json.loads(r.body)["id"] for r in received)
    assert set(copies) == expected, "an event was lost"
    assert OutboxMessage.objects.filter(status=OutboxStatus.SENT).count() == EVENTS
    duplicated = sum(1 for n in copies.values() if n > 1)
    print(f"\n{EVENTS} events, {killed} SIGKILLs, {duplicated} delivered twice")
    assert duplicated <= killed
