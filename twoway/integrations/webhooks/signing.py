"""The signature recipe, as Stripe's: `Twoway-Signature: t=<unix seconds>,v1=<hex>` where the hex
is HMAC-SHA256 with the endpoint's secret of `<t>.<raw body>`. A receiver recomputes it over the
raw bytes it got, compares in constant time and refuses a `t` older than a few minutes (a
replay)."""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Twoway-Signature"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def header_value(secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={signature(secret, t, body)}"


def verify(secret: str, header: str, body: bytes, now: float | None = None) -> bool:
    """What a receiver does (the README's recipe, in Python)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - t) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(parts.get("v1", ""), signature(secret, t, body))
