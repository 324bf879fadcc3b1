"""Push notification channels (events.watch): the channel record and the background sender."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

import httpx

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

    def next_message_number(self) -> int:
        self.message_number += 1
        return self.message_number


class PushSender(BackgroundDeliveries):
    """Delivers ``POST address`` with Google's ``X-Goog-*`` headers and no body, from
    background tasks, so the API call that caused it answers at once."""

    def __init__(self, timeout: float = 5.0) -> None:
        super().__init__(timeout)
        self.delivered: list[tuple[str, str, int | None]] = []
        """(channel id, resource state, HTTP status or None when the receiver was not there)."""

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
        self._spawn(self._deliver(channel, state, headers))

    async def _deliver(self, channel: Channel, state: str, headers: dict[str, str]) -> None:
        try:
            response = await self._http().post(channel.address, headers=headers)
        except httpx.HTTPError:
            self.delivered.append((channel.channel_id, state, None))
            return
        self.delivered.append((channel.channel_id, state, response.status_code))
