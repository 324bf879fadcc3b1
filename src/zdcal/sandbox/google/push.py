"""Push notification channels (events.watch): the channel record and the background sender."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

import httpx


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

    def next_message_number(self) -> int:
        self.message_number += 1
        return self.message_number


class PushSender:
    """Delivers ``POST address`` with Google's ``X-Goog-*`` headers and no body, from
    background tasks, so the API call that caused it answers at once."""

    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout
        self.delivered: list[tuple[str, str, int | None]] = []
        """(channel id, resource state, HTTP status or None when the receiver was not there)."""
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None

    def send(self, channel: Channel, state: str) -> None:
        headers = {
            "X-Goog-Channel-ID": channel.channel_id,
            "X-Goog-Message-Number": str(channel.next_message_number()),
            "X-Goog-Resource-ID": channel.resource_id,
            "X-Goog-Resource-State": state,
            "X-Goog-Resource-URI": channel.resource_uri,
            "X-Goog-Channel-Expiration": format_datetime(channel.expiration, usegmt=True),
            "Content-Length": "0",
        }
        if channel.token is not None:
            headers["X-Goog-Channel-Token"] = channel.token
        task = asyncio.get_running_loop().create_task(self._deliver(channel, state, headers))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, channel: Channel, state: str, headers: dict[str, str]) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout)
        try:
            response = await self._client.post(channel.address, headers=headers)
        except httpx.HTTPError:
            self.delivered.append((channel.channel_id, state, None))
            return
        self.delivered.append((channel.channel_id, state, response.status_code))

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None
