"""Encryption at rest for private things (private notes, Slack tokens).

Keys come from TWOWAY_ENCRYPTION_KEYS (or _FILE): comma-separated Fernet keys, newest first.
New data is encrypted with the first key; any listed key decrypts, so a key is rotated by putting
a new one in front, running `twoway rotate_encryption`, then dropping the old one.
In a trial (DEBUG) without keys, one key is generated once into var/encryption.key so that the
demo's notes survive a restart; production without keys refuses to start.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from twoway.lib.env import env_secret

__all__ = ["InvalidToken", "decrypt", "encrypt", "generate_key", "reencrypt"]


def generate_key() -> str:
    return Fernet.generate_key().decode()


def _dev_key_file() -> Path:
    return Path(settings.VAR_DIR) / "encryption.key"


def _configured_keys() -> list[str]:
    raw = env_secret("TWOWAY_ENCRYPTION_KEYS")
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    if keys:
        return keys
    if not settings.DEBUG:
        raise ImproperlyConfigured(
            "TWOWAY_ENCRYPTION_KEYS must be set when DEBUG is off; make one with "
            "`twoway shell -c 'from twoway.lib.crypto import generate_key; print(generate_key())'`"
        )
    path = _dev_key_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(generate_key())
    return [path.read_text().strip()]


@functools.cache
def _fernet() -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in _configured_keys()])
    except ValueError as exc:
        raise ImproperlyConfigured(f"TWOWAY_ENCRYPTION_KEYS holds an invalid key: {exc}") from None


def reset_keys() -> None:
    """Forget the loaded keys (after the environment changed: tests, rotation)."""
    _fernet.cache_clear()


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """Raises InvalidToken when no configured key opens it."""
    return _fernet().decrypt(token.encode()).decode()


def reencrypt(token: str) -> str:
    """The same plaintext under the newest key (for rotation)."""
    return _fernet().rotate(token.encode()).decode()
