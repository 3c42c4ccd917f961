"""Fault tests: the worker against a database that goes away or says nothing.

- PostgreSQL outages during delivery (PostgreSQL only): worker processes send to a loopback
  SMTP server that, right before answering "250" to some messages, cuts every worker's database
  connection (pg_terminate_backend) and refuses new ones for two seconds — the database drops
  exactly between the transport accepting a message and the worker marking it sent. Asserted:
  every worker is still running afterwards (no supervisor restarts them), every message arrives
  exactly once, every row ends sent, and each worker stops cleanly on SIGTERM.
- A silent database (a TCP port that accepts and never answers): the worker does not hang, it
  backs off, and SIGTERM stops it at once; even a call that never returns is ended by the grace
  alarm. These need no PostgreSQL server, only the driver.
"""

from __future__ import annotations

import collections
import datetime as dt
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.db import connection

from tests.conftest import require_postgres
from tests.notifications.servers import SinkHandler, SmtpSink
from tests.notifications.test_crash import TWOWAY, database_url, seed, worker_env
from twoway.lib.crypto import generate_key
from twoway.notifications.models import OutboxMessage, OutboxStatus

# Worker and web processes, started and stopped: seconds each.
pytestmark = pytest.mark.slow

MESSAGES = 300
WORKERS = 3
OUTAGES_AT = (40, 110, 190)  # the n-th message accepted by the SMTP server cuts the database
OUTAGE_SECONDS = 2.0
APP_NAME = "twoway-fault-worker"


class Outages:
    """Cuts the workers' connections and refuses new ones, from a connection to another
    database of the same server (PostgreSQL cannot refuse connections to the current one)."""

    def __init__(self, dbname: str) -> None:
        self.dbname = dbname
        self.admin = psycopg.connect(
            database_url().rsplit("/", 1)[0] + "/postgres", autocommit=True
        )
        self.lock = threading.Lock()
        self.count = 0

    def cut(self) -> None:
        with self.lock:
            self.admin.execute(f'ALTER DATABASE "{self.dbname}" WITH ALLOW_CONNECTIONS false')
            self.admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = %s",
                [APP_NAME],
            )
            self.count += 1
        threading.Timer(OUTAGE_SECONDS, self.restore).start()

    def restore(self) -> None:
        with self.lock:
            self.admin.execute(f'ALTER DATABASE "{self.dbname}" WITH ALLOW_CONNECTIONS true')

    def close(self) -> None:
        self.restore()
        self.admin.close()


class CuttingHandler(SinkHandler):
    def __init__(self, outages: Outages) -> None:
        super().__init__()
        self.outages = outages

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        with self.lock:
            n = len(self.raw)
        if n in OUTAGES_AT:
            # The message is stored; the worker has not yet read our 250, so its mark-sent
            # update is the first statement to meet the outage.
            self.outages.cut()
        return answer


@pytest.mark.django_db(transaction=True)
def test_workers_survive_database_outages_without_losing_or_doubling_a_message() -> None:
    require_postgres()
    expected = set(seed(MESSAGES))
    outages = Outages(connection.settings_dict["NAME"])
    sink = SmtpSink()
    sink.handler = CuttingHandler(outages)
    sink.controller.handler = sink.handler
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with sink:
            env = {**worker_env(sink.port, lease=8), "PGAPPNAME": APP_NAME}
            env["LOG_LEVEL"] = "WARNING"
            cmd = [TWOWAY, "worker", "--no-jobs", "--batch", "5", "--sleep", "0.2"]
            procs = [
                subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                for _ in range(WORKERS)
            ]
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if not OutboxMessage.objects.filter(status=OutboxStatus.PENDING).exists():
                    break
                time.sleep(0.3)
            alive = [p.poll() is None for p in procs]
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            errors = []
            for proc in procs:
                _, err = proc.communicate(timeout=30)
                errors.append(err.decode())
                assert proc.returncode == 0, err.decode()[-2000:]
            delivered = sink.messages
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        outages.close()

    assert outages.count == len(OUTAGES_AT)
    assert all(alive), "a worker exited during an outage"
    copies = collections.Counter(str(m["Message-ID"]).strip() for m in delivered)
    assert set(copies) == expected, "a message was lost"
    assert [mid for mid, n in copies.items() if n > 1] == [], "a message was sent twice"
    assert OutboxMessage.objects.filter(status=OutboxStatus.SENT).count() == MESSAGES
    logs = "\n".join(errors)
    # The window was really exercised: a worker held a sent message while the database was away.
    assert "recording it waits for the database" in logs
    print(f"\n{MESSAGES} messages, {outages.count} outages, 0 lost, 0 duplicated")


