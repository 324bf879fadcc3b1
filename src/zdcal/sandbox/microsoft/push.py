"""Change and lifecycle notifications: the validation handshake and background deliveries."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from zdcal.sandbox.faults import FaultInjector
from zdcal.sandbox.push_delivery import BackgroundDeliveries


@dataclass(frozen=True)
class Delivery:
    """One POST the simulator made: where, what kind, and the receiver's status (None: none
    answered in time, or the fault knobs dropped it)."""

    url: str
    kind: str
    """``change``, ``lifecycle`` or ``validation``."""
    status: int | None
    attempt: int


class NotificationSender(BackgroundDeliveries):
    """Posts ``{"value": [...]}`` bodies from background tasks, retrying on failure."""

    def __init__(self, timeout: float, retry_delays: tuple[float, ...],
                 injector: FaultInjector) -> None:
        super().__init__(timeout)
        self.retry_delays = retry_delays
        self.injector = injector
        self.delivered: list[Delivery] = []

    async def validate(self, url: str, token: str, wait_seconds: float) -> bool:
        """The handshake: POST ``url?validationToken=..``; True when the token comes back as is."""
        try:
            response = await self._http().post(
                url, params={"validationToken": token}, timeout=wait_seconds,
                headers={"Content-Type": "text/plain; charset=utf-8"},
            )
        except httpx.HTTPError:
            self.delivered.append(Delivery(url, "validation", None, 1))
            return False
        self.delivered.append(Delivery(url, "validation", response.status_code, 1))
        media = response.headers.get("content-type", "")
        return response.status_code == 200 and media.startswith("text/plain") and (
            response.text == token
        )

    def send(self, url: str, kind: str, notifications: list[dict[str, Any]]) -> None:
        """Deliver in the background; the fault knobs may drop, repeat or delay it."""
        for delay in self.injector.delivery_plan():
            self._spawn(self._deliver(url, kind, {"value": notifications}, delay))

    async def _deliver(self, url: str, kind: str, body: dict[str, Any], delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        for attempt, wait in enumerate((0.0, *self.retry_delays), start=1):
            if wait:
                await asyncio.sleep(wait)
            try:
                response = await self._http().post(url, json=body)
            except httpx.HTTPError:
                self.delivered.append(Delivery(url, kind, None, attempt))
                continue
            self.delivered.append(Delivery(url, kind, response.status_code, attempt))
            if response.status_code < 500:
                return
