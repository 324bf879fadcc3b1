"""Graph's change and lifecycle notifications, and the validation handshake.

Graph does not sign deliveries; it echoes the subscription's ``clientState`` in every
notification. zdcal's is the HMAC-SHA256, keyed with the Microsoft client secret, of a
fixed label: only zdcal can make it, nothing is stored, and it is checked (constant
time) on every notification of a delivery before anything else is read. Which agent a
delivery concerns is the receiver's business (the path, and the subscription id the
notice names, which must be the agent's stored channel id).

* ``?validationToken=...`` (subscription creation, for the notification and the
  lifecycle URL alike): answered 200 ``text/plain`` with the token, as is
  (:attr:`PushNotice.answer`).
* Change notifications (``changeType``): read the calendar's changes.
* Lifecycle notifications (``lifecycleEvent``): ``missed`` → read the changes;
  ``reauthorizationRequired`` and ``subscriptionRemoved`` → the subscription must be
  renewed or made again now (:attr:`PushKind.RENEW`), and the changes read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from zdcal.calendars.base import PushKind, PushNotice, PushRefused

STATE_LABEL = b"zdcal microsoft subscription\n"
MAX_VALIDATION_TOKEN = 2048
LIFECYCLE_KINDS = {
    "missed": PushKind.CHANGE,
    "reauthorizationRequired": PushKind.RENEW,
    "subscriptionRemoved": PushKind.RENEW,
}


def client_state(client_secret: str) -> str:
    """The ``clientState`` zdcal gives every subscription (43 characters, Graph allows 128)."""
    digest = hmac.new(client_secret.encode("utf-8"), STATE_LABEL, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def read_notification(
    client_secret: str, body: bytes, query: Mapping[str, str]
) -> PushNotice:
    """The notice in a genuine delivery or handshake; :class:`PushRefused` otherwise."""
    token = query.get("validationToken")
    if token is not None:
        if not token or len(token) > MAX_VALIDATION_TOKEN:
            raise PushRefused(400, "bad validation token")
        return PushNotice(PushKind.VERIFICATION, "validation", None, None, answer=token)
    items = _items(body)
    expected = client_state(client_secret).encode()
    for item in items:
        state = item.get("clientState")
        if not isinstance(state, str) or not hmac.compare_digest(state.encode(), expected):
            raise PushRefused(401, "bad or missing clientState")
    subscriptions = {item.get("subscriptionId") for item in items}
    if len(subscriptions) != 1:
        raise PushRefused(400, "notifications of several subscriptions")
    subscription = subscriptions.pop()
    if not isinstance(subscription, str) or not subscription:
        raise PushRefused(400, "no subscription id")
    kinds = []
    for item in items:
        lifecycle = item.get("lifecycleEvent")
        if isinstance(lifecycle, str):
            kinds.append((LIFECYCLE_KINDS.get(lifecycle, PushKind.OTHER), lifecycle))
        elif isinstance(item.get("changeType"), str):
            kinds.append((PushKind.CHANGE, str(item["changeType"])))
        else:
            kinds.append((PushKind.OTHER, "unknown"))
    # The most demanding kind of the delivery wins: renew > change > other.
    rank = {PushKind.RENEW: 0, PushKind.CHANGE: 1}
    kind, name = min(kinds, key=lambda k: rank.get(k[0], 2))
    return PushNotice(kind, name, subscription, None)


def _items(body: bytes) -> list[dict[str, Any]]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise PushRefused(400, "not JSON") from None
    value = data.get("value") if isinstance(data, dict) else None
    if not isinstance(value, list) or not value or not all(isinstance(i, dict) for i in value):
        raise PushRefused(400, "no notifications")
    return value
