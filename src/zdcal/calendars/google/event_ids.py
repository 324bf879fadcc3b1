"""zdcal's event ids in Google's alphabet, and back.

Google lets a client choose an event's id, but only from base32hex (``0-9``, ``a-v``),
5 to 1024 characters. zdcal's ids (``zdcal-<account key>-<ticket id>``) hold ``z`` and
``-``, so the Google id is the RFC 4648 base32hex encoding of the id's UTF-8, lowercase,
without padding: deterministic (an upsert finds the same event again, a crash between a
write and its record leaves no duplicate) and reversible (a read names the event by
zdcal's id). An id that does not decode to one of zdcal's is not ours.
"""

from __future__ import annotations

import base64
import binascii

from zdcal.domain.account import EVENT_ID_PREFIX

_OURS = f"{EVENT_ID_PREFIX}-"


def google_event_id(event_id: str) -> str:
    """The Google id of zdcal's ``event_id``."""
    return base64.b32hexencode(event_id.encode("utf-8")).decode("ascii").rstrip("=").lower()


def zdcal_event_id(google_id: str) -> str | None:
    """zdcal's event id behind a Google id; None for an event zdcal did not name."""
    text = google_id.upper()
    try:
        decoded = base64.b32hexdecode(text + "=" * (-len(text) % 8)).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    if not decoded.startswith(_OURS) or google_event_id(decoded) != google_id:
        return None
    return decoded
