"""Google's OAuth 2.0 web-server flow, small: consent page, token endpoint, revoke."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from zdcal.sandbox.google import assumptions
from zdcal.sandbox.google.errors import OAuthError
from zdcal.sandbox.google.model import AuthorizationCode, Grant
from zdcal.sandbox.google.simulator import GoogleSimulator
from zdcal.sandbox.google.store import new_token

AUTHORIZE_PATH = "/o/oauth2/v2/auth"
TOKEN_PATH = "/token"  # noqa: S105 - a path
REVOKE_PATH = "/revoke"
_PASSED_ON = (
    "client_id", "redirect_uri", "response_type", "scope", "state", "access_type", "prompt",
    "code_challenge", "code_challenge_method",
)


def pkce_challenge(verifier: str, method: str) -> str:
    if method == "plain":
        return verifier
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class GoogleOAuth:
    def __init__(self, sim: GoogleSimulator) -> None:
        self.sim = sim

    def routes(self) -> list[BaseRoute]:
        return [
            Route(AUTHORIZE_PATH, self.consent_page, methods=["GET"]),
            Route(AUTHORIZE_PATH, self.consent_decision, methods=["POST"]),
            Route(TOKEN_PATH, self.token, methods=["POST"]),
            Route(REVOKE_PATH, self.revoke, methods=["POST"]),
        ]

    def _check_request(self, params: dict[str, str]) -> str | None:
        """A reason to refuse the authorization request outright, or None."""
        if params.get("client_id") != self.sim.config.client_id:
            return "invalid_client: The OAuth client was not found."
        redirect = params.get("redirect_uri", "")
        registered = self.sim.config.redirect_uris
        if (registered and redirect not in registered) or (
            urlsplit(redirect).scheme not in ("http", "https")
        ):
            return "redirect_uri_mismatch"
        if params.get("response_type") != "code" or not params.get("scope", "").split():
            return "invalid_request: response_type=code and a scope are required."
        method = params.get("code_challenge_method", "plain")
        if method not in assumptions.PKCE_METHODS:
            return "invalid_request: Invalid code_challenge_method."
        return None

    async def consent_page(self, request: Request) -> Response:
        params = dict(request.query_params)
        problem = self._check_request(params)
        if problem:
            return HTMLResponse(f"<h1>Error 400</h1><p>{html.escape(problem)}</p>", 400)
        hidden = "".join(
            f'<input type="hidden" name="{k}" value="{html.escape(params[k])}">'
            for k in _PASSED_ON if k in params
        )
        users = "".join(
            f'<button name="user" value="{html.escape(u.email)}">{html.escape(u.email)}</button>'
            for u in self.sim.config.users
        )
        scopes = "".join(f"<li>{html.escape(s)}</li>" for s in params["scope"].split())
        page = (
            "<!doctype html><title>Sign in - Google Accounts (sandbox)</title>"
            f"<h1>Choose an account</h1><p>The app asks for:</p><ul>{scopes}</ul>"
            f'<form method="post">{hidden}{users}'
            '<button name="decision" value="deny">Cancel</button></form>'
        )
        return HTMLResponse(page)

    async def consent_decision(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        problem = self._check_request(form)
        if problem:
            return HTMLResponse(f"<h1>Error 400</h1><p>{html.escape(problem)}</p>", 400)
        back: dict[str, str] = {"state": form["state"]} if "state" in form else {}
        if form.get("decision") == "deny" or form.get("user") not in {
            u.email for u in self.sim.config.users
        }:
            return RedirectResponse(
                f"{form['redirect_uri']}?{urlencode({'error': 'access_denied', **back})}", 302
            )
        challenge = form.get("code_challenge")
        with self.sim.state.lock:
            code = AuthorizationCode(
                new_token("4/"), form["user"], frozenset(form["scope"].split()),
                form["redirect_uri"], form.get("access_type") == "offline",
                "consent" in form.get("prompt", "").split(), challenge,
                form.get("code_challenge_method", "plain"),
                self.sim.now() + timedelta(seconds=assumptions.AUTHORIZATION_CODE_TTL_SECONDS),
            )
            self.sim.state.codes[code.code] = code
        query = urlencode({"code": code.code, "scope": " ".join(sorted(code.scopes)), **back})
        return RedirectResponse(f"{form['redirect_uri']}?{query}", 302)

    async def token(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        if form.get("client_id") != self.sim.config.client_id or not hmac.compare_digest(
            form.get("client_secret", ""), self.sim.config.client_secret
        ):
            raise OAuthError("invalid_client", "Unauthorized", 401)
        grant_type = form.get("grant_type")
        with self.sim.state.lock:
            if grant_type == "authorization_code":
                return self._exchange_code(form)
            if grant_type == "refresh_token":
                grant = self.sim.state.grant_for_refresh_token(form.get("refresh_token", ""))
                if grant is None:
                    raise OAuthError("invalid_grant", assumptions.INVALID_GRANT_DESCRIPTION)
                return self._token_response(grant, refresh_token=None)
        raise OAuthError("unsupported_grant_type", "Invalid grant_type: " + str(grant_type))

    def _exchange_code(self, form: dict[str, str]) -> Response:
        code = self.sim.state.codes.pop(form.get("code", ""), None)
        if code is None or code.expires_at <= self.sim.now():
            raise OAuthError("invalid_grant", "Malformed auth code.")
        if form.get("redirect_uri") != code.redirect_uri:
            raise OAuthError("redirect_uri_mismatch", "Bad Request")
        if code.code_challenge is not None:
            verifier = form.get("code_verifier")
            if not verifier:
                raise OAuthError("invalid_grant", "Missing code verifier.")
            expected = pkce_challenge(verifier, code.code_challenge_method)
            if not hmac.compare_digest(expected, code.code_challenge):
                raise OAuthError("invalid_grant", "Invalid code verifier.")
        state = self.sim.state
        grant = state.grant_for(code.email)
        first_consent = grant is None
        if grant is None:
            grant = state.new_grant(code.email, code.scopes)
        else:
            grant.scopes = grant.scopes | code.scopes
        refresh = None
        if code.offline and (first_consent or code.force_consent or grant.refresh_token is None):
            refresh = state.issue_refresh_token(grant)
        return self._token_response(grant, refresh_token=refresh)

    def _token_response(self, grant: Grant, refresh_token: str | None) -> Response:
        ttl = self.sim.config.access_token_ttl_seconds
        access = self.sim.state.issue_access_token(grant, self.sim.now() + timedelta(seconds=ttl))
        body: dict[str, object] = {
            "access_token": access,
            "expires_in": ttl,
            "scope": " ".join(sorted(grant.scopes)),
            "token_type": "Bearer",
        }
        if refresh_token is not None:
            body["refresh_token"] = refresh_token
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    async def revoke(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        token = form.get("token") or request.query_params.get("token", "")
        with self.sim.state.lock:
            grant = self.sim.state.grant_for_any_token(token)
            if grant is None:
                raise OAuthError("invalid_token", "Token expired or revoked")
            self.sim.state.revoke(grant)
        return JSONResponse({})
