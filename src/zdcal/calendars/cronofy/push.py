"""Cronofy's push notifications: the signature check and the notice they carry.

Notifications carry no credentials: the ``Cronofy-HMAC-SHA256`` header (HMAC of the raw
body with our client secret; several comma-separated values during rotation) says it is
Cronofy. It is checked before the body is parsed, so forged requests cost nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from zdcal.calendars.base import PushKind, PushNotice, PushRefused
from zdcal.calendars.cronofy.signature import verify_notification

SIGNATURE_HEADER = "cronofy-hmac-sha256"
KINDS = {
    "change": PushKind.CHANGE,
    "profile_disconnected": PushKind.DISCONNECTED,
    "verification": PushKind.VERIFICATION,
}


def read_notification(client_secret: str, body: bytes, headers: Mapping[str, str]) -> PushNotice:
    """The notice in a genuine notification; :class:`PushRefused` otherwise."""
    if not verify_notification(client_secret, body, headers.get(SIGNATURE_HEADER)):
        raise PushRefused(401, "bad or missing signature")
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PushRefused(400, "malformed JSON") from exc
    except RecursionError as exc:  # the decoder recurses once per level of nesting
        raise PushRefused(400, "JSON nested too deeply") from exc
    notification = data.get("notification") if isinstance(data, dict) else None
    kind = notification.get("type") if isinstance(notification, dict) else None
    if not isinstance(kind, str):
        raise PushRefused(400, "malformed notification")
    channel = data.get("channel")
    channel = channel if isinstance(channel, dict) else {}
    channel_id, callback_url = channel.get("channel_id"), channel.get("callback_url")
    return PushNotice(
        KINDS.get(kind, PushKind.OTHER),
        kind,
        channel_id if isinstance(channel_id, str) else None,
        callback_url if isinstance(callback_url, str) else None,
    )
