"""Zendesk webhook signatures: base64(HMAC-SHA256(signing secret, timestamp + raw body)).

Zendesk signs with the secret string exactly as ``signing_secret`` returns it (the base64
text itself is the key; it is not decoded first). It defines no replay window: the
receiver enforces one on the timestamp, see ``webhook_timestamp_fresh``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"


def sign_webhook(secret: str, timestamp: str, body: bytes) -> str:
    """The signature Zendesk sends for ``body`` delivered at ``timestamp`` (header text)."""
    message = timestamp.encode("utf-8") + body
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_webhook_signature(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """True when ``signature`` is Zendesk's signature of ``timestamp + body`` (constant time)."""
    expected = sign_webhook(secret, timestamp, body)
    return hmac.compare_digest(expected.encode("ascii"), signature.strip().encode("utf-8"))


def webhook_timestamp_fresh(timestamp: str, now: datetime, window: timedelta) -> bool:
    """True when the signed timestamp (ISO-8601, e.g. ``2023-09-18T23:38:13Z``) is within
    ``window`` of ``now`` in either direction; unparseable timestamps are not fresh."""
    try:
        sent = datetime.fromisoformat(timestamp.strip().replace("Z", "+00:00"))
    except ValueError:
        return False
    if sent.tzinfo is None:
        return False
    return abs(now - sent) <= window
