"""Crash test: several worker processes on PostgreSQL, some SIGKILLed mid-run, a real SMTP sink.

What is asserted, exactly:
- nothing is lost: every one of the N messages reaches the sink, and every row ends `sent`;
- nothing is doubled except inside the documented window (twoway/notifications/worker.py): a
  second copy of a message is allowed only when its first copy was delivered by a worker that we
  SIGKILLed (traced by the X-Twoway-Delivery header: host.pid.claim), that message's row shows
  a second attempt, and there are at most as many such messages as kills (a worker has one
  message in flight). In practice the count is usually 0; the test prints it.
The sink does not deduplicate anything: it keeps every copy it accepts.
"""

from __future__ import annotations

import collections
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import require_postgres
from tests.notifications.reminders import queue_reminders, twenty_people
from tests.notifications.servers import SmtpSink
from twoway.accounts.models import Organization
from twoway.notifications.models import OutboxMessage, OutboxStatus

MESSAGES = 2000
WORKERS = 4
KILLS = 6
TWOWAY = str(Path(sys.executable).with_name("twoway"))


def database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] or "postgres"
    if s["PASSWORD"]:
        auth += f":{s['PASSWORD']}"
    return f"postgresql://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def worker_env(smtp_port: int, lease: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(),
        DEBUG="0",
        SECRET_KEY="crash-test-secret",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_USE_TLS="0",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        BASE_URL=settings.BASE_URL,  # Message-IDs take their domain from it
        LOG_LEVEL="WARNING",
        OUTBOX_LEASE_SECONDS=str(lease),
        DJANGO_SETTINGS_MODULE="twoway.settings",
    )
    env.pop("TWOWAY_TEST_DATABASE_URL", None)
    return env


def seed(n: int) -> list[str]:
    org = Organization.objects.create(name="Crash", slug="crash")
    queue_reminders(org, twenty_people(org), n, "crash")
    return [m.message_id for m in OutboxMessage.objects.all()]


def delivery_pid(token: str) -> int:
    return int(token.strip().rsplit(".", 2)[1])


@pytest.mark.django_db(transaction=True)
def test_it_delivers_every_message_despite_sigkilled_workers() -> None:
    require_postgres()
    expected = set(seed(MESSAGES))
    rng = random.Random(20260506)
    started = time.monotonic()
    with SmtpSink() as sink:
        env = worker_env(sink.port, lease=3)
        cmd = [TWOWAY, "worker", "--no-jobs", "--batch", "5", "--lease", "3", "--sleep", "0.2"]

        def start() -> subprocess.Popen[bytes]:
            return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        live = [start() for _ in range(WORKERS)]
        killed: set[int] = set()
        deadline = time.monotonic() + 60
        # Kill a random worker whenever the sink has made some progress, then start a new one.
        while len(killed) < KILLS and time.monotonic() < deadline:
            target = sink.count + rng.randint(40, 160)
            while sink.count < min(target, MESSAGES - 50) and time.monotonic() < deadline:
                time.sleep(0.005)
            if sink.count >= MESSAGES - 50:
                break
            victim = live.pop(rng.randrange(len(live)))
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            killed.add(victim.pid)
            live.append(start())
        while time.monotonic() < deadline:
            if not OutboxMessage.objects.filter(status=OutboxStatus.PENDING).exists():
                break
            time.sleep(0.2)
        for proc in live:
            proc.send_signal(signal.SIGTERM)
        for proc in live:
            _, err = proc.communicate(timeout=20)
            # A worker started moments ago may still be loading Django when SIGTERM comes: it
            # then ends at once, holding nothing. One that was running finishes cleanly (0).
            clean = proc.returncode == 0 or (proc.returncode == -signal.SIGTERM and not err)
            assert clean, (proc.returncode, err.decode()[-2000:])
        delivered = sink.messages

    assert len(killed) >= 3, "the workers finished before enough kills: raise MESSAGES"
    assert OutboxMessage.objects.filter(status=OutboxStatus.SENT).count() == MESSAGES
    copies = collections.Counter(str(m["Message-ID"]).strip() for m in delivered)
    assert set(copies) == expected, "a message was lost"
    duplicated = {mid: n for mid, n in copies.items() if n > 1}
    print(
        f"\n{MESSAGES} messages, {len(killed)} SIGKILLs, {len(duplicated)} duplicated, "
        f"{time.monotonic() - started:.1f} s"
    )
    assert len(duplicated) <= len(killed)
    rows = {m.message_id: m for m in OutboxMessage.objects.all()}
    for mid, n in duplicated.items():
        assert n == 2
        first = next(m for m in delivered if str(m["Message-ID"]).strip() == mid)
        assert delivery_pid(str(first["X-Twoway-Delivery"])) in killed
        assert rows[mid].attempts >= 2
