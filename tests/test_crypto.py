from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from twoway.lib import crypto


@pytest.fixture(autouse=True)
def fresh_keys() -> object:
    crypto.reset_keys()
    yield
    crypto.reset_keys()


def test_it_round_trips_and_hides_the_plaintext(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWOWAY_ENCRYPTION_KEYS", crypto.generate_key())
    token = crypto.encrypt("I worry about my review")
    assert "worry" not in token
    assert crypto.decrypt(token) == "I worry about my review"


def test_it_rotates_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = crypto.generate_key(), crypto.generate_key()
    monkeypatch.setenv("TWOWAY_ENCRYPTION_KEYS", old)
    token = crypto.encrypt("secret")
    monkeypatch.setenv("TWOWAY_ENCRYPTION_KEYS", f"{new},{old}")
    crypto.reset_keys()
    rotated = crypto.reencrypt(token)
    monkeypatch.setenv("TWOWAY_ENCRYPTION_KEYS", new)
    crypto.reset_keys()
    assert crypto.decrypt(rotated) == "secret"
    with pytest.raises(crypto.InvalidToken):
        crypto.decrypt(token)


@override_settings(DEBUG=False)
def test_production_without_keys_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWOWAY_ENCRYPTION_KEYS", raising=False)
    with pytest.raises(ImproperlyConfigured, match="TWOWAY_ENCRYPTION_KEYS"):
        crypto.encrypt("x")


def test_a_trial_keeps_one_generated_key(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.delenv("TWOWAY_ENCRYPTION_KEYS", raising=False)
    with override_settings(DEBUG=True, VAR_DIR=str(tmp_path)):
        token = crypto.encrypt("kept across restarts")
        crypto.reset_keys()  # a restart
        assert crypto.decrypt(token) == "kept across restarts"
