"""The trial key (README, "Configuration"): made once into var/secret.key and shared by every
process, so unsubscribe links written by the worker work in the web process and a restart keeps
people signed in. Real processes: `twoway migrate`, `twoway worker --once`, gunicorn on loopback.
"""

from __future__ import annotations

import email
import http.cookiejar
import os
import re
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.notifications.servers import free_port

SETUP = """
from twoway.accounts.models import Membership, Organization, Role, User
from twoway.notifications.services import notify
from twoway.people.models import Person
org = Organization.objects.create(name="Trial", slug="trial")
user = User.objects.create_user("ada@trial.example", "a long trial password", name="Ada Trial")
Membership.objects.create(user=user, organization=org, role=Role.PARTICIPANT)
person = Person.objects.create(organization=org, user=user, name="Ada Trial",
                               email="ada@trial.example")
notify(person=person, kind="nudge", template="nudge_cadence", dedupe_key="trial-nudge",
       context={"partners": ["Bo"], "weeks": 2, "since": "Monday", "partnership_id": 1})
"""


def trial_env(var: Path, port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SECRET_KEY", "DATABASE_URL", "TWOWAY_", "EMAIL_", "DJANGO_"))
    }
    return {
        **env,
        "DEBUG": "1",
        "TWOWAY_VAR_DIR": str(var),
        "DJANGO_SETTINGS_MODULE": "twoway.settings",
        "BASE_URL": f"http://127.0.0.1:{port}",
    }


def run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "twoway", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@contextmanager
def web(env: dict[str, str], port: int) -> Iterator[None]:
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "twoway.wsgi", "--bind", f"127.0.0.1:{port}", "-w", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=20)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert time.monotonic() < deadline, "the web process did not start"
                time.sleep(0.2)
        yield
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_two_processes_share_one_key_made_once(tmp_path: Path) -> None:
    env = trial_env(tmp_path, 8000)
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SECRET_KEY)"
    )
    keys = {
        subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    }
    assert len(keys) == 1
    path = tmp_path / "secret.key"
    assert path.read_text().strip() == keys.pop()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".secret-*"))  # no temporary file left behind


def test_the_workers_unsubscribe_link_works_in_the_web_process_and_sessions_survive_a_restart(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = trial_env(tmp_path, port)
    run(env, "migrate", "--verbosity", "0")
    run(env, "shell", "-c", SETUP)
    run(env, "worker", "--once", "--no-jobs")
    [mail] = list((tmp_path / "mail").glob("*.log"))
    message = email.message_from_string(mail.read_text().split("\n" + "-" * 79)[0])
    header = " ".join(str(message["List-Unsubscribe"]).split())
    [path] = re.findall(rf"<http://127\.0\.0\.1:{port}(/n/unsubscribe/[^>]+)>", header)

    cookies = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies))
    base = f"http://127.0.0.1:{port}"
    with web(env, port):
        page = browser.open(base + path).read().decode()
        assert "Stop receiving <strong>gentle nudges</strong>?" in page  # not "not valid"
        done = browser.open(base + path, data=b"List-Unsubscribe=One-Click").read().decode()
        assert "Done: no more <strong>gentle nudges</strong>" in done

        login = browser.open(base + "/accounts/login/").read().decode()
        # The sign-in page has two forms (work-email SSO box, password): one token for both.
        csrf = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', login)[0]
        form = {"username": "ada@trial.example", "password": "a long trial password"}
        browser.open(
            base + "/accounts/login/",
            data=urllib.parse.urlencode({**form, "csrfmiddlewaretoken": csrf}).encode(),
        )
        assert browser.open(base + "/o/trial/me/").geturl().endswith("/o/trial/me/")

    with web(env, port):  # a restart: a new process reads the same key
        response = browser.open(base + "/o/trial/me/")
        assert response.geturl().endswith("/o/trial/me/"), "signed out by the restart"
        assert "Ada Trial" in response.read().decode()
