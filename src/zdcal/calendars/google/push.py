"""Google's push notifications: each channel's token, and the notice a delivery carries.

Google does not sign deliveries; it echoes the ``token`` given at ``events.watch`` in
``X-Goog-Channel-Token``. zdcal's token is the HMAC-SHA256, keyed with the Google client
secret, of a fixed label and the channel's random id: only zdcal can make it, nothing
per channel is stored, and it is checked (constant time) before anything else is read.
A delivery has no body; the headers say what happened (``sync`` right after a channel
was made, ``exists``/``not_exists`` when the watched events changed).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Mapping

from zdcal.calendars.base import PushKind, PushNotice, PushRefused

TOKEN_LABEL = b"zdcal google push channel\n"
CHANNEL_HEADER = "x-goog-channel-id"
TOKEN_HEADER = "x-goog-channel-token"  # noqa: S105 - a header name
STATE_HEADER = "x-goog-resource-state"
KINDS = {
    "sync": PushKind.VERIFICATION,
    "exists": PushKind.CHANGE,
    "not_exists": PushKind.CHANGE,
}


def new_channel_id(calendar_id: str, callback_url: str) -> str:
    """A fresh channel id (at most 64 characters, as Google allows) that also says what
    the channel was made for: a random part, then a fingerprint of the calendar it
    watches and the address it calls. A channel watches one calendar, and Google cannot
    list channels: the fingerprint tells, without a request, that an agent who switched
    calendars (or a zdcal whose public URL changed) needs a new one."""
    return f"{uuid.uuid4().hex}-{_fingerprint(calendar_id, callback_url)}"


def made_for(channel_id: str, calendar_id: str, callback_url: str) -> bool:
    """Whether ``channel_id`` was made (:func:`new_channel_id`) for this calendar and
    address."""
    return channel_id.endswith("-" + _fingerprint(calendar_id, callback_url))


def _fingerprint(calendar_id: str, callback_url: str) -> str:
    text = f"{calendar_id}\n{callback_url}".encode()
    return hashlib.sha256(text).hexdigest()[:16]


def channel_token(client_secret: str, channel_id: str) -> str:
    """The ``token`` zdcal gives the channel ``channel_id`` (URL-safe base64)."""
    digest = hmac.new(
        client_secret.encode("utf-8"), TOKEN_LABEL + channel_id.encode("utf-8"), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def read_notification(
    client_secret: str, body: bytes, headers: Mapping[str, str]
) -> PushNotice:
    """The notice in a genuine delivery; :class:`PushRefused` otherwise."""
    lowered = {name.lower(): value for name, value in headers.items()}
    channel_id = lowered.get(CHANNEL_HEADER, "")
    token = lowered.get(TOKEN_HEADER, "")
    expected = channel_token(client_secret, channel_id)
    if not channel_id or not hmac.compare_digest(token.encode(), expected.encode()):
        raise PushRefused(401, "bad or missing channel token")
    state = lowered.get(STATE_HEADER, "")
    if not state:
        raise PushRefused(400, "no resource state")
    return PushNotice(KINDS.get(state, PushKind.OTHER), state, channel_id, None)
