"""Load test: signed-in participants writing at once, under gunicorn on PostgreSQL.

    .venv/bin/python bench/load.py                        # starts a throwaway PostgreSQL
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/load.py
    .venv/bin/python bench/load.py --seconds 10 --clients 8 --json out.json

With DATABASE_URL (a server you may create databases on) it creates and drops the database
`twoway_load` there; without it, it runs a cluster of its own in a temporary directory (as user
postgres when run as root) and also reads that cluster's log.

It seeds one organization with a self-match program and one participant per client (capacity
1 to 3 partners each), starts gunicorn (`twoway.wsgi`, `--workers` sync workers on 127.0.0.1),
and runs `--clients` threads for `--seconds`. Each thread has its own HTTP session, signs in
through the sign-in form as its participant and then acts as one would, with CSRF tokens read
from the pages: answers the requests waiting for it (two accepts for each decline), asks a
peer from the program's peers page, logs a check-in, sets a goal (some private), moves one of
its goals on, and now and then ends a partnership so that room opens up again.

It prints, per kind of request, how many and their latencies, then three figures that must be
0: server errors (HTTP 5xx, or no answer at all), deadlocks (the largest of: the change in
pg_stat_database.deadlocks, read after gunicorn closed its connections; "deadlock detected"
errors in PostgreSQL's log, when this script started the server; deadlock tracebacks in
gunicorn's log), and capacity violations (an SQL check at the end: nobody in more open
partnerships of the program than their capacity). The exit status is 1 when any is not 0.
With the request locks reverted to a plain select_for_update() (which also locks the joined
Person, Program and Organization rows), a 60-second run of 20 clients gave 1 server error and 1
deadlock (the pages then answer 500 at the commit of request_send).
The reference ratio is requests per second under load over the rate of one client alone (the
serial pass runs first, for a few seconds).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.postgres_cluster import NoPostgres, postgres_cluster  # noqa: E402

BIN = Path(sys.executable).parent
DATABASE = "twoway_load"
ORG = "load"
PASSWORD = "load-test horse battery staple"

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
RESPOND = re.compile(rf'action="/o/{ORG}/requests/(\d+)/respond/"')
PEER = re.compile(rf'href="/o/{ORG}/programs/(\d+)/peers/(\d+)/request/"')
PARTNERSHIP = re.compile(rf'href="/o/{ORG}/partnerships/(\d+)/"')
GOAL_LINK = re.compile(rf'href="/o/{ORG}/partnerships/\d+/goals/(\d+)/">([^<]*)</a>')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    admin_url: str
    log: Path | None  # PostgreSQL's log, when this script started the server


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[Server]:
    try:
        with postgres_cluster(prefix="twoway-load-pg-", settings="-c max_connections=50") as found:
            yield Server(found.admin_url, found.log)
    except NoPostgres as exc:
        sys.exit(f"no DATABASE_URL and {exc}")


# --- seeding ---------------------------------------------------------------------------------


def seed(clients: int, rng: random.Random) -> list[str]:
    """One organization, a self-match program, one participant per client; returns emails."""
    from twoway.accounts.models import Membership, Organization, Role, User
    from twoway.people.models import Person
    from twoway.programs.models import Enrolment, Program, ProgramStatus

    org = Organization.objects.create(name="Load", slug=ORG)
    program = Program.objects.create(
        organization=org,
        name="Peers under load",
        status=ProgramStatus.OPEN,
        max_open_requests=3,
        max_level_gap=10,
        allow_repeats=True,  # ended pairs may meet again: the run keeps finding requests to send
    )
    emails = []
    for i in range(clients):
        email = f"p{i:02}@load.example"
        user = User.objects.create_user(email, PASSWORD, name=f"Peer {i:02}")
        Membership.objects.create(user=user, organization=org, role=Role.PARTICIPANT)
        person = Person.objects.create(
            organization=org, user=user, name=f"Peer {i:02}", email=email, level=3
        )
        Enrolment.objects.create(
            program=program, person=person, offers={"0": 1}, capacity=rng.randint(1, 3)
        )
        emails.append(email)
    return emails


CAPACITY_SQL = """
SELECT e.person_id, e.capacity, count(m.id)
FROM programs_enrolment e
JOIN programs_partnershipmember m ON m.person_id = e.person_id
JOIN programs_partnership p ON p.id = m.partnership_id AND p.program_id = e.program_id
WHERE p.status IN ('proposed', 'active')
GROUP BY e.person_id, e.capacity
HAVING count(m.id) > e.capacity
"""


# --- one client ------------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    server_errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    refusals: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    failures: list[str] = field(default_factory=list)  # 5xx bodies, connection errors
    lock: threading.Lock = field(default_factory=threading.Lock)


class Client:
    def __init__(self, base: str, email: str, tally: Tally, rng: random.Random) -> None:
        self.base = base
        self.email = email
        self.tally = tally
        self.rng = rng
        self.http = requests.Session()
        self.marker = email.split("@")[0]
        self.goals_set = 0

    def call(self, kind: str, method: str, path: str, **kw: Any) -> requests.Response | None:
        started = time.perf_counter()
        try:
            response = self.http.request(
                method, self.base + path, timeout=30, allow_redirects=False, **kw
            )
        except requests.RequestException as exc:
            with self.tally.lock:
                self.tally.server_errors[kind] += 1
                self.tally.failures.append(f"{kind} {path}: no answer: {exc}")
            return None
        elapsed = time.perf_counter() - started
        with self.tally.lock:
            self.tally.latencies[kind].append(elapsed)
            if response.status_code >= 500:
                self.tally.server_errors[kind] += 1
                self.tally.failures.append(f"{kind} {path}: HTTP {response.status_code}")
            elif response.status_code >= 400:
                self.tally.refusals[kind] += 1
        return response

    def page(self, kind: str, path: str) -> str:
        response = self.call(kind, "GET", path)
        return response.text if response is not None and response.status_code == 200 else ""

    def post(self, kind: str, path: str, page: str, data: dict[str, Any]) -> bool:
        token = CSRF.search(page)
        if token is None:
            return False
        response = self.call(
            kind,
            "POST",
            path,
            data={"csrfmiddlewaretoken": token.group(1), **data},
            headers={"Referer": self.base + path},
        )
        return response is not None and response.status_code in (200, 302)

    def sign_in(self) -> bool:
        form = self.page("sign-in page", "/accounts/login/")
        token = CSRF.search(form)
        if token is None:
            return False
        response = self.call(
            "sign in",
            "POST",
            "/accounts/login/",
            data={
                "csrfmiddlewaretoken": token.group(1),
                "username": self.email,
                "password": PASSWORD,
            },
        )
        return response is not None and response.status_code == 302

    # What a participant does.

    def answer_requests(self) -> bool:
        page = self.page("requests page", f"/o/{ORG}/requests/")
        waiting = RESPOND.findall(page)
        if not waiting:
            return False
        request_id = self.rng.choice(waiting)
        accept = self.rng.random() < 2 / 3
        self.post(
            "accept" if accept else "decline",
            f"/o/{ORG}/requests/{request_id}/respond/",
            page,
            {"decision": "accept" if accept else "decline", "response": "Gladly!"},
        )
        return True

    def request_peer(self) -> bool:
        programs = self.page("programs page", f"/o/{ORG}/programs/")
        program = re.search(rf'href="/o/{ORG}/programs/(\d+)/"', programs)
        if program is None:
            return False
        page = self.page("peers page", f"/o/{ORG}/programs/{program.group(1)}/peers/")
        peers = sorted(set(PEER.findall(page)))
        if not peers:
            return False
        program_id, person_id = self.rng.choice(peers)
        path = f"/o/{ORG}/programs/{program_id}/peers/{person_id}/request/"
        form = self.page("request page", path)
        return self.post("request", path, form, {"note": "Shall we learn from each other?"})

    def partnerships(self) -> list[str]:
        page = self.page("partnerships page", f"/o/{ORG}/partnerships/")
        return sorted(set(PARTNERSHIP.findall(page)))

    def log_checkin(self, partnership: str) -> bool:
        path = f"/o/{ORG}/partnerships/{partnership}/checkins/new/"
        form = self.page("check-in page", path)
        when = time.strftime("%Y-%m-%dT%H:%M", time.gmtime(time.time() - 3600))
        return self.post(
            "check-in",
            path,
            form,
            {"start": when, "minutes": self.rng.choice([15, 20, 30]), "summary": "Coffee chat"},
        )

    def set_goal(self, partnership: str) -> bool:
        path = f"/o/{ORG}/partnerships/{partnership}/goals/new/"
        form = self.page("goal page", path)
        self.goals_set += 1
        data = {
            "template": "",
            "title": f"{self.marker} goal {self.goals_set}",
            "description": "What good looks like, in a sentence.",
            "milestone": "A first step",
        }
        if self.rng.random() < 0.3:
            data["is_private"] = "on"
        return self.post("goal create", path, form, data)

    def move_goal(self, partnership: str) -> bool:
        home = self.page("partnership page", f"/o/{ORG}/partnerships/{partnership}/")
        mine = [pk for pk, title in GOAL_LINK.findall(home) if title.startswith(self.marker)]
        if not mine:
            return False
        path = f"/o/{ORG}/partnerships/{partnership}/goals/{self.rng.choice(mine)}/"
        page = self.page("goal page", path)
        return self.post(
            "goal update",
            path,
            page,
            {
                "action": "progress",
                "progress": self.rng.randint(0, 100),
                "status": "active",
                "note": "A step further",
            },
        )

    def end_partnership(self, partnership: str) -> bool:
        path = f"/o/{ORG}/partnerships/{partnership}/end/"
        form = self.page("end page", path)
        return self.post(
            "end",
            path,
            form,
            {"outcome": self.rng.choice(["completed", "early"]), "reason": "Time to move on"},
        )

    def step(self) -> None:
        if self.answer_requests():
            return
        roll = self.rng.random()
        if roll < 0.3 and self.request_peer():
            return
        mine = self.partnerships()
        if not mine:
            self.request_peer()
            return
        partnership = self.rng.choice(mine)
        if roll < 0.5:
            self.log_checkin(partnership)
        elif roll < 0.65:
            self.set_goal(partnership)
        elif roll < 0.93:
            if not self.move_goal(partnership):
                self.set_goal(partnership)
        else:
            self.end_partnership(partnership)

    def run(self, start: threading.Barrier, until: list[float]) -> None:
        signed_in = self.sign_in()
        if not signed_in:
            with self.tally.lock:
                self.tally.failures.append(f"{self.email} could not sign in")
        start.wait()
        while signed_in and time.monotonic() < until[0]:
            self.step()


def drive(base: str, emails: list[str], seconds: float, seed: int) -> tuple[Tally, float]:
    """Every client signs in, then all act for `seconds`; returns the tally and the time the
    acting took (sign-in, a deliberately slow password hash, is counted but not timed)."""
    tally = Tally()
    until = [0.0]

    def go() -> None:
        until[0] = time.monotonic() + seconds

    start = threading.Barrier(len(emails), action=go)
    clients = [Client(base, e, tally, random.Random(seed * 1000 + i)) for i, e in enumerate(emails)]
    threads = [threading.Thread(target=c.run, args=(start, until)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 180)
    elapsed = time.monotonic() - until[0] + seconds
    if any(t.is_alive() for t in threads):
        tally.failures.append("a client was still waiting minutes after the end")
    return tally, elapsed


# --- the run ---------------------------------------------------------------------------------


def wait_for(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"gunicorn exited with {proc.returncode}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=5).status_code == 200:
                return
        time.sleep(0.2)
    sys.exit("gunicorn did not answer /healthz in time")


def deadlocks(admin_url: str) -> int:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = %s", [DATABASE]
        ).fetchone()
    return int(row[0]) if row else 0


def count_in(path: Path | None, start: int, needle: str) -> int:
    if path is None or not path.exists():
        return 0
    with path.open("rb") as f:
        f.seek(start)
        return f.read().decode(errors="replace").count(needle)


def run(
    server: Server, *, seconds: float, clients: int, workers: int, seed_: int
) -> dict[str, Any]:
    import psycopg

    from twoway.lib.crypto import generate_key

    with psycopg.connect(server.admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    url = server.admin_url.rsplit("/", 1)[0] + f"/{DATABASE}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWOWAY_TEST_")}
    env.update(
        DATABASE_URL=url,
        DEBUG="0",
        SECRET_KEY="load-test-secret-key-not-for-production",
        TWOWAY_ENCRYPTION_KEYS=generate_key(),
        ALLOWED_HOSTS="127.0.0.1",
        BASE_URL=base,
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="twoway.settings",
    )
    subprocess.run([str(BIN / "twoway"), "migrate", "-v0"], env=env, check=True)
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    rng = random.Random(seed_)
    emails = seed(clients, rng)
    connection.close()

    pg_log_start = server.log.stat().st_size if server.log else 0
    web_log = Path(tempfile.mkstemp(prefix="twoway-load-gunicorn-", suffix=".log")[1])
    before = deadlocks(server.admin_url)
    cmd = [str(BIN / "gunicorn"), "twoway.wsgi", "--bind", f"127.0.0.1:{port}"]
    cmd += ["--workers", str(workers), "--timeout", "60", "--log-level", "warning"]
    with web_log.open("wb") as log_file:
        proc = subprocess.Popen(cmd, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        wait_for(f"{base}/healthz", proc)
        # The reference: one client alone, briefly, on the same data.
        reference, ref_elapsed = drive(base, emails[:1], min(5.0, seconds), seed_)
        tally, elapsed = drive(base, emails, seconds, seed_ + 1)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    # Backends report their counters when they end: read after gunicorn closed its connections.
    time.sleep(1.5)
    counted = deadlocks(server.admin_url) - before
    # One line per deadlock in each: PostgreSQL's ERROR, and the request's traceback.
    in_pg_log = count_in(server.log, pg_log_start, "ERROR:  deadlock detected")
    in_web_log = count_in(web_log, 0, "OperationalError: deadlock detected")
    with psycopg.connect(url, autocommit=True) as conn:
        over = conn.execute(CAPACITY_SQL).fetchall()
        partnerships = conn.execute(
            "SELECT count(*) FROM programs_partnership WHERE status IN ('proposed', 'active')"
        ).fetchone()
        ended = conn.execute(
            "SELECT count(*) FROM programs_partnership WHERE status NOT IN ('proposed', 'active')"
        ).fetchone()
    web_errors = web_log.read_text(errors="replace")
    web_log.unlink()
    ref_total = sum(len(v) for v in reference.latencies.values())
    total = sum(len(v) for v in tally.latencies.values())
    ref_rate = ref_total / ref_elapsed
    rate = total / elapsed
    kinds = {
        kind: {
            "count": len(values),
            "refused": tally.refusals.get(kind, 0),
            "server_errors": tally.server_errors.get(kind, 0),
            "p50_ms": round(statistics.median(values) * 1000, 1),
            "p95_ms": round(sorted(values)[math.ceil(0.95 * len(values)) - 1] * 1000, 1),
            "max_ms": round(max(values) * 1000, 1),
        }
        for kind, values in sorted(tally.latencies.items())
    }
    return {
        "seconds": round(elapsed, 1),
        "clients": clients,
        "workers": workers,
        "requests": total,
        "requests_per_second": round(rate, 1),
        "one_client_requests_per_second": round(ref_rate, 1),
        "ratio_to_one_client": round(rate / ref_rate, 2) if ref_rate else None,
        "kinds": kinds,
        "server_errors": sum(tally.server_errors.values()) + sum(reference.server_errors.values()),
        "deadlocks": max(counted, in_pg_log, in_web_log),
        "deadlocks_counted": counted,
        "deadlocks_in_postgresql_log": in_pg_log if server.log else None,
        "deadlocks_in_web_log": in_web_log,
        "capacity_violations": len(over),
        "open_partnerships": partnerships[0] if partnerships else 0,
        "ended_partnerships": ended[0] if ended else 0,
        "failures": (reference.failures + tally.failures)[:20],
        "gunicorn_log_tail": web_errors[-3000:] if tally.failures else "",
    }


def report(result: dict[str, Any]) -> None:
    print(
        f"{result['clients']} clients for {result['seconds']} s, gunicorn with "
        f"{result['workers']} workers, PostgreSQL"
    )
    print(
        f"{'kind':<20} {'count':>6} {'4xx':>5} {'5xx':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
    )
    for kind, k in result["kinds"].items():
        print(
            f"{kind:<20} {k['count']:>6} {k['refused']:>5} {k['server_errors']:>5} "
            f"{k['p50_ms']:>8} {k['p95_ms']:>8} {k['max_ms']:>8}"
        )
    print(
        f"{result['requests']} requests, {result['requests_per_second']}/s "
        f"(one client alone: {result['one_client_requests_per_second']}/s, ratio "
        f"{result['ratio_to_one_client']}); partnerships open {result['open_partnerships']}, "
        f"ended {result['ended_partnerships']}"
    )
    print(
        f"server errors {result['server_errors']}, deadlocks {result['deadlocks']} "
        f"(pg_stat_database {result['deadlocks_counted']}, PostgreSQL log "
        f"{result['deadlocks_in_postgresql_log']}, gunicorn log {result['deadlocks_in_web_log']}), "
        f"capacity violations {result['capacity_violations']}"
    )
    for failure in result["failures"][:10]:
        print("  !", failure)
    if result["gunicorn_log_tail"]:
        print(result["gunicorn_log_tail"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (2 to 4)")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        admin_url = os.environ.get("DATABASE_URL", "")
        if admin_url:
            if not admin_url.startswith("postgres"):
                sys.exit("DATABASE_URL must point at a PostgreSQL server")
            server = Server(admin_url, None)
        else:
            server = stack.enter_context(throwaway_postgres())
        try:
            result = run(
                server,
                seconds=args.seconds,
                clients=args.clients,
                workers=args.workers,
                seed_=args.seed,
            )
        finally:
            from django.db import connections

            connections.close_all()
            import psycopg

            with psycopg.connect(server.admin_url, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    report(result)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    bad = result["server_errors"] or result["deadlocks"] or result["capacity_violations"]
    if result["failures"] and not result["server_errors"]:
        bad = True  # a client that could not sign in ran nothing: the figures mean nothing
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
