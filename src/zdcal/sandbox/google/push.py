"""Push notification channels (events.watch): the channel record and the background sender,
which retries like Google (5xx and no answer, with exponential backoff) and obeys the
webhook fault knobs (drop, duplicate, delay)."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import asdict, dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import Any

import httpx

from zdcal.clock import Clock
from zdcal.sandbox.faults import FaultInjector
from zdcal.sandbox.google import assumptions
from zdcal.sandbox.push_delivery import BackgroundDeliveries


@dataclass
class Channel:
    channel_id: str
    resource_id: str
    resource_uri: str
    calendar_id: str
    email: str
    address: str
    token: str | None
    expiration: datetime
    message_number: int = 0
    stopped: bool = False

    def next_message_number(self) -> int:
        self.message_number += 1
        return self.message_number

    def live(self, now: datetime) -> bool:
        """Still receiving: neither stopped nor expired (Google sends nothing after that)."""
        return not self.stopped and now < self.expiration


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = assumptions.PUSH_RETRIES
    base_seconds: float = assumptions.PUSH_RETRY_BASE_SECONDS

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1-based): base, 2 base, 4 base..."""
        return float(self.base_seconds * 2 ** (retry - 1))


@dataclass
class Attempt:
    """One line of the delivery log (``GET /_sandbox/notifications``)."""

    channel_id: str
    state: str
    message_number: int
    attempt: int
    """1 for the first try, 2 for the first retry..."""
    outcome: str
    """``delivered`` (a success status), ``retrying`` (5xx or no answer, tried again),
    ``failed`` (a status Google does not retry), ``gave_up`` (retries used up),
    ``abandoned`` (the channel stopped or expired before this try), ``dropped`` (fault)."""
    at: str
    status: int | None = None
    error: str | None = None


class PushSender(BackgroundDeliveries):
    """Delivers ``POST address`` with Google's ``X-Goog-*`` headers and no body, from
    background tasks, so the API call that caused it answers at once."""

    def __init__(
        self,
        injector: FaultInjector,
        clock: Clock,
        policy: RetryPolicy | None = None,
        timeout: float = 5.0,
    ) -> None:
        super().__init__(timeout)
        self.injector = injector
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self.log: deque[Attempt] = deque(maxlen=assumptions.PUSH_LOG_LIMIT)

    def send(self, channel: Channel, state: str) -> None:
        """Schedule the channel's next message (``sync`` or ``exists``); returns at once."""
        number = channel.next_message_number()
        headers = {
            "X-Goog-Channel-ID": channel.channel_id,
            "X-Goog-Message-Number": str(number),
            "X-Goog-Resource-ID": channel.resource_id,
            "X-Goog-Resource-State": state,
            "X-Goog-Resource-URI": channel.resource_uri,
            "X-Goog-Channel-Expiration": format_datetime(channel.expiration, usegmt=True),
            "Content-Length": "0",
        }
        if channel.token is not None:
            headers["X-Goog-Channel-Token"] = channel.token
        plan = self.injector.delivery_plan()
        if not plan:
            self._note(channel, state, number, 1, "dropped")
        for delay in plan:
            self._spawn(self._deliver(channel, state, number, headers, delay))

    async def _deliver(
        self, channel: Channel, state: str, number: int, headers: dict[str, str], delay: float
    ) -> None:
        if delay:
            await asyncio.sleep(delay)
        for attempt in range(1, self.policy.retries + 2):
            if attempt > 1:
                await asyncio.sleep(self.policy.delay(attempt - 1))
            if not channel.live(self.clock.now()):
                self._note(channel, state, number, attempt, "abandoned")
                return
            status: int | None = None
            error: str | None = None
            try:
                response = await self._http().post(channel.address, headers=headers)
            except httpx.HTTPError as exc:
                error = type(exc).__name__
            else:
                status = response.status_code
            if status in assumptions.PUSH_SUCCESS_STATUSES:
                self._note(channel, state, number, attempt, "delivered", status)
                return
            if status is not None and status not in assumptions.PUSH_RETRIED_STATUSES:
                self._note(channel, state, number, attempt, "failed", status)
                return
            last = attempt > self.policy.retries
            self._note(channel, state, number, attempt, "gave_up" if last else "retrying",
                       status, error)

    def _note(self, channel: Channel, state: str, number: int, attempt: int, outcome: str,
              status: int | None = None, error: str | None = None) -> None:
        at = self.clock.now().isoformat()
        self.log.append(
            Attempt(channel.channel_id, state, number, attempt, outcome, at, status, error)
        )

    def entries(self) -> list[dict[str, Any]]:
        return [asdict(attempt) for attempt in self.log]
