"""Bearer secrets for machines (SCIM, the API): long random tokens whose rows are found by a
short public prefix and checked against a SHA-256 of the whole token.

A fast hash is right here, unlike for passwords: the token is 256 random bits, so there is
nothing to guess, and a slow hash on every request would only cost time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class Secret:
    prefix: str  # public, unique: finds the row
    token: str  # the whole bearer token, shown once
    digest: str  # what is stored


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_secret(kind: str) -> Secret:
    """A token like `<kind>_<prefix>_<random>`: the kind tells a reader (and secret scanners)
    what it is for."""
    prefix = secrets.token_hex(6)
    token = f"{kind}_{prefix}_{secrets.token_urlsafe(32)}"
    return Secret(prefix=prefix, token=token, digest=digest_of(token))


def read_bearer(header: str | None, kind: str) -> tuple[str, str] | None:
    """(prefix, token) from an `Authorization: Bearer <kind>_<prefix>_…` header, or None."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    parts = token.split("_", 2)
    if scheme.lower() != "bearer" or len(parts) != 3 or parts[0] != kind or not parts[1]:
        return None
    return parts[1], token


def matches(token: str, digest: str) -> bool:
    return hmac.compare_digest(digest_of(token), digest)
