"""What the worlds of the calendar services zdcal writes to directly over OAuth (Google
Calendar, Microsoft 365) have in common: an owner's account is linked with tokens the
simulator mints as if the user had consented, each agent writes to a calendar the world
names, and the scenarios shared by both (lifecycle, two-way, crash) act through the few
steps each simulator spells its own way (below)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import httpx
from world import World

from zdcal.store import CalDAVAccount, CalendarTokens


@dataclass
class DirectWorld(World, ABC):
    @property
    @abstractmethod
    def simulator(self) -> httpx.Client:
        """A plain client on the calendar service's simulator (API and control routes)."""

    @abstractmethod
    def account_id(self, owner: str) -> str:
        """``owner``'s account id at the service, as zdcal records it."""

    def link(self, owner: str) -> tuple[str, str, CalendarTokens | CalDAVAccount]:
        return self.account_id(owner), "", self.authorize(owner)

    def default_calendar(self, owner: str) -> str:
        return self.calendar(owner)

    @abstractmethod
    def raw_events(self, calendar_id: str) -> list[dict[str, Any]]:
        """Every event of a simulated calendar as the service shows it."""

    @abstractmethod
    def insert(self, owner: str, event_id: str, summary: str, day: str,
               calendar_id: str | None = None) -> None:
        """An all-day event named or marked as zdcal's ``event_id``, made through the
        service's API with ``owner``'s own token: what a write leaves when its record was
        never committed."""

    @abstractmethod
    def revoke(self, owner: str) -> None:
        """``owner`` removes zdcal's access in their account: every token dies."""

    @abstractmethod
    async def sign_in(self, authorize_url: str, owner: str) -> str:
        """Walk the service's consent page as ``owner``; the authorization code."""

    @abstractmethod
    def expire_read_tokens(self) -> None:
        """The service forgets every token zdcal reads changes from (sync token, delta
        link): the next read by one is refused (410)."""

    def slow(self, latency_ms: int) -> None:
        """Each request to the service waits this long first (0: back to normal)."""
        self.simulator.put("/_sandbox/faults", json={"latency_ms": latency_ms}
                           ).raise_for_status()

    def stats(self) -> dict[str, Any]:
        """The simulator's request counters (by route, by status)."""
        stats: dict[str, Any] = self.simulator.get("/_sandbox/stats").json()
        return stats
