"""Push notifications: signed like Cronofy's, sent as real HTTP POSTs in the background."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

import httpx

from zdcal.clock import Clock
from zdcal.sandbox.cronofy import assumptions
from zdcal.sandbox.cronofy.behaviour import Behaviour
from zdcal.sandbox.cronofy.event_times import format_instant
from zdcal.sandbox.cronofy.model import Channel
from zdcal.sandbox.faults import FaultInjector
from zdcal.sandbox.push_delivery import BackgroundDeliveries

SIGNATURE_HEADER = "Cronofy-HMAC-SHA256"


def sign(body: bytes, client_secret: str) -> str:
    """``Cronofy-HMAC-SHA256``: base64 of the HMAC-SHA256 of the raw body, keyed by the secret."""
    digest = hmac.new(client_secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signature_header(body: bytes, active_secrets: list[str]) -> str:
    """One signature per active client secret, comma-separated, as Cronofy documents."""
    return assumptions.SIGNATURE_SEPARATOR.join(sign(body, s) for s in active_secrets)


@dataclass
class Delivery:
    """One attempt (or a deliberate loss) in the push delivery log."""

    channel_id: str
    callback_url: str
    type: str
    outcome: str
    """``delivered`` (any HTTP answer), ``failed`` (no answer) or ``dropped`` (fault knob)."""
    at: str
    status: int | None = None
    error: str | None = None
    body: dict[str, Any] | None = None


class NotificationSender(BackgroundDeliveries):
    """Delivers notifications from background tasks, applying the webhook fault knobs."""

    def __init__(
        self,
        client_secret: str,
        injector: FaultInjector,
        clock: Clock,
        timeout: float,
        behaviour: Behaviour,
    ) -> None:
        super().__init__(timeout)
        self.client_secret = client_secret
        self.behaviour = behaviour
        self.injector = injector
        self.clock = clock
        self.log: deque[Delivery] = deque(maxlen=assumptions.NOTIFICATION_LOG_LIMIT)

    def send(self, channel: Channel, notification: dict[str, Any]) -> None:
        """Schedule delivery of ``notification`` to the channel; returns at once."""
        payload = {"notification": notification, "channel": channel.to_json()}
        body = json.dumps(payload, separators=(",", ":")).encode()
        kind = str(notification.get("type"))
        plan = self.injector.delivery_plan()
        if not plan:
            self._record(channel, kind, "dropped", body=payload)
        for delay in plan:
            self._spawn(self._deliver(channel, kind, body, payload, delay))

    def send_change(self, channel: Channel, changes_since: Any) -> None:
        """A ``change`` notification: read events with ``last_modified=changes_since``."""
        self.send(channel, {"type": "change", "changes_since": format_instant(changes_since)})

    async def _deliver(
        self, channel: Channel, kind: str, body: bytes, payload: dict[str, Any], delay: float
    ) -> None:
        if delay:
            await asyncio.sleep(delay)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: signature_header(body, self._active_secrets()),
            "User-Agent": "Cronofy (zdcal sandbox)",
        }
        try:
            response = await self._http().post(channel.callback_url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            self._record(channel, kind, "failed", error=type(exc).__name__, body=payload)
            return
        self._record(channel, kind, "delivered", status=response.status_code, body=payload)

    def _active_secrets(self) -> list[str]:
        # The secret being rotated signs first: a receiver must look past the first value.
        return [*self.behaviour.additional_client_secrets, self.client_secret]

    def _record(self, channel: Channel, kind: str, outcome: str, **details: Any) -> None:
        at = format_instant(self.clock.now())
        self.log.append(
            Delivery(channel.channel_id, channel.callback_url, kind, outcome, at, **details)
        )

    def entries(self) -> list[dict[str, Any]]:
        return [asdict(delivery) for delivery in self.log]
