"""Routes of the Users API: me, list (by role), show, show_many, update (name and role)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from zdcal.sandbox.zendesk.assumptions import (
    USER_LIST_ROLES,
    USER_LIST_SHOWS_ONLY_ACTIVE,
    USER_UPDATE_ROLES,
)
from zdcal.sandbox.zendesk.errors import BadRequest
from zdcal.sandbox.zendesk.http_common import (
    account_of,
    base_url,
    json_body,
    json_response,
    optional_principal,
    principal,
    routes,
)
from zdcal.sandbox.zendesk.model import USER_ROLES
from zdcal.sandbox.zendesk.pagination import support_list
from zdcal.sandbox.zendesk.users import anonymous_user_json, user_json


async def me(request: Request) -> Response:
    caller = optional_principal(request)
    if caller is None:
        # Without credentials Zendesk answers 200 with an anonymous user, not 401.
        return json_response({"user": anonymous_user_json()})
    caller.require_scope("users", write=False)
    return json_response({"user": user_json(caller.user, base_url(request))})


async def list_users(request: Request) -> Response:
    """List Users (ListUsers): ``role`` or repeated ``role[]`` filter by role, in id order."""
    principal(request, "users", write=False, roles=USER_LIST_ROLES)
    roles = request.query_params.getlist("role[]") or request.query_params.getlist("role")
    unknown = [r for r in roles if r not in USER_ROLES]
    if unknown:
        raise BadRequest("InvalidValue", f"role is not valid: {unknown[0][:40]}")
    url = base_url(request)
    ordered = [
        user for _, user in sorted(account_of(request).users.by_id.items())
        if (not roles or user.role in roles) and (user.active or not USER_LIST_SHOWS_ONLY_ACTIVE)
    ]
    return support_list(
        request,
        "users",
        ordered,
        lambda u: (u.id,),
        lambda u: user_json(u, url),
        lambda: BadRequest("InvalidPaginationParameter", "page[after] is not valid"),
    )


async def show_user(request: Request) -> Response:
    principal(request, "users", write=False, roles=("agent", "admin"))
    user = account_of(request).users.get(request.path_params["user_id"])
    return json_response({"user": user_json(user, base_url(request))})


async def update_user(request: Request) -> Response:
    principal(request, "users", write=True, roles=USER_UPDATE_ROLES)
    body = await json_body(request)
    fields = body.get("user") if isinstance(body, dict) else None
    if not isinstance(fields, dict):
        raise BadRequest("InvalidValue", "The request body must be {\"user\": {...}}")
    account = account_of(request)
    user = account.users.update(request.path_params["user_id"], fields, int(account.now()))
    return json_response({"user": user_json(user, base_url(request))})


async def show_many_users(request: Request) -> Response:
    principal(request, "users", write=False, roles=("agent", "admin"))
    raw = request.query_params.get("ids", "")
    try:
        ids = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError as exc:
        raise BadRequest("InvalidValue", "ids must be a comma-separated list of integers") from exc
    users = account_of(request).users.by_id
    url = base_url(request)
    found = [user_json(users[i], url) for i in dict.fromkeys(ids) if i in users]
    return json_response(
        {"users": found, "next_page": None, "previous_page": None, "count": len(found)}
    )


def user_routes() -> list[Route]:
    """Every Users API route."""
    return [
        *routes("/api/v2/users", list_users, ["GET"]),
        *routes("/api/v2/users/me", me, ["GET"]),
        *routes("/api/v2/users/show_many", show_many_users, ["GET"]),
        *routes("/api/v2/users/{user_id:int}", show_user, ["GET"]),
        *routes("/api/v2/users/{user_id:int}", update_user, ["PUT"]),
    ]
