"""OAuth 2 authorization-code grant with PKCE, expiring access tokens and rotating refresh
tokens, as Zendesk's ``/oauth/authorizations/new`` and ``/oauth/tokens`` behave."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from zdcal.sandbox.zendesk.assumptions import (
    AUTHORIZATION_CODE_TTL_SECONDS,
    OAUTH_GLOBAL_SCOPES,
    OAUTH_RESOURCES,
    REFRESH_TOKEN_TTL_SECONDS,
)
from zdcal.sandbox.zendesk.errors import OAuthError
from zdcal.sandbox.zendesk.model import OAuthClient

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not match the "
    "redirection URI used in the authorization request, or was issued to another client."
)
INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client authentication "
    "included, or unsupported authentication method."
)


class AuthorizationRequestInvalid(ValueError):
    """An authorization request that must not redirect (unknown client or redirect URI)."""


@dataclass
class AuthorizationCode:
    code: str
    client_id: str
    user_id: int
    redirect_uri: str
    scopes: tuple[str, ...]
    expires_at: float
    code_challenge: str | None


@dataclass
class AccessToken:
    """An issued bearer token."""

    id: int
    token: str
    client_id: str
    user_id: int
    scopes: tuple[str, ...]
    created_at: float
    expires_at: float | None
    refresh_token: str


@dataclass
class RefreshGrant:
    token: str
    client_id: str
    user_id: int
    scopes: tuple[str, ...]
    expires_at: float
    access_token: str


def parse_scopes(text: str) -> tuple[str, ...]:
    """Split a space-separated scope string; ValueError names an unknown scope."""
    scopes = tuple(dict.fromkeys(text.split()))
    for scope in scopes:
        resource, _, access = scope.partition(":")
        if scope in OAUTH_GLOBAL_SCOPES:
            continue
        if resource in OAUTH_RESOURCES and access in ("read", "write"):
            continue
        raise ValueError(scope)
    return scopes or ("read",)


def pkce_s256(verifier: str) -> str:
    """The S256 code challenge of a verifier (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class OAuthService:
    """Clients, outstanding codes and tokens of the account."""

    def __init__(self, access_token_ttl: int) -> None:
        self.access_token_ttl = access_token_ttl
        self.clients: dict[str, OAuthClient] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_grants: dict[str, RefreshGrant] = {}
        self._next_token_id = 1

    def clear(self) -> None:
        """Forget clients, codes and tokens (sandbox reset)."""
        self.clients.clear()
        self.codes.clear()
        self.access_tokens.clear()
        self.refresh_grants.clear()

    def add_client(self, spec: dict[str, Any]) -> OAuthClient:
        """Register a client from a seed entry."""
        client = OAuthClient(
            id=len(self.clients) + 1,
            identifier=str(spec["identifier"]),
            secret=str(spec["secret"]),
            redirect_uris=[str(u) for u in spec.get("redirect_uris", [])],
            allow_loopback_redirects=bool(spec.get("allow_loopback_redirects", False)),
            name=str(spec.get("name", spec["identifier"])),
        )
        self.clients[client.identifier] = client
        return client

    # --- authorization -----------------------------------------------------------------
    def check_authorization_request(self, client_id: str, redirect_uri: str) -> OAuthClient:
        """The client, if it exists and accepts this redirect URI; else no redirect at all."""
        client = self.clients.get(client_id)
        if client is None:
            raise AuthorizationRequestInvalid("unknown client_id")
        if redirect_uri in client.redirect_uris:
            return client
        parts = urlsplit(redirect_uri)
        if (
            client.allow_loopback_redirects
            and parts.scheme == "http"
            and (parts.hostname or "") in LOOPBACK_HOSTS
        ):
            return client
        raise AuthorizationRequestInvalid("redirect_uri is not registered for this client")

    def issue_code(
        self,
        client: OAuthClient,
        user_id: int,
        redirect_uri: str,
        scopes: tuple[str, ...],
        code_challenge: str | None,
        now: float,
    ) -> str:
        """A single-use authorization code, valid for 120 seconds."""
        code = secrets.token_urlsafe(24)
        self.codes[code] = AuthorizationCode(
            code,
            client.identifier,
            user_id,
            redirect_uri,
            scopes,
            now + AUTHORIZATION_CODE_TTL_SECONDS,
            code_challenge,
        )
        return code

    # --- token endpoint ----------------------------------------------------------------
    def _authenticate_client(self, params: dict[str, str]) -> OAuthClient:
        client = self.clients.get(params.get("client_id", ""))
        secret = params.get("client_secret", "")
        if client is None or not hmac.compare_digest(client.secret, secret):
            raise OAuthError("invalid_client", INVALID_CLIENT, 401)
        return client

    def exchange(self, params: dict[str, str], now: float) -> dict[str, Any]:
        """Answer ``POST /oauth/tokens`` for the two supported grant types."""
        grant_type = params.get("grant_type", "")
        if grant_type not in ("authorization_code", "refresh_token"):
            raise OAuthError(
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server.",
            )
        client = self._authenticate_client(params)
        if grant_type == "authorization_code":
            return self._exchange_code(client, params, now)
        return self._refresh(client, params, now)

    def _exchange_code(
        self, client: OAuthClient, params: dict[str, str], now: float
    ) -> dict[str, Any]:
        code = self.codes.pop(params.get("code", ""), None)  # single use, even when refused
        if (
            code is None
            or code.expires_at <= now
            or code.client_id != client.identifier
            or code.redirect_uri != params.get("redirect_uri", "")
        ):
            raise OAuthError("invalid_grant", INVALID_GRANT)
        if code.code_challenge is not None:
            verifier = params.get("code_verifier", "")
            if not verifier or not hmac.compare_digest(pkce_s256(verifier), code.code_challenge):
                raise OAuthError("invalid_grant", INVALID_GRANT)
        return self._issue(client.identifier, code.user_id, code.scopes, now)

    def _refresh(self, client: OAuthClient, params: dict[str, str], now: float) -> dict[str, Any]:
        grant = self.refresh_grants.pop(params.get("refresh_token", ""), None)  # rotates
        if grant is None or grant.expires_at <= now or grant.client_id != client.identifier:
            raise OAuthError("invalid_grant", INVALID_GRANT)
        self.access_tokens.pop(grant.access_token, None)
        scopes = grant.scopes
        if params.get("scope"):
            asked = tuple(params["scope"].split())
            if not set(asked) <= set(grant.scopes):
                raise OAuthError(
                    "invalid_scope",
                    "The requested scope is invalid, unknown, or malformed.",
                )
            scopes = asked
        return self._issue(client.identifier, grant.user_id, scopes, now)

    def _issue(
        self, client_id: str, user_id: int, scopes: tuple[str, ...], now: float
    ) -> dict[str, Any]:
        access = secrets.token_hex(32)
        refresh = secrets.token_hex(32)
        expires_at = now + self.access_token_ttl if self.access_token_ttl > 0 else None
        self.access_tokens[access] = AccessToken(
            self._next_token_id, access, client_id, user_id, scopes, now, expires_at, refresh
        )
        self._next_token_id += 1
        self.refresh_grants[refresh] = RefreshGrant(
            refresh, client_id, user_id, scopes, now + REFRESH_TOKEN_TTL_SECONDS, access
        )
        body: dict[str, Any] = {
            "access_token": access,
            "token_type": "bearer",
            "scope": " ".join(scopes),
            "refresh_token": refresh,
            "refresh_token_expires_in": REFRESH_TOKEN_TTL_SECONDS,
        }
        if expires_at is not None:
            body["expires_in"] = self.access_token_ttl
        return body

    # --- use ---------------------------------------------------------------------------
    def access_token(self, token: str, now: float) -> AccessToken | None:
        """The live access token with this value, if any."""
        found = self.access_tokens.get(token)
        if found is None or (found.expires_at is not None and found.expires_at <= now):
            return None
        return found

    def revoke(self, token: AccessToken) -> None:
        """Revoke an access token and its refresh token."""
        self.access_tokens.pop(token.token, None)
        self.refresh_grants.pop(token.refresh_token, None)
