"""The OAuth 2.0 pieces every vendor shares: the authorization URL, the grant body, one
POST to a token endpoint, and the expiry a token answer states.

Each vendor keeps its own endpoints, its own token type and its own typed errors.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from zdcal.clock import Clock
from zdcal.http.retry import RetryPolicy, Sleep, send

TOKEN_POLICY = RetryPolicy(max_attempts=3, base_delay=0.5, max_delay=5.0, max_total_wait=15.0)
"""Token requests are not idempotent (codes are single use, refresh tokens rotate, so a
blind resend could burn the only valid grant): they are resent only after 429 or when the
connection provably never opened."""


def authorization_url(
    endpoint: str, client_id: str, redirect_uri: str, scope: str, state: str, **extra: str
) -> str:
    """Where to send a browser to ask for a code (RFC 6749 4.1.1), ``extra`` appended."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        **extra,
    }
    return f"{endpoint}?{urlencode(params)}"


@dataclass(frozen=True)
class PkcePair:
    """A PKCE code verifier (kept secret until the exchange) and its S256 challenge."""

    verifier: str = field(repr=False)
    challenge: str


def make_pkce_pair() -> PkcePair:
    """A fresh random verifier (86 URL-safe characters) and its S256 challenge."""
    verifier = secrets.token_urlsafe(64)
    return PkcePair(verifier=verifier, challenge=pkce_challenge(verifier))


def pkce_challenge(verifier: str) -> str:
    """The S256 ``code_challenge`` of a PKCE ``code_verifier`` (RFC 7636 4.2): the
    verifier's SHA-256, base64url without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def grant(grant_type: str, client_id: str, client_secret: str, **fields: str) -> dict[str, Any]:
    """A token request's body: the grant type, the client's credentials, then ``fields``."""
    return {
        "grant_type": grant_type,
        "client_id": client_id,
        "client_secret": client_secret,
        **fields,
    }


async def post_token_request(
    http: httpx.AsyncClient,
    url: str,
    body: dict[str, Any],
    *,
    service: str,
    unreachable: Callable[[str], Exception],
    policy: RetryPolicy = TOKEN_POLICY,
    clock: Clock | None = None,
    sleep: Sleep,
    form: bool = False,
) -> httpx.Response:
    """POST ``body`` to a token endpoint, as JSON or (``form``) form-encoded as RFC 6749
    has it; answer the response, whatever its status.

    No answer at all raises ``unreachable("<service> token endpoint unreachable: ...")``.
    """
    encoded: dict[str, Any] = {"data": body} if form else {"json": body}
    request = http.build_request(
        "POST", url, headers={"Accept": "application/json"}, **encoded
    )
    try:
        return await send(http, request, policy=policy, idempotent=False, clock=clock, sleep=sleep)
    except httpx.TransportError as exc:
        raise unreachable(f"{service} token endpoint unreachable: {type(exc).__name__}") from exc


def expires_at(now: datetime, expires_in: Any) -> datetime | None:
    """When a token dies, from a token answer's ``expires_in`` seconds (None if unstated)."""
    return None if expires_in is None else now + timedelta(seconds=float(expires_in))
