"""What a sync did, in numbers: tickets read, events written, requests per API."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx


@dataclass
class SyncReport:
    """Counters a sync run adds to; printed as the summary of ``zdcal sync``."""

    tickets_read: int = 0
    events_created: int = 0
    events_updated: int = 0
    events_deleted: int = 0
    events_failed: int = 0
    agents_needing_reconnect: int = 0
    # Verify (``--verify``): agents whose calendars are read back, and what it repaired.
    agents_to_verify: int = 0
    agents_verified: int = 0
    events_rewritten: int = 0
    """Events a calendar lost (deleted by hand, say), written again."""
    strays_removed: int = 0
    """Events of ours that zdcal has no record of, deleted (also in ``events_deleted``)."""
    requests: Counter[str] = field(default_factory=Counter)
    listener: Callable[[SyncReport], None] | None = field(default=None, repr=False)
    """Told after each page of tickets read, batch applied and calendar verified (a
    progress display)."""

    def progressed(self) -> None:
        if self.listener is not None:
            self.listener(self)

    def summary(self) -> str:
        apis = ", ".join(f"{api} {count}" for api, count in sorted(self.requests.items()))
        return (
            f"tickets read {self.tickets_read}; events created {self.events_created}, "
            f"updated {self.events_updated}, deleted {self.events_deleted}, "
            f"failed {self.events_failed}; requests: {apis or 'none'}"
            + (
                f"; verify: {self.agents_verified} agents, events rewritten "
                f"{self.events_rewritten}, strays removed {self.strays_removed}"
                if self.agents_to_verify else ""
            )
        )


class RequestCounter:
    """An httpx request hook counting requests sent to one API into a report."""

    def __init__(self, report: SyncReport, api: str) -> None:
        self.report = report
        self.api = api

    async def __call__(self, request: httpx.Request) -> None:
        self.report.requests[self.api] += 1
