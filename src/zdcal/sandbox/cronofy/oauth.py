"""OAuth 2.0 as Cronofy runs it: codes, token exchange, refresh (rotating or not), revocation."""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta
from typing import Any

from zdcal.sandbox.cronofy import assumptions
from zdcal.sandbox.cronofy.config import CronofySimConfig
from zdcal.sandbox.cronofy.errors import OAuthError
from zdcal.sandbox.cronofy.model import AuthorizationCode, Grant
from zdcal.sandbox.cronofy.store import SandboxState, new_token


def _param(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value:
        raise OAuthError("invalid_request", f"{name} is required")
    return value


def check_client(config: CronofySimConfig, params: dict[str, Any]) -> None:
    """The request carries this application's client_id and client_secret, or 400."""
    client_id = params.get("client_id")
    secret = params.get("client_secret")
    if not (
        isinstance(client_id, str)
        and isinstance(secret, str)
        and hmac.compare_digest(client_id.encode(), config.client_id.encode())
        and hmac.compare_digest(secret.encode(), config.client_secret.encode())
    ):
        raise OAuthError(
            "invalid_client",
            "unknown client or wrong secret",
            assumptions.OAUTH_CLIENT_ERRORS_STATUS,
        )


def issue_code(
    state: SandboxState, account_id: str, redirect_uri: str, scope: str, expires_at: datetime
) -> str:
    """A single-use authorization code for the consent the user just gave."""
    code = new_token()
    state.codes[code] = AuthorizationCode(code, account_id, redirect_uri, scope, expires_at)
    return code


def _token_response(
    state: SandboxState, grant: Grant, config: CronofySimConfig, now: datetime
) -> dict[str, Any]:
    expires_at = now + timedelta(seconds=config.access_token_ttl_seconds)
    return {
        "token_type": "bearer",
        "access_token": state.issue_access_token(grant, expires_at),
        "expires_in": config.access_token_ttl_seconds,
        "refresh_token": grant.refresh_token,
        "scope": grant.scope,
    }


def exchange_code(
    state: SandboxState, config: CronofySimConfig, params: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """``grant_type=authorization_code``: a used, expired or mismatched code is invalid_grant."""
    check_client(config, params)
    code = state.codes.get(_param(params, "code"))
    if code is None or code.used or now >= code.expires_at:
        raise OAuthError("invalid_grant", "the code is unknown, used or expired")
    if params.get("redirect_uri") != code.redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
    code.used = True
    grant = state.issue_grant(code.account_id, code.scope)
    account = state.accounts[code.account_id]
    response = _token_response(state, grant, config, now)
    response.update(
        account_id=account.account_id,
        sub=account.account_id,
        linking_profile={
            "provider_name": account.provider_name,
            "profile_id": account.profile_id,
            "profile_name": account.profile_name,
        },
    )
    return response


def refresh(
    state: SandboxState,
    config: CronofySimConfig,
    params: dict[str, Any],
    now: datetime,
    mode: str,
) -> dict[str, Any]:
    """``grant_type=refresh_token``: a new access token, and under ``rotate`` a new refresh
    token (the used one dies at once); under ``same`` the refresh token sent comes back."""
    check_client(config, params)
    grant = state.grant_for_refresh_token(_param(params, "refresh_token"))
    if grant is None or grant.revoked:
        raise OAuthError("invalid_grant", "the refresh token is unknown, used or revoked")
    if mode == "rotate":
        state.rotate_refresh_token(grant)
    return _token_response(state, grant, config, now)


def revoke(state: SandboxState, config: CronofySimConfig, params: dict[str, Any]) -> None:
    """Revoke the authorization behind an access or refresh token; unknown tokens are fine."""
    check_client(config, params)
    token = _param(params, "token")
    grant = state.grant_for_refresh_token(token) or state.grant_for_access_token(token)
    if grant is not None:
        state.revoke_grant(grant)


def grant_token(
    state: SandboxState,
    config: CronofySimConfig,
    params: dict[str, Any],
    now: datetime,
    refresh_token_mode: str,
) -> dict[str, Any]:
    """``POST /oauth/token`` dispatched on ``grant_type``."""
    grant_type = params.get("grant_type")
    if grant_type == "authorization_code":
        return exchange_code(state, config, params, now)
    if grant_type == "refresh_token":
        return refresh(state, config, params, now, refresh_token_mode)
    raise OAuthError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported")
