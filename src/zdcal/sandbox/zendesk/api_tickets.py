"""Routes of the Tickets API: create, show, update, delete, show_many, deleted tickets."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from zdcal.sandbox.zendesk.assumptions import (
    DELETED_TICKET_RETENTION_SECONDS,
    PERMANENT_DELETE_JOB_STATUS,
    RESTORE_BODY,
    SHOW_MANY_MAX_IDS,
    SHOW_MANY_TOO_MANY_ERROR,
)
from zdcal.sandbox.zendesk.errors import BadRequest, RecordNotFound
from zdcal.sandbox.zendesk.http_common import (
    account_of,
    api_ticket_json,
    base_url,
    json_body,
    json_response,
    no_content,
    principal,
    routes,
)
from zdcal.sandbox.zendesk.tickets import TicketChange
from zdcal.sandbox.zendesk.timestamps import iso_z

STAFF = ("agent", "admin")


def _audit(change: TicketChange) -> dict[str, object]:
    events = []
    before, after = change.before, change.after
    for number, name in enumerate(
        ("status", "type", "assignee_id", "due_at", "priority", "subject", "group_id"), start=1
    ):
        new = getattr(after, name)
        if before is None or getattr(before, name) != new:
            value = iso_z(new) if name == "due_at" and new is not None else new
            events.append(
                {
                    "id": after.id * 100 + number,
                    "type": "Change" if before else "Create",
                    "field_name": name,
                    "value": "" if value is None else value,
                }
            )
    return {
        "id": after.log_position + 1,
        "ticket_id": after.id,
        "created_at": iso_z(after.updated_at),
        "author_id": change.actor_id or -1,
        "events": events,
        "metadata": {},
        "via": {"channel": "api"},
    }


async def create_ticket(request: Request) -> Response:
    caller = principal(request, "tickets", write=True)
    body = await json_body(request)
    change = account_of(request).create_ticket(body.get("ticket"), caller.user.id)
    return json_response(
        {"ticket": api_ticket_json(request, change.after), "audit": _audit(change)}, 201
    )


async def show_ticket(request: Request) -> Response:
    principal(request, "tickets", write=False, roles=STAFF)
    ticket = account_of(request).tickets.live(request.path_params["ticket_id"])
    return json_response({"ticket": api_ticket_json(request, ticket)})


async def update_ticket(request: Request) -> Response:
    caller = principal(request, "tickets", write=True, roles=STAFF)
    body = await json_body(request)
    change = account_of(request).update_ticket(
        request.path_params["ticket_id"], body.get("ticket", {}), caller.user.id
    )
    return json_response(
        {"ticket": api_ticket_json(request, change.after), "audit": _audit(change)}
    )


async def delete_ticket(request: Request) -> Response:
    caller = principal(request, "tickets", write=True, roles=STAFF)
    account_of(request).delete_ticket(request.path_params["ticket_id"], caller.user.id)
    return no_content()


async def show_many(request: Request) -> Response:
    principal(request, "tickets", write=False, roles=STAFF)
    raw = request.query_params.get("ids", "")
    try:
        ids = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError as exc:
        raise BadRequest("InvalidValue", "ids must be a comma-separated list of integers") from exc
    if len(ids) > SHOW_MANY_MAX_IDS:
        raise BadRequest(
            SHOW_MANY_TOO_MANY_ERROR, f"ids must contain at most {SHOW_MANY_MAX_IDS} ids"
        )
    tickets = account_of(request).tickets.tickets
    found = []
    for ticket_id in dict.fromkeys(ids):
        ticket = tickets.get(ticket_id)
        if ticket is not None and ticket.deleted_at is None:
            found.append(api_ticket_json(request, ticket))
    return json_response(
        {"tickets": found, "next_page": None, "previous_page": None, "count": len(found)}
    )


async def list_deleted(request: Request) -> Response:
    principal(request, "tickets", write=False, roles=STAFF)
    account = account_of(request)
    horizon = account.now() - DELETED_TICKET_RETENTION_SECONDS
    listed = []
    for ticket in account.tickets.deleted():
        if ticket.deleted_at is None or ticket.deleted_at < horizon:
            continue
        actor = account.users.by_id.get(ticket.deleted_by or -1)
        listed.append(
            {
                "id": ticket.id,
                "subject": ticket.subject or "",
                "description": ticket.description,
                "actor": {
                    "id": actor.id if actor else -1,
                    "name": actor.name if actor else "System",
                },
                "deleted_at": iso_z(ticket.deleted_at),
                "previous_state": ticket.status,
            }
        )
    return json_response(
        {"deleted_tickets": listed, "next_page": None, "previous_page": None, "count": len(listed)}
    )


async def restore_deleted(request: Request) -> Response:
    principal(request, "tickets", write=True, roles=STAFF)
    account = account_of(request)
    account.tickets.restore(request.path_params["ticket_id"], account.now())
    return Response(RESTORE_BODY, status_code=200, media_type="application/json")


def _job_status_json(request: Request, job_id: str, status: str) -> dict[str, object]:
    done = status == "completed"
    return {
        "id": job_id,
        "url": f"{base_url(request)}/api/v2/job_statuses/{job_id}.json",
        "total": None,
        "progress": None,
        "status": status,
        "message": None,
        "results": {"success": True} if done else None,
    }


async def delete_permanently(request: Request) -> Response:
    principal(request, "tickets", write=True, roles=STAFF)
    account = account_of(request)
    ticket = account.tickets.scrub(request.path_params["ticket_id"], account.now())
    job_id = account.jobs.finished(f"permanent delete of ticket {ticket.id}")
    return json_response(
        {"job_status": _job_status_json(request, job_id, PERMANENT_DELETE_JOB_STATUS)}
    )


async def show_job_status(request: Request) -> Response:
    principal(request, "tickets", write=False, roles=STAFF)
    job_id = str(request.path_params["job_id"]).removesuffix(".json")
    if job_id not in account_of(request).jobs.done:
        raise RecordNotFound()
    return json_response({"job_status": _job_status_json(request, job_id, "completed")})


def ticket_routes() -> list[Route]:
    """Every Tickets API route."""
    return [
        *routes("/api/v2/tickets", create_ticket, ["POST"]),
        *routes("/api/v2/tickets/show_many", show_many, ["GET"]),
        *routes("/api/v2/tickets/{ticket_id:int}", show_ticket, ["GET"]),
        *routes("/api/v2/tickets/{ticket_id:int}", update_ticket, ["PUT"]),
        *routes("/api/v2/tickets/{ticket_id:int}", delete_ticket, ["DELETE"]),
        *routes("/api/v2/deleted_tickets", list_deleted, ["GET"]),
        *routes("/api/v2/deleted_tickets/{ticket_id:int}", delete_permanently, ["DELETE"]),
        *routes("/api/v2/deleted_tickets/{ticket_id:int}/restore", restore_deleted, ["PUT"]),
        *routes("/api/v2/job_statuses/{job_id}", show_job_status, ["GET"]),
    ]
