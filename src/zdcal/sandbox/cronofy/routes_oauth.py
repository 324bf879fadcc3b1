"""OAuth on the app host (consent page) and the API host (token, revoke)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from zdcal.sandbox.cronofy import assumptions
from zdcal.sandbox.cronofy.model import Account, Calendar
from zdcal.sandbox.cronofy.oauth import grant_token, issue_code, revoke
from zdcal.sandbox.cronofy.pages import render_page
from zdcal.sandbox.cronofy.request_bodies import json_or_form
from zdcal.sandbox.cronofy.simulator import CronofySimulator
from zdcal.sandbox.cronofy.store import new_id

_CARRIED = ("response_type", "client_id", "redirect_uri", "scope", "state", "avoid_linking")


def with_query(url: str, params: dict[str, str]) -> str:
    """``url`` with ``params`` appended to whatever query it already has."""
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit(parts._replace(query=query))


class AuthorizationRefused(Exception):
    """The authorize request cannot be redirected back: show an error page instead."""


class CronofyOAuth:
    """Route handlers for ``/oauth/...``."""

    def __init__(self, sim: CronofySimulator) -> None:
        self.sim = sim

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/oauth/authorize", self.authorize_page, methods=["GET"]),
            Route("/oauth/authorize", self.authorize_decision, methods=["POST"]),
            Route("/oauth/token", self.token, methods=["POST"]),
            Route("/oauth/token/revoke", self.revoke, methods=["POST"]),
        ]

    def _redirect_target(self, params: dict[str, Any]) -> str:
        if params.get("client_id") != self.sim.config.client_id:
            raise AuthorizationRefused("Unknown client_id.")
        redirect_uri = params.get("redirect_uri") or ""
        parts = urlsplit(redirect_uri)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise AuthorizationRefused("redirect_uri must be an absolute http(s) URL.")
        return str(redirect_uri)

    def _early_redirect(self, params: dict[str, Any], redirect_uri: str) -> Response | None:
        """Errors the application must hear about, sent back to its redirect_uri."""
        state = {"state": params["state"]} if params.get("state") else {}
        if params.get("response_type") != "code":
            error = "unsupported_response_type"
        elif not params.get("scope"):
            error = "invalid_scope"
        else:
            return None
        return RedirectResponse(with_query(redirect_uri, {"error": error, **state}), 302)

    async def authorize_page(self, request: Request) -> Response:
        params = dict(request.query_params)
        try:
            redirect_uri = self._redirect_target(params)
        except AuthorizationRefused as exc:
            return render_page("oauth_error.html", 400, message=str(exc))
        return self._early_redirect(params, redirect_uri) or self._consent(request, params)

    def _consent(self, request: Request, params: dict[str, Any], message: str = "") -> Response:
        return render_page(
            "consent.html",
            400 if message else 200,
            client_id=params.get("client_id"),
            scope=params.get("scope"),
            action=str(request.url.replace(query="")),
            hidden={k: params[k] for k in _CARRIED if params.get(k)},
            accounts=list(self.sim.state.accounts.values()),
            message=message,
        )

    async def authorize_decision(self, request: Request) -> Response:
        form = await request.form()
        params = {k: v for k, v in form.items() if isinstance(v, str)}
        try:
            redirect_uri = self._redirect_target(params)
        except AuthorizationRefused as exc:
            return render_page("oauth_error.html", 400, message=str(exc))
        early = self._early_redirect(params, redirect_uri)
        if early is not None:
            return early
        state = {"state": params["state"]} if params.get("state") else {}
        if params.get("decision") != "allow":
            return RedirectResponse(
                with_query(redirect_uri, {"error": "access_denied", **state}), 303
            )
        account = self._chosen_account(params)
        if account is None:
            return self._consent(request, params, "Pick an account, or give a name and an email.")
        expires_at = self.sim.now() + timedelta(
            seconds=self.sim.config.authorization_code_ttl_seconds
        )
        code = issue_code(
            self.sim.state, account.account_id, redirect_uri, params["scope"], expires_at
        )
        return RedirectResponse(with_query(redirect_uri, {"code": code, **state}), 303)

    def _chosen_account(self, params: dict[str, str]) -> Account | None:
        choice = params.get("account_id", "")
        if choice != "new":
            return self.sim.state.accounts.get(choice)
        name, email = params.get("new_name", "").strip(), params.get("new_email", "").strip()
        if not name or "@" not in email:
            return None
        account = Account(
            account_id=new_id("acc_"),
            email=email,
            name=name,
            default_tzid="Etc/UTC",
            provider_name=assumptions.DEFAULT_PROVIDER_NAME,
            profile_id=new_id("pro_"),
        )
        self.sim.state.add_account(account)
        self.sim.state.add_calendar(
            Calendar(new_id("cal_"), account.account_id, name, primary=True)
        )
        return account

    async def token(self, request: Request) -> Response:
        params = await json_or_form(request)
        body = grant_token(
            self.sim.state,
            self.sim.config,
            params,
            self.sim.now(),
            self.sim.behaviour.refresh_token_mode,
        )
        return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    async def revoke(self, request: Request) -> Response:
        revoke(self.sim.state, self.sim.config, await json_or_form(request))
        return Response(status_code=200)
