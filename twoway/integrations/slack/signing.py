"""Is this request from Slack? (its signing secret, v0 scheme).

Written out rather than slack-sdk's SignatureVerifier, which raises on a timestamp that is not
an integer ("abc", "1e3"), on a signature that is not ASCII and on a body that is not UTF-8 —
each of those must be a plain "no" (403), never a 500.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

MAX_AGE_SECONDS = 5 * 60  # Slack's advice: refuse older requests, they may be replays
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


def signature_for(*, secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def is_signed(
    *,
    secret: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    now: float | None = None,
) -> bool:
    if not secret or timestamp is None or signature is None:
        return False
    if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        return False
    expected = signature_for(secret=secret, timestamp=timestamp, body=body)
    return hmac.compare_digest(expected, signature)
