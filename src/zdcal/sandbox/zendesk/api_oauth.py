"""OAuth routes: the consent page, the token endpoint, and the current-token API."""

from __future__ import annotations

import json
from html import escape
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from zdcal.sandbox.zendesk.errors import OAuthError, Unauthenticated
from zdcal.sandbox.zendesk.http_common import account_of, base_url, json_response, no_content
from zdcal.sandbox.zendesk.http_common import optional_principal as caller_of
from zdcal.sandbox.zendesk.oauth import AuthorizationRequestInvalid, parse_scopes
from zdcal.sandbox.zendesk.timestamps import iso_z

AUTHORIZE_FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


def _error_page(message: str, status_code: int = 400) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><title>OAuth error</title><h1>Invalid authorization request</h1>"
        f"<p id='error'>{escape(message)}</p>",
        status_code=status_code,
    )


def _redirect(redirect_uri: str, params: dict[str, str]) -> RedirectResponse:
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(redirect_uri + separator + urlencode(params), status_code=302)


def _consent_page(request: Request, params: dict[str, str]) -> HTMLResponse:
    account = account_of(request)
    client = account.oauth.clients[params["client_id"]]
    hidden = "".join(
        f"<input type='hidden' name='{name}' value='{escape(params.get(name, ''), quote=True)}'>"
        for name in AUTHORIZE_FIELDS
    )
    people = "".join(
        f"<label><input type='radio' name='user_id' value='{u.id}'{' checked' if i == 0 else ''}>"
        f" {escape(u.name)} &lt;{escape(u.email)}&gt; ({u.role})</label><br>"
        for i, u in enumerate(u for u in account.users.by_id.values() if u.active)
    )
    action = f"{base_url(request)}/oauth/authorizations/new"
    return HTMLResponse(
        "<!doctype html><html><head><title>Zendesk sandbox: authorize</title></head><body>"
        f"<h1>{escape(client.name)} wants access to {escape(account.config.subdomain)}</h1>"
        f"<p>Scopes: <code>{escape(params.get('scope', 'read'))}</code></p>"
        f"<form method='post' action='{escape(action, quote=True)}'>{hidden}"
        f"<fieldset><legend>Sign in as (sandbox)</legend>{people}</fieldset>"
        "<button type='submit' name='decision' value='allow' id='allow'>Allow</button> "
        "<button type='submit' name='decision' value='deny' id='deny'>Deny</button>"
        "</form></body></html>"
    )


def _check_request(request: Request, params: dict[str, str]) -> Response | None:
    """None when the request is fine; else the error page or error redirect to answer."""
    account = account_of(request)
    redirect_uri = params.get("redirect_uri", "")
    try:
        account.oauth.check_authorization_request(params.get("client_id", ""), redirect_uri)
    except AuthorizationRequestInvalid as exc:
        return _error_page(str(exc))
    state = {"state": params["state"]} if params.get("state") else {}
    if params.get("response_type") != "code":
        return _redirect(redirect_uri, {"error": "unsupported_response_type", **state})
    try:
        parse_scopes(params.get("scope", "read"))
    except ValueError:
        return _redirect(redirect_uri, {"error": "invalid_scope", **state})
    method = params.get("code_challenge_method")
    if params.get("code_challenge") and method not in (None, "", "S256"):
        return _redirect(redirect_uri, {"error": "invalid_request", **state})
    return None


async def authorize_page(request: Request) -> Response:
    params = dict(request.query_params)
    problem = _check_request(request, params)
    return problem or _consent_page(request, params)


async def authorize_decision(request: Request) -> Response:
    form = await request.form()
    params = {k: str(v) for k, v in form.items()}
    problem = _check_request(request, params)
    if problem is not None:
        return problem
    account = account_of(request)
    state = {"state": params["state"]} if params.get("state") else {}
    redirect_uri = params["redirect_uri"]
    if params.get("decision") != "allow":
        return _redirect(redirect_uri, {"error": "access_denied", **state})
    try:
        user = account.users.by_id[int(params.get("user_id", ""))]
    except (KeyError, ValueError):
        return _error_page("choose a user to sign in as")
    client = account.oauth.clients[params["client_id"]]
    code = account.oauth.issue_code(
        client,
        user.id,
        redirect_uri,
        parse_scopes(params.get("scope", "read")),
        params.get("code_challenge") or None,
        account.now(),
    )
    return _redirect(redirect_uri, {"code": code, **state})


async def token(request: Request) -> Response:
    content_type = request.headers.get("content-type", "")
    params: dict[str, Any]
    if content_type.startswith("application/json"):
        try:
            params = json.loads(await request.body() or b"{}")
        except ValueError as exc:
            raise OAuthError("invalid_request", "The request body is not valid JSON") from exc
    else:
        params = dict((await request.form()).items())
    strings = {k: str(v) for k, v in params.items() if v is not None}
    account = account_of(request)
    return json_response(account.oauth.exchange(strings, account.now()))


async def current_token(request: Request) -> Response:
    caller = caller_of(request)
    if caller is None or caller.token is None:
        raise Unauthenticated()
    account = account_of(request)
    if request.method == "DELETE":
        account.oauth.revoke(caller.token)
        return no_content()
    found = caller.token
    client = account.oauth.clients.get(found.client_id)
    body = {
        "id": found.id,
        "token": found.token[:10],
        "user_id": found.user_id,
        "client_id": client.id if client else 0,
        "scopes": list(found.scopes),
        "created_at": iso_z(found.created_at),
        "url": f"{base_url(request)}/api/v2/oauth/tokens/{found.id}.json",
    }
    if found.expires_at is not None:
        body["expires_at"] = iso_z(found.expires_at)
    return json_response({"token": body})


def oauth_routes() -> list[Route]:
    """The OAuth routes."""
    return [
        Route("/oauth/authorizations/new", authorize_page, methods=["GET"]),
        Route("/oauth/authorizations/new", authorize_decision, methods=["POST"]),
        Route("/oauth/tokens", token, methods=["POST"]),
        Route("/api/v2/oauth/tokens/current", current_token, methods=["GET", "DELETE"]),
        Route("/api/v2/oauth/tokens/current.json", current_token, methods=["GET", "DELETE"]),
    ]
