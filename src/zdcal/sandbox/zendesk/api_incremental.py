"""The cursor-based incremental ticket export, read straight off the change log."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from zdcal.sandbox.zendesk.assumptions import (
    INCREMENTAL_MAX_PER_PAGE,
    INCREMENTAL_WITHHELD_SECONDS,
    TOO_RECENT_START_TIME_DESCRIPTION,
)
from zdcal.sandbox.zendesk.change_log import ChangeLog, InvalidCursor
from zdcal.sandbox.zendesk.errors import BadRequest, InvalidValue, TooManyRequests
from zdcal.sandbox.zendesk.http_common import (
    account_of,
    base_url,
    int_param,
    json_response,
    principal,
    routes,
)
from zdcal.sandbox.zendesk.tickets import ticket_json


def _start_position(request: Request, log: ChangeLog, now: float) -> int:
    cursor = request.query_params.get("cursor")
    if cursor:
        try:
            position = ChangeLog.decode_cursor(cursor)
        except InvalidCursor as exc:
            raise BadRequest("InvalidPaginationParameter", "cursor is not valid") from exc
        if position > len(log):
            raise BadRequest("InvalidPaginationParameter", "cursor is not valid")
        return position
    raw = request.query_params.get("start_time")
    if raw is None:
        raise InvalidValue("start_time or cursor is required")
    try:
        start_time = int(raw)
    except ValueError as exc:
        raise InvalidValue("start_time must be a unix timestamp") from exc
    if start_time > now - INCREMENTAL_WITHHELD_SECONDS:
        raise InvalidValue(TOO_RECENT_START_TIME_DESCRIPTION)
    return log.first_position_at_or_after(start_time)


async def incremental_tickets(request: Request) -> Response:
    principal(request, "tickets", write=False, roles=("admin",))
    account = account_of(request)
    budget = account.incremental_limit.take()
    if not budget.allowed:
        # Enforced, but announced by no header: real Zendesk sends none here (assumptions).
        raise TooManyRequests(budget.resets_in)
    now = account.now()
    log = account.tickets.log
    start = _start_position(request, log, now)
    per_page = min(
        int_param(request, "per_page", INCREMENTAL_MAX_PER_PAGE), INCREMENTAL_MAX_PER_PAGE
    )
    exclude_deleted = request.query_params.get("exclude_deleted", "").lower() == "true"
    # Changes of the newest minute are withheld: the page stops before them.
    horizon = int(now) - INCREMENTAL_WITHHELD_SECONDS
    tickets = account.tickets.tickets
    url = base_url(request)
    page: list[dict[str, Any]] = []
    position = start
    end = len(log)
    # Superseded entries are skipped without counting, so only the last page can be empty.
    while position < end and len(page) < per_page:
        if log.timestamps[position] > horizon:
            break
        ticket = tickets.get(log.ticket_ids[position])
        # A ticket appears at its latest change only (older entries are superseded); one
        # that changes after a page showed it appears again on a later page.
        if (
            ticket is not None
            and ticket.log_position == position
            and not (exclude_deleted and ticket.deleted_at is not None)
        ):
            page.append(ticket_json(ticket, url, as_exported=True))
        position += 1
    end_of_stream = position >= end or log.timestamps[position] > horizon
    after_cursor = ChangeLog.encode_cursor(position)
    before_cursor = ChangeLog.encode_cursor(start) if start > 0 else None
    extra = {"exclude_deleted": "true"} if exclude_deleted else {}

    def link(cursor: str | None) -> str | None:
        if cursor is None:
            return None
        query = urlencode({"cursor": cursor, "per_page": per_page, **extra})
        return f"{url}/api/v2/incremental/tickets/cursor.json?{query}"

    return json_response(
        {
            "tickets": page,
            "after_cursor": after_cursor,
            "after_url": link(after_cursor),
            "before_cursor": before_cursor,
            "before_url": link(before_cursor),
            "end_of_stream": end_of_stream,
        }
    )


def incremental_routes() -> list[Route]:
    """The incremental export route."""
    return routes("/api/v2/incremental/tickets/cursor", incremental_tickets, ["GET"])
