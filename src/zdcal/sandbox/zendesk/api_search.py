"""Routes of the Search API: offset search (1,000-result window) and cursor export."""

from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from zdcal.sandbox.zendesk.assumptions import (
    SEARCH_EXPORT_CURSOR_TTL_SECONDS,
    SEARCH_EXPORT_MAX_PAGE_SIZE,
    SEARCH_LIMIT_DESCRIPTION,
    SEARCH_MAX_PER_PAGE,
    SEARCH_MAX_RESULTS,
)
from zdcal.sandbox.zendesk.errors import BadRequest, TooManyRequests, UnprocessableSearch
from zdcal.sandbox.zendesk.http_common import (
    account_of,
    api_ticket_json,
    base_url,
    int_param,
    json_response,
    principal,
    routes,
)
from zdcal.sandbox.zendesk.model import STATUS_ORDER, Ticket
from zdcal.sandbox.zendesk.search_query import (
    PRIORITY_ORDER,
    CompiledQuery,
    UnsupportedSearchTerm,
    compile_query,
)

SORT_KEYS = {
    "created_at": lambda t: (t.created_at, t.id),
    "updated_at": lambda t: (t.updated_at, t.id),
    "status": lambda t: (STATUS_ORDER[t.status], t.id),
    "priority": lambda t: (PRIORITY_ORDER.get(t.priority or "", -1), t.id),
    "ticket_type": lambda t: (t.type or "", t.id),
}


def _compile(query: str) -> CompiledQuery:
    if not query.strip():
        raise BadRequest("invalid", "query is required")
    try:
        return compile_query(query)
    except UnsupportedSearchTerm as exc:
        raise BadRequest("unsupported_query", f"The sandbox does not support: {exc}") from exc


def _result(request: Request, ticket: Ticket) -> dict[str, object]:
    return {**api_ticket_json(request, ticket), "result_type": "ticket"}


async def search(request: Request) -> Response:
    principal(request, "tickets", write=False, roles=("agent", "admin"))
    account = account_of(request)
    query = request.query_params.get("query", "")
    compiled = _compile(query)
    per_page = min(int_param(request, "per_page", SEARCH_MAX_PER_PAGE), SEARCH_MAX_PER_PAGE)
    page = int_param(request, "page", 1)
    if page * per_page > SEARCH_MAX_RESULTS:
        raise UnprocessableSearch(SEARCH_LIMIT_DESCRIPTION)
    hits: list[Ticket] = []
    if compiled.object_type in (None, "ticket"):
        hits = [t for t in account.search.visible(account.now()) if compiled.matches(t)]
    # Without sort_by Zendesk sorts by relevance; the sandbox uses created_at ascending.
    sort_by = request.query_params.get("sort_by")
    key = SORT_KEYS.get(sort_by or "created_at", SORT_KEYS["created_at"])
    default_order = "desc" if sort_by else "asc"
    descending = request.query_params.get("sort_order", default_order) == "desc"
    hits.sort(key=key, reverse=descending)
    start = (page - 1) * per_page
    window = hits[start : start + per_page]
    url = base_url(request)

    def page_url(number: int) -> str:
        params = {k: v for k, v in request.query_params.items() if k != "page"}
        return f"{url}/api/v2/search.json?{urlencode({**params, 'page': number})}"

    reachable = min(len(hits), SEARCH_MAX_RESULTS)
    return json_response(
        {
            "results": [_result(request, t) for t in window],
            "facets": None,
            "next_page": page_url(page + 1) if start + per_page < reachable else None,
            "previous_page": page_url(page - 1) if page > 1 else None,
            "count": len(hits),
        }
    )


def _encode_export_cursor(ticket: Ticket, issued_at: float) -> str:
    raw = json.dumps({"c": ticket.created_at, "i": ticket.id, "t": int(issued_at)})
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _export_order(ticket: Ticket) -> tuple[int, int]:
    """Newest created first, ties by id ascending (the recorded cursor's sort)."""
    return (-ticket.created_at, ticket.id)


def _decode_export_cursor(cursor: str, now: float) -> tuple[int, int]:
    """The export position after which the next page starts (see ``_export_order``)."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        position = (-int(data["c"]), int(data["i"]))
        issued = int(data["t"])
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise BadRequest("InvalidPaginationParameter", "page[after] is not a valid cursor") from exc
    if now - issued > SEARCH_EXPORT_CURSOR_TTL_SECONDS:
        raise BadRequest("InvalidPaginationParameter", "The cursor has expired")
    return position


async def search_export(request: Request) -> Response:
    principal(request, "tickets", write=False, roles=("agent", "admin"))
    account = account_of(request)
    params = request.query_params
    object_type = params.get("filter[type]")
    if not object_type:
        raise BadRequest("invalid", "filter[type] is required")
    query = params.get("query", "")
    compiled = _compile(query)
    if compiled.object_type not in (None, object_type):
        raise BadRequest("invalid", "type in the query must agree with filter[type]")
    budget = account.search_export_limit.take()
    if not budget.allowed:
        # Enforced, but announced by no header: real Zendesk sends none here (assumptions).
        raise TooManyRequests(budget.resets_in)
    size = min(int_param(request, "page[size]", 100), SEARCH_EXPORT_MAX_PAGE_SIZE)
    now = account.now()
    after = params.get("page[after]")
    position = _decode_export_cursor(after, now) if after else None
    hits: list[Ticket] = []
    if object_type == "ticket":
        hits = [
            t
            for t in account.search.visible(now)
            if (position is None or _export_order(t) > position) and compiled.matches(t)
        ]
    hits.sort(key=_export_order)
    window = hits[:size]
    has_more = len(hits) > size
    cursor = _encode_export_cursor(window[-1], now) if window else None
    url = base_url(request)
    next_link = None
    if has_more and cursor:
        kept = {k: v for k, v in params.items() if k != "page[after]"}
        next_link = f"{url}/api/v2/search/export?{urlencode({**kept, 'page[after]': cursor})}"
    return json_response(
        {
            "results": [_result(request, t) for t in window],
            "facets": None,
            "meta": {
                "has_more": has_more,
                "after_cursor": cursor if has_more else None,
                "before_cursor": None,
            },
            "links": {"next": next_link, "prev": None},
        }
    )


def search_routes() -> list[Route]:
    """Every Search API route."""
    return [
        *routes("/api/v2/search", search, ["GET"]),
        *routes("/api/v2/search/export", search_export, ["GET"]),
    ]
