"""The Cronofy push receiver: ``POST /webhooks/cronofy/{account key}/{zendesk user id}``.

Notifications carry no credentials: the path says whose calendar it is, the
``Cronofy-HMAC-SHA256`` header (HMAC of the raw body with our client secret; several
comma-separated values during rotation) says it is Cronofy. The signature is checked
before anything is read from the database, so forged requests cost nothing. Then:
``verification`` is acknowledged, ``change`` queues the agent's calendar for reading,
``profile_disconnected`` marks the agent as needing to reconnect, anything else is
acknowledged and ignored.
"""

from __future__ import annotations

import json
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from zdcal.calendars.cronofy.signature import verify_notification
from zdcal.live.services import Services
from zdcal.live.worker import Workers
from zdcal.store import AgentStatus
from zdcal.web.bodies import BodyRefused, read_capped_body

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024


def _refuse(status: int, reason: str, metrics: Services) -> Response:
    metrics.metrics.webhooks.labels("rejected", f"cronofy: {reason}").inc()
    log.warning("calendar notification rejected: %s", reason)
    return JSONResponse({"error": reason}, status_code=status)


async def cronofy_push(request: Request) -> Response:
    services: Services = request.state.services
    workers: Workers = request.state.workers
    try:
        body = await read_capped_body(request, MAX_BODY_BYTES)
    except BodyRefused as refused:
        return _refuse(refused.status, refused.reason, services)
    secret = services.settings.cronofy_client_secret.get_secret_value()
    if not verify_notification(secret, body, request.headers.get("cronofy-hmac-sha256")):
        return _refuse(401, "bad or missing signature", services)
    try:
        data = json.loads(body)
        kind = data["notification"]["type"]
        if not isinstance(kind, str):
            raise TypeError(kind)
    except (ValueError, KeyError, TypeError):
        return _refuse(400, "malformed notification", services)
    key = request.path_params["account_key"]
    user = request.path_params["user_id"]
    if not user.isdigit() or len(user) > 19:
        return _refuse(404, "unknown agent", services)
    async with services.store.transaction() as tx:
        account = await tx.accounts.get_by_key(key) if key.isalnum() else None
        agent = await tx.agents.get_by_user(account.id, int(user)) if account else None
        if account is None or agent is None:
            return _refuse(404, "unknown agent", services)
        if kind == "change":
            await tx.calendar_reads.add(account.id, agent.zendesk_user_id)
        elif kind == "profile_disconnected":
            await tx.agents.set_status(
                agent.id, AgentStatus.NEEDS_RECONNECT, "the calendar account was disconnected"
            )
    services.metrics.webhooks.labels("accepted", f"cronofy: {kind[:32]}").inc()
    if kind == "change":
        workers.notify_calendar()
        return JSONResponse({"status": "queued"}, status_code=202)
    return JSONResponse({"status": "ok" if kind in ("verification", "profile_disconnected")
                         else "ignored"})
