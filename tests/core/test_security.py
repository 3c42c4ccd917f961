"""What a browser and an attacker see around every page: headers, throttled sign-in, quiet
errors. Issue 12 items 9, 11 and 14."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.db import DatabaseError, connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD, World, client_for
from twoway.accounts.models import AuditEvent
from twoway.notifications.models import OutboxMessage


def test_it_sends_a_strict_content_security_policy(world: World) -> None:
    response = Client().get(reverse("login"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy


def test_it_keeps_signed_in_pages_out_of_every_cache(world: World) -> None:
    response = client_for(world.alice).get(reverse("my_profile", kwargs={"org_slug": "acme"}))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


@override_settings(SECURE_HSTS_SECONDS=31_536_000, SECURE_SSL_REDIRECT=True)
def test_it_redirects_to_https_and_asks_browsers_to_stay(world: World) -> None:
    client = Client()
    assert client.get(reverse("login"))["Location"].startswith("https://")
    response = client.get(reverse("login"), secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    # A load balancer probes /healthz over plain http behind the proxy.
    assert client.get("/healthz").status_code == 200


def _fail(client: Client, email: str, times: int) -> None:
    for _ in range(times):
        client.post(reverse("login"), {"username": email, "password": "wrong"})


def test_it_locks_an_account_after_ten_wrong_passwords(world: World) -> None:
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    _fail(attacker, "alice@acme.example", 10)
    response = attacker.post(
        reverse("login"), {"username": "alice@acme.example", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert b"Too many sign-in attempts" in response.content
    assert "_auth_user_id" not in attacker.session
    # Per account: the right password from another address is refused too, for now.
    other = Client(REMOTE_ADDR="198.51.100.7")
    response = other.post(
        reverse("login"), {"username": "alice@acme.example", "password": PASSWORD}
    )
    assert response.status_code == 429
    events = AuditEvent.objects.filter(organization=world.acme, action="account.locked_out")
    assert {e.target for e in events} == {"alice@acme.example"}
    assert not AuditEvent.objects.filter(organization=world.globex, action="account.locked_out")


def test_it_locks_an_address_that_tries_many_accounts(world: World) -> None:
    attacker = Client(REMOTE_ADDR="203.0.113.10")
    for n in range(10):
        attacker.post(reverse("login"), {"username": f"guess{n}@acme.example", "password": "x"})
    response = attacker.post(
        reverse("login"), {"username": "bob@acme.example", "password": PASSWORD}
    )
    assert response.status_code == 429
    # Someone else's sign-in from their own address is not affected.
    response = Client(REMOTE_ADDR="198.51.100.8").post(
        reverse("login"), {"username": "bob@acme.example", "password": PASSWORD}
    )
    assert response.status_code == 302


def test_it_throttles_the_operators_admin_sign_in_too(world: World) -> None:
    attacker = Client(REMOTE_ADDR="203.0.113.11")
    for _ in range(10):
        attacker.post("/admin/login/", {"username": "carol@acme.example", "password": "wrong"})
    response = attacker.post("/admin/login/", {"username": "carol@acme.example", "password": "x"})
    assert response.status_code == 429


def test_it_resets_the_count_after_a_successful_sign_in(world: World) -> None:
    client = Client(REMOTE_ADDR="203.0.113.12")
    _fail(client, "alice@acme.example", 9)
    ok = client.post(reverse("login"), {"username": "alice@acme.example", "password": PASSWORD})
    assert ok.status_code == 302
    client.logout()
    _fail(client, "alice@acme.example", 9)
    ok = client.post(reverse("login"), {"username": "alice@acme.example", "password": PASSWORD})
    assert ok.status_code == 302


def test_it_keeps_database_errors_out_of_healthz(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_cursor() -> None:
        raise DatabaseError('connection to server at "db.internal" (10.0.0.5), port 5432 failed')

    with monkeypatch.context() as patch:
        patch.setattr(connection, "cursor", broken_cursor)
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}
    assert b"db.internal" not in response.content and b"5432" not in response.content


@pytest.mark.slow
def test_it_passes_the_deploy_check_with_the_readme_production_settings(tmp_path: Path) -> None:
    """The README's production environment, exactly: `twoway check --deploy` warns of nothing."""
    from cryptography.fernet import Fernet

    # Only what production would have: the test run's own variables (DEBUG, the Playwright
    # tests' DJANGO_ALLOW_ASYNC_UNSAFE) must not leak in.
    env = dict(
        PATH=os.environ["PATH"],
        HOME=os.environ.get("HOME", "/tmp"),
        SECRET_KEY=secrets.token_urlsafe(50),
        TWOWAY_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        ALLOWED_HOSTS="twoway.example.com",
        BASE_URL="https://twoway.example.com",
        BEHIND_PROXY="1",
        SECURE_SSL_REDIRECT="1",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="1",
        SECURE_HSTS_PRELOAD="1",
    )
    result = subprocess.run(
        [sys.executable, "-m", "twoway", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def _ask_reset(client: Client, email: str) -> str:
    response = client.post(reverse("password_reset"), {"email": email})
    assert response.status_code == 302
    return str(response["Location"])


def test_it_sends_at_most_three_reset_emails_an_hour_to_one_address(world: World) -> None:
    # From a new client address each time, a minute apart (a reset link made in the same second
    # is the same link, deduplicated): the per-address limit holds on its own.
    start = timezone.now()
    answers = set()
    for n in range(6):
        with time_machine.travel(start + dt.timedelta(minutes=n), tick=False):
            answers.add(_ask_reset(Client(REMOTE_ADDR=f"203.0.113.{n}"), "alice@acme.example"))
    unknown = {_ask_reset(Client(REMOTE_ADDR="198.51.100.1"), "nobody@acme.example")}
    # The same page whether it was sent, throttled, or there is no account: nothing to probe.
    assert answers == unknown == {reverse("password_reset_done")}
    assert OutboxMessage.objects.filter(kind="password_reset").count() == 3
    [event] = AuditEvent.objects.filter(action="password_reset.throttled")
    assert event.organization == world.acme and event.target == "alice@acme.example"
    assert event.details["limit"] == ["email"]
    with time_machine.travel(start + dt.timedelta(hours=1, minutes=6), tick=False):
        _ask_reset(Client(REMOTE_ADDR="203.0.113.99"), "alice@acme.example")
    assert OutboxMessage.objects.filter(kind="password_reset").count() == 4


def test_it_sends_at_most_ten_reset_emails_an_hour_from_one_client(world: World) -> None:
    attacker = Client(REMOTE_ADDR="203.0.113.50")
    for n in range(10):
        _ask_reset(attacker, f"guess{n}@acme.example")
    _ask_reset(attacker, "alice@acme.example")
    assert not OutboxMessage.objects.filter(kind="password_reset").exists()
    assert AuditEvent.objects.get(action="password_reset.throttled").details["limit"] == [
        "ip_address"
    ]
    # Alice asking from her own address is not affected.
    _ask_reset(Client(REMOTE_ADDR="198.51.100.7"), "alice@acme.example")
    assert OutboxMessage.objects.filter(kind="password_reset").count() == 1
