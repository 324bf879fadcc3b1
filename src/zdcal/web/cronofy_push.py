"""The Cronofy push receiver: ``POST /webhooks/cronofy/{account key}/{zendesk user id}``.

Notifications carry no credentials: the path says whose calendar it is, the
``Cronofy-HMAC-SHA256`` header (HMAC of the raw body with our client secret; several
comma-separated values during rotation) says it is Cronofy. The signature is checked
before anything is read from the database, so forged requests cost nothing. Then:
``verification`` is acknowledged, ``change`` queues the agent's calendar for reading,
``profile_disconnected`` has the agent's calendar checked (below), anything else is
acknowledged and ignored.

One client secret signs every account's notifications and the HMAC covers the body
only, so a genuine notification could be replayed to another agent's path: ``change``
and ``profile_disconnected`` must name the agent's own channel (its stored id, and the
callback URL zdcal gave it). And a notification is only a hint: a disconnection is
believed when the calendar refuses one read with the agent's own token, and replays of
it cost at most that read (one per agent at a time, none for a while after a read that
found the calendar connected).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from zdcal.calendars.cronofy.signature import verify_notification
from zdcal.live.services import Services
from zdcal.live.worker import Workers
from zdcal.store import Account, Agent, AgentStatus
from zdcal.sync.agents import confirm_disconnection
from zdcal.web.bodies import (
    BodyRefused,
    decode_json,
    plausible_account_key,
    read_capped_body,
    zendesk_id,
)
from zdcal.web.refusals import WebhookRefusals
from zdcal.webhook_urls import cronofy_receiver_url

MAX_BODY_BYTES = 64 * 1024
RECHECK_AFTER_SECONDS = 60.0
# The notifications that act on an agent; the others only get an answer.
BOUND_TYPES = frozenset({"change", "profile_disconnected"})


@dataclass(frozen=True)
class Notification:
    type: str
    channel_id: str | None
    callback_url: str | None


class DisconnectionChecks:
    """Confirms reported disconnections with the calendar, coalescing repeats per agent."""

    def __init__(self, *, recheck_after: float = RECHECK_AFTER_SECONDS) -> None:
        self._recheck_after = recheck_after
        self._running: dict[int, asyncio.Task[bool]] = {}
        self._checked_at: dict[int, float] = {}

    async def confirm(self, services: Services, account: Account, agent: Agent) -> bool:
        """Whether the agent was found disconnected (and marked so) by this check or one
        running already; False without a read right after a check found no refusal."""
        checked = self._checked_at.get(agent.id)
        if checked is not None and time.monotonic() - checked < self._recheck_after:
            return False
        check = self._running.get(agent.id)
        if check is None:
            check = asyncio.create_task(
                confirm_disconnection(services.account_sync(account), agent)
            )
            self._running[agent.id] = check
            check.add_done_callback(lambda _: self._finished(agent.id))
        # Shielded: a caller that goes away must not cancel the check the others await.
        return await asyncio.shield(check)

    def _finished(self, agent_id: int) -> None:
        self._running.pop(agent_id, None)
        self._checked_at[agent_id] = time.monotonic()


def _notification(body: bytes) -> Notification:
    data: Any = decode_json(body)
    notification = data.get("notification") if isinstance(data, dict) else None
    kind = notification.get("type") if isinstance(notification, dict) else None
    if not isinstance(kind, str):
        raise BodyRefused(400, "malformed notification")
    channel = data.get("channel")
    channel = channel if isinstance(channel, dict) else {}
    channel_id, callback_url = channel.get("channel_id"), channel.get("callback_url")
    return Notification(
        kind,
        channel_id if isinstance(channel_id, str) else None,
        callback_url if isinstance(callback_url, str) else None,
    )


def _own_channel(notification: Notification, agent: Agent, services: Services,
                 account_key: str) -> bool:
    expected_url = cronofy_receiver_url(
        services.settings.public_url, account_key, agent.zendesk_user_id
    )
    return (
        agent.channel_id is not None
        and notification.channel_id == agent.channel_id
        and notification.callback_url == expected_url
    )


async def cronofy_push(request: Request) -> Response:
    services: Services = request.state.services
    workers: Workers = request.state.workers
    refusals: WebhookRefusals = request.state.refusals
    checks: DisconnectionChecks = request.state.disconnection_checks
    try:
        body = await read_capped_body(request, MAX_BODY_BYTES)
        secret = services.settings.cronofy_client_secret.get_secret_value()
        if not verify_notification(secret, body, request.headers.get("cronofy-hmac-sha256")):
            return refusals.refuse("cronofy", 401, "bad or missing signature")
        notification = _notification(body)
    except BodyRefused as refused:
        return refusals.refuse("cronofy", refused.status, refused.reason)
    key = request.path_params["account_key"]
    user_id = zendesk_id(request.path_params["user_id"])
    if not plausible_account_key(key) or user_id is None:
        return refusals.refuse("cronofy", 404, "unknown agent")
    kind = notification.type
    async with services.store.transaction() as tx:
        account = await tx.accounts.get_by_key(key)
        agent = await tx.agents.get_by_user(account.id, user_id) if account else None
        if account is None or agent is None:
            return refusals.refuse("cronofy", 404, "unknown agent")
        if kind in BOUND_TYPES and not _own_channel(notification, agent, services, key):
            return refusals.refuse("cronofy", 403, "not this agent's channel")
        if kind == "change":
            await tx.calendar_reads.add(account.id, agent.zendesk_user_id)
    services.metrics.webhooks.labels("cronofy", "accepted", kind[:32]).inc()
    if kind == "change":
        workers.notify_calendar()
        return JSONResponse({"status": "queued"}, status_code=202)
    if kind == "profile_disconnected":
        if agent.status is AgentStatus.ACTIVE and agent.tokens is not None:
            await checks.confirm(services, account, agent)
        return JSONResponse({"status": "ok"})
    return JSONResponse({"status": "ok" if kind == "verification" else "ignored"})
