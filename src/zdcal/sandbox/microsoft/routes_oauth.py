"""The identity platform's v2 endpoints, small: consent page, token endpoint, OIDC metadata."""

from __future__ import annotations

import base64
import hmac
import html
import json
from datetime import timedelta
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from zdcal.sandbox.microsoft import assumptions
from zdcal.sandbox.microsoft.errors import AadstsError, aadsts_response
from zdcal.sandbox.microsoft.model import AuthorizationCode, Grant, User
from zdcal.sandbox.microsoft.simulator import MicrosoftSimulator
from zdcal.sandbox.microsoft.store import new_token
from zdcal.sandbox.oauth import (
    hidden_inputs,
    pkce_failure,
    redirect_allowed,
)

AUTHORIZE_PATH = "/{tenant}/oauth2/v2.0/authorize"
TOKEN_PATH = "/{tenant}/oauth2/v2.0/token"  # noqa: S105 - a path
METADATA_PATH = "/{tenant}/v2.0/.well-known/openid-configuration"
_PASSED_ON = (
    "client_id", "redirect_uri", "response_type", "response_mode", "scope", "state", "prompt",
    "login_hint", "code_challenge", "code_challenge_method", "nonce", "client_info",
)


def graph_scopes(scope: str) -> frozenset[str]:
    """The Graph permissions in a ``scope`` string, short form (OpenID scopes left out)."""
    names = {s.removeprefix(assumptions.SCOPE_PREFIX) for s in scope.split()}
    return frozenset(n for n in names if n not in assumptions.OIDC_SCOPES)


def _unsigned_jwt(claims: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'typ': 'JWT', 'alg': 'none'})}.{part(claims)}."


