"""The append-only log of ticket changes behind the incremental export.

Two parallel ``array('q')`` columns (generated_timestamp, ticket id) keep a million entries
in 16 MB; a position in the log is the export cursor, so every page is O(page size).
"""

from __future__ import annotations

import base64
import binascii
from array import array
from bisect import bisect_left


class InvalidCursor(ValueError):
    """A cursor string that this log did not issue."""


class ChangeLog:
    """Positions 0..n-1 of ticket changes, in non-decreasing generated_timestamp order."""

    def __init__(self) -> None:
        self.timestamps = array("q")
        self.ticket_ids = array("q")

    def __len__(self) -> int:
        return len(self.timestamps)

    def append(self, generated_timestamp: int, ticket_id: int) -> int:
        """Record a change; returns its position."""
        self.timestamps.append(generated_timestamp)
        self.ticket_ids.append(ticket_id)
        return len(self.timestamps) - 1

    def first_position_at_or_after(self, unix_seconds: int) -> int:
        """Where an export starting at ``start_time`` begins."""
        return bisect_left(self.timestamps, unix_seconds)

    def clear(self) -> None:
        """Forget every change (sandbox reset)."""
        del self.timestamps[:]
        del self.ticket_ids[:]

    @staticmethod
    def encode_cursor(position: int) -> str:
        """An opaque cursor for a log position."""
        return base64.urlsafe_b64encode(f"zdsim:{position}".encode()).decode().rstrip("=")

    @staticmethod
    def decode_cursor(cursor: str) -> int:
        """The log position a cursor names; InvalidCursor if it is not one of ours."""
        padded = cursor + "=" * (-len(cursor) % 4)
        try:
            text = base64.urlsafe_b64decode(padded.encode()).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise InvalidCursor(cursor) from exc
        prefix, _, number = text.partition(":")
        if prefix != "zdsim" or not number.isdigit():
            raise InvalidCursor(cursor)
        return int(number)
