"""Sync and page tokens: opaque to clients, a small signed-by-nobody JSON inside.

A sync token is (generation, calendar, change_no): "changes after change_no". A page token
adds the listing's upper bound and the sort key of the last event served, so paging is
stable: an event changed while a client pages drops out (its change_no passes the bound) and
no other event is skipped or repeated.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Cursor:
    generation: str
    calendar_id: str
    since: int
    """Only events changed after this change_no (0: everything)."""
    upto: int
    """The snapshot: only events whose last change is at most this."""
    after: tuple[float, int] | None = None
    """Paging: only events whose sort key (see ``EventFilter.sort_key``) is above this."""

    def encode(self) -> str:
        raw = json.dumps([self.generation, self.calendar_id, self.since, self.upto, self.after])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor | None:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            generation, calendar_id, since, upto, after = json.loads(raw)
        except (ValueError, TypeError):
            return None
        if not (isinstance(generation, str) and isinstance(calendar_id, str)):
            return None
        if not all(isinstance(n, int) for n in (since, upto)):
            return None
        if after is not None:
            if not (isinstance(after, list) and len(after) == 2):
                return None
            if not (isinstance(after[0], int | float) and isinstance(after[1], int)):
                return None
            after = (float(after[0]), after[1])
        return cls(generation, calendar_id, since, upto, after)
