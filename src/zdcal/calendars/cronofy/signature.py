"""Cronofy push-notification signatures: base64(HMAC-SHA256(client secret, raw body)).

The ``Cronofy-HMAC-SHA256`` header may carry several comma-separated signatures while a
client secret is being rotated; a notification is genuine if any of them matches.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

SIGNATURE_HEADER = "Cronofy-HMAC-SHA256"


def sign_notification(client_secret: str, body: bytes) -> str:
    """The signature Cronofy sends for ``body``."""
    digest = hmac.new(client_secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_notification(client_secret: str, body: bytes, header_value: str | None) -> bool:
    """True when any comma-separated signature in ``header_value`` matches ``body``.

    Every candidate is compared in constant time, and all are compared, so timing does
    not reveal which one (if any) matched.
    """
    if not header_value or not client_secret:
        return False
    expected = sign_notification(client_secret, body).encode("ascii")
    matched = False
    for candidate in header_value.split(","):
        matched |= hmac.compare_digest(expected, candidate.strip().encode("utf-8"))
    return matched
