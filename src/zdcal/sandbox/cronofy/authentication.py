"""Who is calling: the bearer token, its authorization, its scope and its account's state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request

from zdcal.sandbox.cronofy.errors import AccountLocked, InsufficientScope, InvalidToken
from zdcal.sandbox.cronofy.model import Account, Grant
from zdcal.sandbox.cronofy.store import SandboxState


@dataclass(frozen=True)
class Caller:
    """An authenticated API request: the authorization used and the account behind it."""

    grant: Grant
    account: Account


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header, if there is one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def authenticate(
    request: Request,
    state: SandboxState,
    now: datetime,
    scope: str | None,
    *,
    refused_when_locked: bool,
) -> Caller:
    """The caller, or 401 (bad token), 403 (scope missing) or 423 (account locked).

    ``scope=None`` checks the token only (batch checks each entry's scope itself).
    """
    token = bearer_token(request)
    grant = state.grant_for_access_token(token) if token else None
    if grant is None or token is None or not state.access_token_valid(grant, token, now):
        raise InvalidToken("missing, unknown, expired or revoked access token")
    if scope is not None and not grant.allows(scope):
        raise InsufficientScope(f"the {scope} scope was not granted")
    account = state.accounts[grant.account_id]
    if refused_when_locked and account.locked:
        raise AccountLocked("the account's calendar credentials must be relinked")
    return Caller(grant, account)
