"""Stopping `twoway demo` with SIGTERM (as `kill`, a supervisor or a closed terminal do) also stops
the worker it started: before, the worker outlived the demo and kept delivering."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found |= {int(c) for c in text.split()}
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
def test_sigterm_stops_the_demo_and_its_worker(tmp_path: Path) -> None:
    port = _free_port()
    address = f"127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "TWOWAY_VAR_DIR": str(tmp_path),
        "DEBUG": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    demo = subprocess.Popen(
        [sys.executable, "-m", "twoway", "demo", "--people", "40", "--addrport", address],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert demo.poll() is None, "the demo stopped before serving"
                time.sleep(0.5)
        else:
            pytest.fail("the demo did not serve within 120 s")
        workers = _children(demo.pid)
        assert workers, "the demo starts a worker beside the server"
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=60)
        deadline = time.monotonic() + 30
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(w) for w in workers), "the worker outlived the demo"
    finally:
        leftovers = workers | (_children(demo.pid) if demo.poll() is None else set())
        for pid in [*leftovers, demo.pid]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        demo.wait(timeout=10)
