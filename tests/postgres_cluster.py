"""A PostgreSQL cluster of one's own on loopback (initdb, pg_ctl), for a test or bench that
restarts its database or reads its log: made in a temporary folder, stopped and removed after."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.notifications.servers import free_port


class NoPostgres(Exception):
    """PostgreSQL's server binaries are not installed here."""


@dataclass
class Cluster:
    bin: str
    data: str
    port: int
    as_user: list[str]  # PostgreSQL refuses to run as root: its commands run as `postgres`
    log: Path

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def pg_ctl(self, *args: str) -> list[str]:
        return [*self.as_user, f"{self.bin}/pg_ctl", "-D", self.data, *args]

    def restart(self, mode: str) -> None:
        subprocess.run(
            self.pg_ctl("-w", "-m", mode, "restart"),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )


@contextlib.contextmanager
def postgres_cluster(
    *, prefix: str, settings: str = "", port: int | None = None
) -> Iterator[Cluster]:
    """A running cluster of the newest PostgreSQL installed (`settings`: more `-c` options)."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    if not bins or not os.path.exists(f"{bins[-1]}/initdb"):
        raise NoPostgres("no PostgreSQL binaries in /usr/lib/postgresql/*/bin")
    port = port or free_port()
    tmp = tempfile.mkdtemp(prefix=prefix)
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    cluster = Cluster(bins[-1], f"{tmp}/data", port, as_user, Path(tmp) / "log")
    try:
        initdb = [f"{cluster.bin}/initdb", "-D", cluster.data, "-U", "postgres", "--auth=trust"]
        subprocess.run(
            [*as_user, *initdb, "-E", "UTF8"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {tmp} {settings}".strip()
        subprocess.run(
            cluster.pg_ctl("-l", str(cluster.log), "-w", "-o", options, "start"),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        yield cluster
    finally:
        subprocess.run(
            cluster.pg_ctl("-m", "immediate", "stop"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(tmp, ignore_errors=True)