class Silent:
    def __init__(self, port: int, held: list[socket.socket]) -> None:
        self.port = port
        self.held = held

    def wait_for_a_caller(self, timeout: float = 30) -> None:
        """The worker installs its SIGTERM handler before it first connects."""
        deadline = time.monotonic() + timeout
        while not self.held and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.held, "the worker never tried the database"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


@pytest.mark.django_db(transaction=True)
def test_a_web_process_does_not_fail_on_a_connection_the_database_dropped() -> None:
    """After a database restart, every pooled connection is dead; without a health check each
    web process answered its next request with an error before reconnecting."""
    require_postgres()
    port = free_port()
    env = {
        **worker_env(0, lease=10),
        "PGAPPNAME": "twoway-fault-web",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    gunicorn = Path(TWOWAY).with_name("gunicorn")
    cmd = [str(gunicorn), "twoway.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert get(url) == 200
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        with psycopg.connect(database_url(), autocommit=True) as admin:
            killed = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = 'twoway-fault-web'"
            ).fetchone()
        assert killed == (1,)  # the web process kept its connection (CONN_MAX_AGE)
        assert [get(url) for _ in range(3)] == [200, 200, 200]
    finally:
        proc.terminate()
        proc.communicate(timeout=20)


@pytest.fixture
def silent_database() -> Iterator[Silent]:
    """A port that accepts TCP connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield Silent(int(server.getsockname()[1]), held)
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def silent_worker(port: int, *extra: str, **env_extra: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.pop("TWOWAY_TEST_DATABASE_URL", None)
    env.update(
        DATABASE_URL=f"postgresql://nobody@127.0.0.1:{port}/twoway",
        DEBUG="0",
        SECRET_KEY="fault-test-secret",
        TWOWAY_ENCRYPTION_KEYS=generate_key(),
        DJANGO_SETTINGS_MODULE="twoway.settings",
        LOG_LEVEL="WARNING",
        **env_extra,
    )
    cmd = [TWOWAY, "worker", "--sleep", "0.2", *extra]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_a_worker_backs_off_from_a_silent_database_and_stops_on_sigterm(
    silent_database: Silent,
) -> None:
    proc = silent_worker(silent_database.port, "--grace", "30", DATABASE_CONNECT_TIMEOUT="2")
    try:
        silent_database.wait_for_a_caller()
        time.sleep(3)  # one connect timeout (2 s) has passed: the worker is backing off
        assert proc.poll() is None, "the worker exited instead of waiting for the database"
        stopped_at = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    # At most one connect timeout (2 s) to finish after SIGTERM, plus a loaded machine's exit:
    # seconds, not the hang for ever of a worker without a connect timeout.
    assert time.monotonic() - stopped_at < 8
    assert "database unavailable, retrying" in err.decode()
    assert "database_errors" in out.decode()


def test_a_worker_stuck_in_a_call_that_never_returns_still_stops(silent_database: Silent) -> None:
    # No connect timeout at all: the connect never returns; the grace alarm ends it.
    proc = silent_worker(silent_database.port, "--grace", "2", DATABASE_CONNECT_TIMEOUT="0")
    try:
        silent_database.wait_for_a_caller()
        time.sleep(0.5)
        stopped_at = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert 1.5 < time.monotonic() - stopped_at < 5
    assert "still busy 2 s after SIGTERM" in err.decode()


@pytest.mark.django_db(transaction=True)
def test_a_job_that_runs_past_the_statement_timeout_is_a_job_failure_not_an_outage() -> None:
    """A slow aggregation cancelled by the statement timeout must show as that job's error,
    not send the worker into database-outage backoff on every tick."""
    require_postgres()
    from django.db import connection as db

    from twoway.lib.jobs import Job
    from twoway.notifications.models import JobTick
    from twoway.notifications.worker import run_due_jobs

    def slow(now: object) -> int:
        with db.cursor() as cursor:
            cursor.execute("SET statement_timeout = 200")
            try:
                cursor.execute("SELECT pg_sleep(2)")
            finally:
                cursor.execute("RESET statement_timeout")
        return 0

    job = Job(name="slow", every=dt.timedelta(minutes=1), run=slow)
    assert run_due_jobs(worker="w", jobs=[job]) == ["slow"]
    tick = JobTick.objects.get(job="slow")
    assert "statement timeout" in tick.error and tick.finished is not None
