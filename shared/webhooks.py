"""Signed webhooks: the per-case secret, the signature over timestamp and body, and its check.

A receiver recomputes `sha256=HMAC-SHA256(secret, "<timestamp>.<body>")` with the secret it was
given at filing (its UTF-8 bytes are the key), compares in constant time, and refuses a
timestamp far from its own clock, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
from uuid import UUID

TIMESTAMP_HEADER = "X-Huiyin-Timestamp"
SIGNATURE_HEADER = "X-Huiyin-Signature"
SIGNATURE_SCHEME = "sha256="
DEFAULT_TOLERANCE_SECONDS = 300


def webhook_secret(secret_key: str, case_id: UUID) -> str:
    """The case's own signing secret, derived from the server's key: nothing to store."""
    return hmac.new(secret_key.encode(), b"webhook-secret:" + case_id.bytes, "sha256").hexdigest()


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The value of the signature header for `body` sent at `timestamp` (Unix seconds)."""
    signed = f"{timestamp}.".encode() + body
    return SIGNATURE_SCHEME + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    timestamp: int | str,
    body: bytes,
    signature: str,
    now: float,
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """True when `signature` signs `body` at `timestamp`, and `timestamp` is close to `now`."""
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(now - sent_at) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, sent_at, body), signature or "")
