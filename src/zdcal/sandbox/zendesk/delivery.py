"""Delivering a trigger's webhook call over real HTTP, signed, best effort, with the
retry rules Zendesk documents and the sandbox's drop/duplicate/delay fault knobs."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from zdcal.sandbox.faults import FaultInjector
from zdcal.sandbox.push_delivery import BackgroundDeliveries
from zdcal.sandbox.zendesk.assumptions import (
    WEBHOOK_RETRY_AFTER_CEILING_SECONDS,
    WEBHOOK_RETRY_BACKOFF_SECONDS,
)
from zdcal.sandbox.zendesk.model import Webhook
from zdcal.sandbox.zendesk.timestamps import iso_z
from zdcal.sandbox.zendesk.webhooks import new_ulid

CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "xml": "application/xml",
    "form_encoded": "application/x-www-form-urlencoded",
}


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """base64(HMAC-SHA256(key=secret, message=timestamp + body)), as Zendesk signs."""
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass
class DeliveryRecord:
    """One copy of one invocation, as the control API reports it."""

    webhook_id: str
    invocation_id: str
    trigger_id: int | None
    ticket_id: int | None
    body: str
    copy: int
    status: str = "pending"
    """pending | delivered | failed | dropped"""
    attempts: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "webhook_id": self.webhook_id,
            "invocation_id": self.invocation_id,
            "trigger_id": self.trigger_id,
            "ticket_id": self.ticket_id,
            "copy": self.copy,
            "final_status": self.status,
            "attempt_count": len(self.attempts),
            "attempts": list(self.attempts),
            "body": self.body,
        }


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


class WebhookDeliverer(BackgroundDeliveries):
    """Sends invocations from background tasks so the API call that caused them returns
    first, all on one kept-alive client (a client per delivery built a TLS context each
    time: tens of ms of CPU, which held the whole simulator to a few dozen webhooks a
    second)."""

    def __init__(
        self,
        account_id: int,
        injector: FaultInjector,
        now: Callable[[], float],
        timeout_seconds: Callable[[], float],
        max_attempts: Callable[[], int],
    ) -> None:
        # Kept alive, no cap on connections (assumptions.WEBHOOK_CONNECTIONS_KEPT_ALIVE).
        super().__init__(timeout_seconds(), httpx.Limits(max_connections=None))
        self.account_id = account_id
        self.injector = injector
        self.now = now
        self.timeout_seconds = timeout_seconds
        self.max_attempts = max_attempts
        self.records: list[DeliveryRecord] = []

    def clear(self) -> None:
        """Forget the delivery log (sandbox reset); in-flight deliveries are cancelled."""
        for task in self._tasks:
            task.cancel()
        self.records.clear()

    def invoke(
        self, webhook: Webhook, body: str, trigger_id: int | None, ticket_id: int | None
    ) -> list[DeliveryRecord]:
        """Schedule one invocation (0, 1 or 2 copies by the fault plan); inactive: nothing."""
        if webhook.status != "active":
            return []
        invocation_id = new_ulid(self.now())
        plan = self.injector.delivery_plan()
        if not plan:
            record = DeliveryRecord(webhook.id, invocation_id, trigger_id, ticket_id, body, 1)
            record.status = "dropped"
            self.records.append(record)
            return [record]
        records = []
        for number, delay in enumerate(plan, start=1):
            record = DeliveryRecord(webhook.id, invocation_id, trigger_id, ticket_id, body, number)
            self.records.append(record)
            records.append(record)
            self._spawn(self._send(webhook, record, delay))
        return records

    async def wait_idle(self) -> None:
        """Wait until no delivery is in flight (tests, shutdown)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    def _headers(self, webhook: Webhook, record: DeliveryRecord, raw: bytes) -> dict[str, str]:
        timestamp = iso_z(self.now())
        headers = {
            **webhook.custom_headers,
            "Content-Type": CONTENT_TYPES[webhook.request_format],
            "User-Agent": "Zendesk Webhook",
            "X-Zendesk-Account-Id": str(self.account_id),
            "X-Zendesk-Webhook-Id": webhook.id,
            "X-Zendesk-Webhook-Invocation-Id": record.invocation_id,
            "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
            "X-Zendesk-Webhook-Signature": webhook_signature(
                webhook.signing_secret, timestamp, raw
            ),
        }
        auth = webhook.authentication
        if auth is not None:
            data = auth.get("data", {})
            if auth["type"] == "bearer_token":
                headers["Authorization"] = f"Bearer {data['token']}"
            elif auth["type"] == "basic_auth":
                pair = f"{data['username']}:{data['password']}".encode()
                headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
            else:
                headers[str(data["name"])] = str(data["value"])
        return headers

    async def _send(self, webhook: Webhook, record: DeliveryRecord, delay: float) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        raw = record.body.encode()
        attempts = max(1, self.max_attempts())
        client = self._http()
        for attempt in range(1, attempts + 1):
            pause = WEBHOOK_RETRY_BACKOFF_SECONDS
            try:
                response = await client.request(
                    webhook.http_method,
                    webhook.endpoint,
                    content=raw,
                    headers=self._headers(webhook, record, raw),
                    timeout=self.timeout_seconds(),
                )
            except httpx.TimeoutException:
                record.attempts.append({"attempt": attempt, "status": None, "error": "timeout"})
                retry = True
            except httpx.HTTPError as exc:
                record.attempts.append(
                    {"attempt": attempt, "status": None, "error": type(exc).__name__}
                )
                retry = True
            else:
                status = response.status_code
                record.attempts.append({"attempt": attempt, "status": status, "error": None})
                if 200 <= status < 300:
                    record.status = "delivered"
                    return
                retry = status == 409
                if status in (429, 503):
                    after = _retry_after(response)
                    retry = after is not None and after < WEBHOOK_RETRY_AFTER_CEILING_SECONDS
                    pause = max(pause, after or 0.0)
            if not retry or attempt == attempts:
                break
            await asyncio.sleep(pause)
        record.status = "failed"
