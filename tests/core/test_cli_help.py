"""`twoway … --help` works on a machine with nothing configured (no DEBUG, no SECRET_KEY)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

UNCONFIGURED = {
    k: v
    for k, v in os.environ.items()
    if k not in ("DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "DJANGO_SETTINGS_MODULE")
}


def twoway(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "twoway", *args],
        env=UNCONFIGURED,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("command", ["createsuperuser", "migrate", "demo", "worker", "seed"])
def test_a_commands_help_needs_no_configuration(command: str) -> None:
    done = twoway(command, "--help")
    assert done.returncode == 0, done.stderr
    assert f" {command} [-h]" in done.stdout
    assert "Traceback" not in done.stderr


def test_the_command_list_names_the_projects_own_commands_without_configuration() -> None:
    done = twoway("help", "--commands")
    assert done.returncode == 0, done.stderr
    assert {"demo", "worker", "createsuperuser"} <= set(done.stdout.split())


def test_a_real_command_still_refuses_to_run_without_a_secret_key() -> None:
    done = twoway("check")
    assert done.returncode != 0
    assert "SECRET_KEY must be set" in done.stderr
