"""What every route handler needs: the account, the caller, the base URL, JSON in and out."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from zdcal.sandbox.zendesk.account import Account
from zdcal.sandbox.zendesk.auth import Principal, identify
from zdcal.sandbox.zendesk.errors import BadRequest, Unauthenticated
from zdcal.sandbox.zendesk.model import Ticket
from zdcal.sandbox.zendesk.tickets import ticket_json

Endpoint = Callable[[Request], Any]


def account_of(request: Request) -> Account:
    """The account this app simulates."""
    account: Account = request.app.state.account
    return account


def base_url(request: Request) -> str:
    """Where this app is reachable, mount prefix included, without a trailing slash.

    Starlette's ``request.base_url`` names the outermost app's root, not this app's mount
    point, so the prefix is taken from this app's own ``root_path``.
    """
    url = request.url
    root: str = request.scope.get("root_path", "")
    return f"{url.scheme}://{url.netloc}{root}".rstrip("/")


def api_ticket_json(request: Request, ticket: Ticket) -> dict[str, Any]:
    """A ticket as show, show_many, create, update and search render it (no real
    ``generated_timestamp``: only the incremental export carries one)."""
    account = account_of(request)
    return ticket_json(
        ticket, base_url(request), generated_timestamp=account.api_generated_timestamp()
    )


def optional_principal(request: Request) -> Principal | None:
    """The caller, or None without credentials (401 for bad ones)."""
    account = account_of(request)
    return identify(
        request.headers.get("authorization"), account.users, account.oauth, account.now()
    )


def principal(
    request: Request, resource: str, *, write: bool, roles: tuple[str, ...] = ()
) -> Principal:
    """The caller, who must be authenticated, hold the scope, and (if given) a role."""
    caller = optional_principal(request)
    if caller is None:
        raise Unauthenticated()
    caller.require_scope(resource, write)
    if roles:
        caller.require_role(*roles)
    return caller


async def json_body(request: Request) -> Any:
    """The parsed JSON body (400 when it is not JSON)."""
    raw = await request.body()
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise BadRequest("InvalidJSON", "The request body is not valid JSON") from exc


def json_response(body: Any, status_code: int = 200) -> JSONResponse:
    """A JSON answer."""
    return JSONResponse(body, status_code=status_code)


def no_content() -> Response:
    """204."""
    return Response(status_code=204)


def int_param(request: Request, name: str, default: int, *, minimum: int = 1) -> int:
    """An integer query parameter (400 when not an integer)."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadRequest("InvalidValue", f"{name} must be an integer") from exc
    return max(minimum, value)


def routes(path: str, endpoint: Endpoint, methods: list[str]) -> list[Route]:
    """The route with and without Zendesk's optional ``.json`` suffix."""
    return [
        Route(path, endpoint, methods=methods),
        Route(path + ".json", endpoint, methods=methods),
    ]
