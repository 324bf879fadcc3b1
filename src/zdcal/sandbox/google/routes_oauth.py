"""Google's OAuth 2.0 web-server flow, small: consent page, token endpoint, revoke."""

from __future__ import annotations

import hmac
import html
from datetime import timedelta
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from zdcal.sandbox.google import assumptions
from zdcal.sandbox.google.errors import OAuthError
from zdcal.sandbox.google.model import AuthorizationCode, Grant
from zdcal.sandbox.google.simulator import GoogleSimulator
from zdcal.sandbox.google.store import new_token
from zdcal.sandbox.oauth import (
    PkceFailure,
    hidden_inputs,
    pkce_failure,
    redirect_allowed,
)

AUTHORIZE_PATH = "/o/oauth2/v2/auth"
TOKEN_PATH = "/token"  # noqa: S105 - a path
REVOKE_PATH = "/revoke"
_PKCE_DESCRIPTION = {
    PkceFailure.MISSING: "Missing code verifier.",
    PkceFailure.MISMATCH: "Invalid code verifier.",
}
_PASSED_ON = (
    "client_id", "redirect_uri", "response_type", "scope", "state", "access_type", "prompt",
    "code_challenge", "code_challenge_method",
)


def token_answer(
    sim: GoogleSimulator, grant: Grant, refresh_token: str | None
) -> dict[str, object]:
    """The token endpoint's JSON answer, with a fresh access token (call with the lock held)."""
    ttl = sim.config.access_token_ttl_seconds
    access = sim.state.issue_access_token(grant, sim.now() + timedelta(seconds=ttl))
    body: dict[str, object] = {
        "access_token": access,
        "expires_in": ttl,
        "scope": " ".join(sorted(grant.scopes)),
        "token_type": "Bearer",
    }
    if refresh_token is not None:
        body["refresh_token"] = refresh_token
    return body


_SCOPE_TEXT = {
    "https://www.googleapis.com/auth/calendar": "See, edit, share, and permanently delete all "
    "the calendars you can access using Google Calendar",
    "https://www.googleapis.com/auth/calendar.readonly": "See and download any calendar you "
    "can access using your Google Calendar",
    "https://www.googleapis.com/auth/calendar.events": "View and edit events on all your "
    "calendars",
    "https://www.googleapis.com/auth/calendar.events.readonly": "View events on all your "
    "calendars",
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly": "See the list of Google "
    "calendars you're subscribed to",
    "https://www.googleapis.com/auth/calendar.calendarlist": "See, add, and remove Google "
    "calendars you're subscribed to",
}
"""What Google's consent screen says for each Calendar scope (texts of the OAuth scopes list;
a scope not listed is shown as its URL)."""

_PAGE_STYLE = (
    "*{box-sizing:border-box}body{margin:0;font:16px/1.5 Roboto,Arial,sans-serif;color:#202124;"
    "background:#f0f4f9}main{max-width:28rem;margin:2rem auto;padding:1.5rem;background:#fff;"
    "border-radius:1.75rem}@media (max-width:30rem){main{margin:0;border-radius:0;"
    "min-height:100vh;padding:1rem}}h1{font-size:1.5rem;font-weight:400;margin:.5rem 0}"
    ".brand{font-weight:500;color:#1a73e8}.note{font-size:.875rem;color:#5f6368;"
    "overflow-wrap:anywhere}ul{padding-left:1.2rem}li{overflow-wrap:anywhere;margin:.25rem 0}"
    "button{font:inherit;cursor:pointer}.user{display:block;width:100%;text-align:left;"
    "padding:.75rem;margin:.25rem 0;border:1px solid #dadce0;border-radius:.5rem;"
    "background:#fff;overflow-wrap:anywhere}.user:hover,.user:focus{background:#e8f0fe}"
    ".cancel{margin-top:1rem;padding:.5rem 1.5rem;border:0;border-radius:1.25rem;"
    "background:none;color:#1a73e8}"
)


def consent_page(hidden: str, emails: list[str], scopes: list[str]) -> str:
    """Google's account chooser and consent screen in one page (sandbox): pick an account to
    allow the listed access, or Cancel (``access_denied``). Readable from 320 px wide."""
    users = "".join(
        f'<button class="user" name="user" value="{html.escape(e)}">{html.escape(e)}</button>'
        for e in emails
    )
    asked = "".join(
        f"<li>{html.escape(_SCOPE_TEXT.get(s, s))}"
        f'<br><span class="note">{html.escape(s)}</span></li>' for s in scopes
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Sign in - Google Accounts (sandbox)</title><style>{_PAGE_STYLE}</style></head>"
        '<body><main><p class="brand">Google <span class="note">(sandbox)</span></p>'
        "<h1>Choose an account</h1><p>to continue. Choosing an account allows the app to:</p>"
        f'<ul>{asked}</ul><form method="post">{hidden}{users}'
        '<button class="cancel" name="decision" value="deny">Cancel</button></form>'
        '<p class="note">Simulated Google sign-in: no password is asked.</p></main></body></html>'
    )


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
        if not redirect_allowed(params.get("redirect_uri", ""), self.sim.config.redirect_uris):
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
        hidden = hidden_inputs(params, _PASSED_ON)
        with self.sim.state.lock:
            emails = list(self.sim.state.calendar_lists)
        return HTMLResponse(consent_page(hidden, emails, params["scope"].split()))

    async def consent_decision(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        problem = self._check_request(form)
        if problem:
            return HTMLResponse(f"<h1>Error 400</h1><p>{html.escape(problem)}</p>", 400)
        back: dict[str, str] = {"state": form["state"]} if "state" in form else {}
        if form.get("decision") == "deny" or form.get("user") not in self.sim.state.calendar_lists:
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
        failure = pkce_failure(code.code_challenge, code.code_challenge_method,
                               form.get("code_verifier"))
        if failure is not None:
            raise OAuthError("invalid_grant", _PKCE_DESCRIPTION[failure])
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
        body = token_answer(self.sim, grant, refresh_token)
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
