"""The control API under ``/_sandbox``: seed, reset, inspect and steer the simulator.

Never rate limited, never faulted, no authentication.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from zdcal.sandbox.zendesk.errors import BadRequest
from zdcal.sandbox.zendesk.http_common import account_of, base_url, json_body, json_response
from zdcal.sandbox.zendesk.model import TICKET_STATUSES, TICKET_TYPES
from zdcal.sandbox.zendesk.stats import RequestStats
from zdcal.sandbox.zendesk.tickets import TicketChange, ticket_json
from zdcal.sandbox.zendesk.timestamps import InvalidTimestamp, parse_instant
from zdcal.sandbox.zendesk.triggers import category_json, trigger_json
from zdcal.sandbox.zendesk.users import user_json
from zdcal.sandbox.zendesk.webhooks import webhook_json


def _stats(request: Request) -> RequestStats:
    stats: RequestStats = request.app.state.stats
    return stats


async def seed(request: Request) -> Response:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise BadRequest("invalid", "the seed must be a JSON object")
    return json_response(account_of(request).load_seed(body), 201)


async def reset(request: Request) -> Response:
    account = account_of(request)
    body = await json_body(request)
    _stats(request).reset()
    if isinstance(body, dict) and body.get("empty"):
        account.reset()
        return json_response({"reset": True, "seeded": None})
    return json_response({"reset": True, "seeded": account.restart()})


async def state(request: Request) -> Response:
    account = account_of(request)
    url = base_url(request)
    return json_response(
        {
            "tickets": [
                ticket_json(t, url, as_exported=True) for t in account.tickets.tickets.values()
            ],
            "users": [user_json(u, url) for u in account.users.by_id.values()],
            "webhooks": [
                {**webhook_json(w), "signing_secret": w.signing_secret}
                for w in account.webhooks.by_id.values()
            ],
            "trigger_categories": [category_json(c) for c in account.triggers.categories.values()],
            "triggers": [trigger_json(t, url) for t in account.triggers.triggers.values()],
            "clock": {"now": account.now(), "offset_seconds": account.config.clock_offset},
        }
    )


async def faults(request: Request) -> Response:
    account = account_of(request)
    if request.method == "PUT":
        try:
            account.injector.configure(await json_body(request))
        except (ValueError, TypeError) as exc:
            raise BadRequest("invalid", str(exc)) from exc
    return json_response(account.injector.faults.as_dict())


async def clock(request: Request) -> Response:
    account = account_of(request)
    body = await json_body(request)
    if "advance_seconds" in body:
        account.config.clock_offset += float(body["advance_seconds"])
    elif "offset_seconds" in body:
        account.config.clock_offset = float(body["offset_seconds"])
    else:
        raise BadRequest("invalid", "give advance_seconds or offset_seconds")
    return json_response({"now": account.now(), "offset_seconds": account.config.clock_offset})


async def deliveries(request: Request) -> Response:
    records = account_of(request).deliverer.records
    return json_response({"deliveries": [r.as_json() for r in records]})


async def stats(request: Request) -> Response:
    return json_response(_stats(request).as_json())


async def stats_reset(request: Request) -> Response:
    _stats(request).reset()
    return json_response({"reset": True})


async def reindex(request: Request) -> Response:
    account_of(request).search.reindex_now()
    return json_response({"reindexed": True})


def _due_start(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return int(value)
    try:
        return int(parse_instant(str(value)))
    except InvalidTimestamp as exc:
        raise BadRequest("invalid", "due_at_start must be unix seconds or ISO-8601") from exc


async def bulk_tickets(request: Request) -> Response:
    account = account_of(request)
    body = await json_body(request)
    count = int(body.get("count", 0))
    ticket_type = body.get("type", "task")
    status = body.get("status", "open")
    if count < 0 or ticket_type not in (*TICKET_TYPES, None) or status not in TICKET_STATUSES:
        raise BadRequest("invalid", "count >= 0, a ticket type and a status are required")
    assignees = [int(a) for a in body.get("assignee_ids", [])]
    unknown = [a for a in assignees if not account.users.is_assignable(a)]
    if unknown:
        raise BadRequest("invalid", f"not agents: {unknown}")
    requester = body.get("requester_id") or next(
        (u.id for u in account.users.by_id.values() if u.role == "admin"), None
    )
    created = account.tickets.bulk_create(
        count,
        ticket_type=ticket_type,
        status=status,
        assignee_ids=list(assignees),
        due_at_start=_due_start(body.get("due_at_start")),
        due_step_seconds=int(body.get("due_step_seconds", 3600)),
        requester_id=requester,
        now=account.now(),
    )
    if body.get("fire_triggers", False):
        for ticket in created:
            account.fire_triggers(TicketChange(None, ticket, requester))
    first = created[0].id if created else None
    last = created[-1].id if created else None
    return json_response({"count": len(created), "first_id": first, "last_id": last}, 201)


async def close_ticket(request: Request) -> Response:
    account = account_of(request)
    change = account.tickets.close(request.path_params["ticket_id"], account.now())
    account.fire_triggers(change)
    return json_response({"ticket": ticket_json(change.after, base_url(request), as_exported=True)})


async def agent_update(request: Request) -> Response:
    account = account_of(request)
    body = await json_body(request)
    payload = body.get("ticket", body)
    actor = (
        body.get("actor_id") or account.tickets.live(request.path_params["ticket_id"]).assignee_id
    )
    change = account.update_ticket(request.path_params["ticket_id"], payload, actor)
    return json_response({"ticket": ticket_json(change.after, base_url(request), as_exported=True)})


def control_routes() -> list[Route]:
    """Every ``/_sandbox`` route."""
    return [
        Route("/_sandbox/seed", seed, methods=["POST"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/state", state, methods=["GET"]),
        Route("/_sandbox/faults", faults, methods=["GET", "PUT"]),
        Route("/_sandbox/clock", clock, methods=["POST"]),
        Route("/_sandbox/deliveries", deliveries, methods=["GET"]),
        Route("/_sandbox/stats", stats, methods=["GET"]),
        Route("/_sandbox/stats/reset", stats_reset, methods=["POST"]),
        Route("/_sandbox/search/reindex", reindex, methods=["POST"]),
        Route("/_sandbox/tickets/bulk", bulk_tickets, methods=["POST"]),
        Route("/_sandbox/tickets/{ticket_id:int}/close", close_ticket, methods=["POST"]),
        Route("/_sandbox/tickets/{ticket_id:int}", agent_update, methods=["PUT"]),
    ]
