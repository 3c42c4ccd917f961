from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from twoway.lib.env import env_bool, env_int, env_list, env_secret


def test_env_bool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAG", "yes")
    assert env_bool("FLAG") is True
    monkeypatch.setenv("FLAG", "0")
    assert env_bool("FLAG", True) is False
    monkeypatch.delenv("FLAG")
    assert env_bool("FLAG", True) is True
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        env_bool("FLAG")


def test_env_int_and_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("N", "42")
    assert env_int("N", 1) == 42
    monkeypatch.setenv("N", "forty")
    with pytest.raises(ImproperlyConfigured, match="N must be a whole number"):
        env_int("N", 1)
    monkeypatch.setenv("HOSTS", "a.example, b.example,,")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]


def test_env_secret_reads_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    from pathlib import Path

    secret = Path(str(tmp_path)) / "key"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("API_KEY_FILE", str(secret))
    monkeypatch.setenv("API_KEY", "ignored")
    assert env_secret("API_KEY") == "s3cret"
    monkeypatch.setenv("API_KEY_FILE", str(secret) + ".missing")
    with pytest.raises(ImproperlyConfigured, match="API_KEY_FILE"):
        env_secret("API_KEY")
