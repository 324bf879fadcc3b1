"""The calendar push receiver, e.g. Cronofy's
``POST /webhooks/cronofy/{account key}/{zendesk user id}``: a thin route over the
backend's :meth:`~zdcal.calendars.base.CalendarBackend.read_push`.

Notifications carry no credentials: the path says whose calendar it is, the backend
checks that the calendar service sent it (Cronofy: an HMAC of the body with our client
secret) before anything is read from the database, so forged requests cost nothing.
Then: a verification is acknowledged (a handshake whose notice carries an ``answer``,
Graph's ``validationToken``, gets it back as plain text before anything is looked up), a
change queues the agent's calendar for reading, a renewal request (Graph's lifecycle
notifications, on the same route plus ``/lifecycle``) makes the agent's channel due now
for the worker's renewal round and queues a read, a disconnection has the agent's
calendar checked (below), anything else is acknowledged and ignored.

One secret signs every account's notifications and the signature covers the body only,
so a genuine notification could be replayed to another agent's path: changes and
disconnections must name the agent's own channel (its stored id, and the callback URL
zdcal gave it, where the service says it; Google's notices carry a per-channel token
instead, checked by the backend). And a notification is only a hint: a disconnection is
believed when the calendar refuses one read with the agent's own token, and replays of
it cost at most that read (one per agent at a time, none for a while after a read that
found the calendar connected).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from zdcal.calendars.base import PushKind, PushNotice, PushRefused, push_channels
from zdcal.jobs.scheduler import Scheduler
from zdcal.live.services import Services
from zdcal.store import Account, Agent, AgentStatus
from zdcal.sync.agents import confirm_disconnection
from zdcal.web.bodies import BodyRefused, plausible_account_key, read_capped_body, zendesk_id
from zdcal.web.refusals import WebhookRefusals
from zdcal.webhook_urls import calendar_receiver_url

MAX_BODY_BYTES = 64 * 1024
RECHECK_AFTER_SECONDS = 60.0
# The notifications that act on an agent; the others only get an answer.
BOUND_KINDS = frozenset({PushKind.CHANGE, PushKind.DISCONNECTED, PushKind.RENEW})


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


def _own_channel(notification: PushNotice, agent: Agent, services: Services,
                 account_key: str) -> bool:
    expected_url = calendar_receiver_url(
        services.settings.public_url, agent.calendar_backend, account_key, agent.zendesk_user_id
    )
    # A service that does not say where it sent the notice (Google) names a channel id
    # zdcal chose at random and the backend checked the notice's token for it.
    return (
        agent.channel_id is not None
        and notification.channel_id == agent.channel_id
        and notification.callback_url in (None, expected_url)
    )


def calendar_push(backend: str) -> Callable[[Request], Awaitable[Response]]:
    """The receiver of the calendar backend called ``backend`` (its name in metrics and
    refusals too)."""

    async def receive(request: Request) -> Response:
        return await _receive(request, backend)

    return receive


async def _receive(request: Request, backend: str) -> Response:
    services: Services = request.state.services
    workers: Scheduler = request.state.workers
    refusals: WebhookRefusals = request.state.refusals
    checks: DisconnectionChecks = request.state.disconnection_checks
    try:
        body = await read_capped_body(request, MAX_BODY_BYTES)
        channels = push_channels(services.calendars.backend(backend))
        if channels is None:
            raise PushRefused(404, "this calendar backend does not push")
        notification = channels.read_push(body, request.headers, request.query_params)
    except (BodyRefused, PushRefused) as refused:
        return refusals.refuse(backend, refused.status, refused.reason)
    if notification.answer is not None:
        # A handshake (Graph's validation): the service wants its token back, as is,
        # within seconds; nothing is looked up or changed.
        services.metrics.webhooks.labels(backend, "accepted", notification.type[:32]).inc()
        return PlainTextResponse(notification.answer)
    key = request.path_params["account_key"]
    user_id = zendesk_id(request.path_params["user_id"])
    if not plausible_account_key(key) or user_id is None:
        return refusals.refuse(backend, 404, "unknown agent")
    kind = notification.kind
    async with services.store.transaction() as tx:
        account = await tx.accounts.get_by_key(key)
        agent = await tx.agents.get_by_user(account.id, user_id) if account else None
        if account is None or agent is None or agent.calendar_backend != backend:
            return refusals.refuse(backend, 404, "unknown agent")
        if kind in BOUND_KINDS and not _own_channel(notification, agent, services, key):
            return refusals.refuse(backend, 403, "not this agent's channel")
        if kind in (PushKind.CHANGE, PushKind.RENEW):
            await tx.calendar_reads.add(account.id, agent.zendesk_user_id)
        if kind is PushKind.RENEW:
            # Due now: the worker's next renewal round renews or remakes the channel.
            await tx.agents.set_channel(
                agent.id, agent.channel_id, resource_id=agent.channel_resource_id,
                expires_at=services.clock.now(),
            )
    services.metrics.webhooks.labels(backend, "accepted", notification.type[:32]).inc()
    if kind in (PushKind.CHANGE, PushKind.RENEW):
        workers.notify_calendar()
        return JSONResponse({"status": "queued"}, status_code=202)
    if kind is PushKind.DISCONNECTED:
        if agent.status is AgentStatus.ACTIVE and agent.has_credentials:
            await checks.confirm(services, account, agent)
        return JSONResponse({"status": "ok"})
    return JSONResponse({"status": "ok" if kind is PushKind.VERIFICATION else "ignored"})