class MicrosoftOAuth:
    def __init__(self, sim: MicrosoftSimulator) -> None:
        self.sim = sim

    def routes(self) -> list[BaseRoute]:
        return [
            Route(AUTHORIZE_PATH, self.consent_page, methods=["GET"]),
            Route(AUTHORIZE_PATH, self.consent_decision, methods=["POST"]),
            Route(TOKEN_PATH, self.token, methods=["POST"]),
            Route(METADATA_PATH, self.metadata, methods=["GET"]),
        ]

    def _tenant_known(self, tenant: str) -> bool:
        return tenant in (*assumptions.TENANT_ALIASES, self.sim.config.tenant_id)

    def _problem(self, request: Request, params: dict[str, str]) -> str | None:
        """Why the request cannot even be answered by a redirect (an error page), or None."""
        if not self._tenant_known(request.path_params["tenant"]):
            return "AADSTS90002: Tenant not found."
        if params.get("client_id") != self.sim.config.client_id:
            return "AADSTS700016: Application was not found in the directory."
        if not redirect_allowed(params.get("redirect_uri", ""), self.sim.config.redirect_uris):
            return "AADSTS50011: The redirect URI does not match the app's registered ones."
        return None

    def _redirect_error(self, params: dict[str, str], error: str, description: str) -> Response:
        back = {"error": error, "error_description": description}
        if "state" in params:
            back["state"] = params["state"]
        return RedirectResponse(f"{params['redirect_uri']}?{urlencode(back)}", 302)

    def _request_error(self, params: dict[str, str]) -> Response | None:
        if params.get("response_type") != "code":
            return self._redirect_error(params, "unsupported_response_type",
                                        "AADSTS70005: response_type 'code' is required.")
        if not params.get("scope", "").split():
            return self._redirect_error(params, "invalid_request",
                                        "AADSTS900144: The request body must contain the "
                                        "following parameter: 'scope'.")
        if params.get("response_mode", "query") != "query":
            return self._redirect_error(params, "invalid_request",
                                        "zdcal sandbox: only response_mode=query is simulated.")
        if params.get("code_challenge_method", "plain") not in assumptions.PKCE_METHODS:
            return self._redirect_error(params, "invalid_request",
                                        "AADSTS501491: Invalid code_challenge_method.")
        return None

    def _refusal(self, request: Request, params: dict[str, str]) -> Response | None:
        """An error page, an error redirect, or None when the request may go on."""
        problem = self._problem(request, params)
        if problem:
            return HTMLResponse(f"<h1>Sign in</h1><p>{html.escape(problem)}</p>", 400)
        return self._request_error(params)

    async def consent_page(self, request: Request) -> Response:
        params = dict(request.query_params)
        refused = self._refusal(request, params)
        if refused is not None:
            return refused
        if params.get("prompt") == "none":
            return self._silent(params)
        hidden = hidden_inputs(params, _PASSED_ON)
        users = "".join(
            f'<button name="user" value="{html.escape(u.email)}">{html.escape(u.display_name)} '
            f"({html.escape(u.email)})</button>"
            for u in self.sim.state.users.values()
        )
        scopes = "".join(f"<li>{html.escape(s)}</li>" for s in params["scope"].split())
        page = (
            "<!doctype html><title>Sign in to your account (sandbox)</title>"
            "<h1>Pick an account</h1><p>Permissions requested:</p>"
            f"<ul>{scopes}</ul><form method=\"post\">{hidden}{users}"
            '<button name="decision" value="deny">Cancel</button></form>'
        )
        return HTMLResponse(page)

    def _silent(self, params: dict[str, str]) -> Response:
        """``prompt=none``: a code only for a user who already consented to these scopes."""
        with self.sim.state.lock:
            user = self.sim.state.user_by_email(params.get("login_hint", ""))
            grant = self.sim.state.grant_for(user.user_id) if user else None
            if user is None or grant is None or not graph_scopes(params["scope"]) <= grant.scopes:
                return self._redirect_error(params, "interaction_required",
                                            "AADSTS50058: A silent sign-in request was sent but "
                                            "no user is signed in.")
            return self._code_redirect(params, user)

    async def consent_decision(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        refused = self._refusal(request, form)
        if refused is not None:
            return refused
        with self.sim.state.lock:
            user = self.sim.state.user_by_email(form.get("user", ""))
            if form.get("decision") == "deny" or user is None:
                number, text = assumptions.AADSTS["consent_declined"]
                return self._redirect_error(form, "access_denied", f"AADSTS{number}: {text}")
            return self._code_redirect(form, user)

    def _code_redirect(self, params: dict[str, str], user: User) -> Response:
        code = AuthorizationCode(
            new_token("M.C5_BAY."), user.user_id, frozenset(params["scope"].split()),
            params["redirect_uri"], params.get("code_challenge"),
            params.get("code_challenge_method", "plain"),
            self.sim.now() + timedelta(seconds=assumptions.AUTHORIZATION_CODE_TTL_SECONDS),
            params.get("nonce"),
        )
        self.sim.state.codes[code.code] = code
        back = {"code": code.code, **({"state": params["state"]} if "state" in params else {})}
        return RedirectResponse(f"{params['redirect_uri']}?{urlencode(back)}", 302)

    async def metadata(self, request: Request) -> Response:
        """OpenID discovery, so MSAL-style clients find the endpoints at this base URL."""
        tenant = request.path_params["tenant"]
        base = str(request.base_url).rstrip("/")
        return JSONResponse({
            "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
            "issuer": self._issuer(request),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "token_endpoint_auth_methods_supported": ["client_secret_post",
                                                      "client_secret_basic"],
            "code_challenge_methods_supported": list(assumptions.PKCE_METHODS),
        })

    def _issuer(self, request: Request) -> str:
        """GUESS: the simulator's own base stands for login.microsoftonline.com in ``iss``."""
        return f"{str(request.base_url).rstrip('/')}/{self.sim.config.tenant_id}/v2.0"

    # --- token endpoint --------------------------------------------------------------------
    async def token(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        try:
            return self._token(request, form)
        except AadstsError as exc:
            return aadsts_response(self.sim.now(), exc)

    def _client(self, request: Request, form: dict[str, str]) -> None:
        client_id, secret = form.get("client_id"), form.get("client_secret", "")
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
            except ValueError:
                raise AadstsError("invalid_client", "bad_secret", 401) from None
        if client_id != self.sim.config.client_id:
            raise AadstsError("unauthorized_client", "unknown_client")
        if not hmac.compare_digest(secret.encode(), self.sim.config.client_secret.encode()):
            raise AadstsError("invalid_client", "bad_secret", 401)

    def _token(self, request: Request, form: dict[str, str]) -> Response:
        if not self._tenant_known(request.path_params["tenant"]):
            raise AadstsError("invalid_request", "tenant_not_found")
        self._client(request, form)
        grant_type = form.get("grant_type")
        with self.sim.state.lock:
            if grant_type == "authorization_code":
                grant, scopes, nonce = self._redeem(form)
                return self._token_answer(request, form, grant, scopes, nonce)
            if grant_type == "refresh_token":
                grant = self._refresh(form)
                scopes = frozenset({"offline_access", *form.get("scope", "").split()})
                return self._token_answer(request, form, grant, scopes, None)
        raise AadstsError("unsupported_grant_type", "bad_grant_type")

    def _redeem(self, form: dict[str, str]) -> tuple[Grant, frozenset[str], str | None]:
        code = self.sim.state.codes.get(form.get("code", ""))
        if code is None:
            raise AadstsError("invalid_grant", "bad_grant")
        if code.redeemed:
            raise AadstsError("invalid_grant", "code_redeemed")
        if code.expires_at <= self.sim.now():
            raise AadstsError("invalid_grant", "grant_revoked")
        if form.get("redirect_uri") != code.redirect_uri:
            raise AadstsError("invalid_grant", "redirect_mismatch")
        failure = pkce_failure(code.code_challenge, code.code_challenge_method,
                               form.get("code_verifier"))
        if failure is not None:
            raise AadstsError("invalid_grant", f"verifier_{failure.value}")
        code.redeemed = True
        grant = self.sim.state.consent(code.user_id, graph_scopes(" ".join(code.scopes)))
        return grant, code.scopes, code.nonce

    def _refresh(self, form: dict[str, str]) -> Grant:
        token = form.get("refresh_token", "")
        record = self.sim.state.refresh_tokens.get(token)
        now = self.sim.now()
        if record is None:
            raise AadstsError("invalid_grant", "bad_grant")
        grant = self.sim.state.grants[record.grant_id]
        if grant.revoked:
            raise AadstsError("invalid_grant", "grant_revoked")
        if record.expires_at <= now or (record.dies_at is not None and record.dies_at <= now):
            raise AadstsError("invalid_grant", "refresh_expired")
        asked = graph_scopes(form.get("scope", ""))
        if asked and not asked <= grant.scopes:
            raise AadstsError("invalid_scope", "invalid_scope")
        self.sim.state.retire_refresh_token(token, now,
                                            self.sim.config.old_refresh_token_grace_seconds)
        return grant

    def _token_answer(self, request: Request, form: dict[str, str], grant: Grant,
                      asked: frozenset[str], nonce: str | None) -> Response:
        config, now = self.sim.config, self.sim.now()
        ttl = config.access_token_ttl_seconds
        body: dict[str, object] = {
            "token_type": "Bearer",
            "scope": " ".join(sorted(grant.scopes)),
            "expires_in": ttl,
            "ext_expires_in": ttl,
            "access_token": self.sim.state.issue_access_token(grant, now + timedelta(seconds=ttl)),
        }
        if "offline_access" in asked:
            body["refresh_token"] = self.sim.state.issue_refresh_token(
                grant, now + timedelta(seconds=config.refresh_token_ttl_seconds))
        user = self.sim.state.users[grant.user_id]
        if "openid" in asked:
            claims: dict[str, object] = {
                "aud": config.client_id, "iss": self._issuer(request), "tid": config.tenant_id,
                "oid": user.user_id, "sub": user.user_id, "name": user.display_name,
                "preferred_username": user.email, "iat": int(now.timestamp()),
                "exp": int(now.timestamp()) + ttl,
            }
            if nonce:
                claims["nonce"] = nonce
            body["id_token"] = _unsigned_jwt(claims)
        if form.get("client_info") == "1":
            info = json.dumps({"uid": user.user_id, "utid": config.tenant_id}).encode()
            body["client_info"] = base64.urlsafe_b64encode(info).decode().rstrip("=")
        return JSONResponse(body, headers={"Cache-Control": "no-store"})
