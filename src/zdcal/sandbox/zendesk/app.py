"""Assembles the simulator: routes, error rendering, rate limits, faults, stats."""

from __future__ import annotations

from collections.abc import Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zdcal.sandbox.faults import CONTROL_PREFIX, FaultMiddleware
from zdcal.sandbox.lifespan import closing_lifespan
from zdcal.sandbox.zendesk.account import Account
from zdcal.sandbox.zendesk.agent_pages import AGENT_PREFIX, HOME, AgentPages
from zdcal.sandbox.zendesk.api_account import account_routes
from zdcal.sandbox.zendesk.api_apps import app_control_routes, app_routes
from zdcal.sandbox.zendesk.api_incremental import incremental_routes
from zdcal.sandbox.zendesk.api_oauth import oauth_routes
from zdcal.sandbox.zendesk.api_search import search_routes
from zdcal.sandbox.zendesk.api_tickets import ticket_routes
from zdcal.sandbox.zendesk.api_users import user_routes
from zdcal.sandbox.zendesk.api_webhooks import automation_routes
from zdcal.sandbox.zendesk.assumptions import (
    SUPPORT_API_LIMIT_HEADERS,
    WEBHOOKS_API_LIMIT_HEADERS,
)
from zdcal.sandbox.zendesk.config import ZendeskSimConfig
from zdcal.sandbox.zendesk.control import control_routes
from zdcal.sandbox.zendesk.errors import TooManyRequests, ZendeskApiError
from zdcal.sandbox.zendesk.rate_limits import Budget, MinuteWindowLimiter
from zdcal.sandbox.zendesk.stats import RequestStats, StatsMiddleware


def route_path(scope: Scope) -> str:
    """The request path below the app's mount point."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


WEBHOOKS_API = "/api/v2/webhooks"

LimitHeaders = Callable[[Budget], dict[str, str]]


def rate_limit_headers(budget: Budget) -> dict[str, str]:
    """The account-wide rate limit headers of the Support API's responses."""
    values = (budget.limit, budget.remaining, budget.limit, budget.remaining, budget.resets_in)
    return {name: str(value) for name, value in zip(SUPPORT_API_LIMIT_HEADERS, values, strict=True)}


def webhooks_limit_headers(budget: Budget) -> dict[str, str]:
    """The Webhooks API's own budget: only these two headers (see assumptions.py)."""
    values = (budget.limit, budget.remaining)
    return {
        name: str(value) for name, value in zip(WEBHOOKS_API_LIMIT_HEADERS, values, strict=True)
    }


def limit_of(account: Account, path: str) -> tuple[MinuteWindowLimiter, LimitHeaders]:
    """The budget a request to ``path`` counts against, and the headers that report it."""
    if path == WEBHOOKS_API or path.startswith(WEBHOOKS_API + "/"):
        return account.webhooks_limit, webhooks_limit_headers
    return account.account_limit, rate_limit_headers


def error_response(error: ZendeskApiError) -> Response:
    """The JSON answer of an API error."""
    return JSONResponse(error.body, status_code=error.status_code, headers=error.headers)


class AccountRateLimit:
    """Counts ``/api`` requests against their per-minute budget (the plan limit, or the
    Webhooks API's own) and adds the headers that budget's responses carry."""

    def __init__(self, app: ASGIApp, account: Account) -> None:
        self.app = app
        self.account = account

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = route_path(scope)
        if not path.startswith("/api/"):
            await self.app(scope, receive, send)
            return
        limiter, header_names = limit_of(self.account, path)
        budget = limiter.take()
        headers = header_names(budget)
        if not budget.allowed:
            refused = error_response(TooManyRequests(budget.resets_in, headers))
            await refused(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
                message = {**message, "headers": raw}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def is_api_path(path: str) -> bool:
    """Whether a path is Zendesk's service (API, OAuth) rather than a tool for people
    driving the sandbox: the control API and the agent page are neither counted nor
    faulted, so a person clicking around never spends a test's fault plan or stats."""
    return not (path in ("", HOME) or path.startswith((CONTROL_PREFIX, AGENT_PREFIX)))


class SandboxGate:
    """Sends control and agent page requests straight through; API requests past stats,
    faults and limits.

    FaultMiddleware recognises control paths by ``scope["path"]``, which still holds the
    mount prefix when the app is mounted; routing control requests around it here keeps
    ``/_sandbox`` fault-free under any prefix.
    """

    def __init__(
        self, app: ASGIApp, account: Account, stats: RequestStats, routes: list[BaseRoute]
    ) -> None:
        self.control = app
        limited = AccountRateLimit(app, account)
        faulted = FaultMiddleware(limited, account.injector, self._injected_429, self._injected_503)
        self.api = StatsMiddleware(faulted, stats, routes)
        self.account = account

    def _injected_429(self, request: Request) -> Response:
        limiter, header_names = limit_of(self.account, route_path(request.scope))
        return error_response(TooManyRequests(1, header_names(Budget(False, limiter.limit, 0, 1))))

    def _injected_503(self, request: Request) -> Response:
        return JSONResponse(
            {"error": "ServiceUnavailable", "description": "Sandbox fault: service unavailable"},
            status_code=503,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_api_path(route_path(scope)):
            await self.api(scope, receive, send)
        else:
            await self.control(scope, receive, send)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ZendeskApiError)
    return error_response(exc)


async def _not_found(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": "InvalidEndpoint", "description": "Not found"}, status_code=404)


def create_app(config: ZendeskSimConfig | None = None) -> Starlette:
    """A Starlette app simulating one Zendesk Support account (see docs/sandbox-zendesk.md)."""
    config = config or ZendeskSimConfig()
    account = Account(config)
    account.load_seed(config.seed)
    stats = RequestStats()
    routes: list[BaseRoute] = [
        *ticket_routes(),
        *user_routes(),
        *account_routes(),
        *search_routes(),
        *incremental_routes(),
        *automation_routes(),
        *oauth_routes(),
        *app_routes(),
        *app_control_routes(),
        *control_routes(),
        *AgentPages().routes(),
    ]

    app = Starlette(
        routes=routes,
        middleware=[Middleware(SandboxGate, account=account, stats=stats, routes=routes)],
        exception_handlers={ZendeskApiError: _api_error, 404: _not_found},
        lifespan=closing_lifespan(account.deliverer.aclose),
    )
    app.state.account = account
    app.state.stats = stats
    return app
