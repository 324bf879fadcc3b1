"""Proving who someone is in Zendesk: an OAuth code exchanged, then ``/users/me``.

The identity is what Zendesk says the token belongs to, never anything typed. What the
server answered is never shown to the visitor: with a custom base URL it may not be
Zendesk at all, so the page says what to check and the log gets the status and code.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from zdcal.live.services import Services
from zdcal.zendesk import ZendeskClient
from zdcal.zendesk import oauth as zendesk_oauth
from zdcal.zendesk.auth import OAuthAuth, OAuthTokens
from zdcal.zendesk.errors import Unreachable, ZendeskError
from zdcal.zendesk.models import User

log = logging.getLogger(__name__)

SIGN_IN_SCOPE = "users:read"
# Backfill and sync read tickets and users; bootstrap writes webhooks and triggers.
CONNECT_SCOPE = "read write"
REFUSED = (
    "Zendesk did not accept the sign-in. Check the OAuth client's unique identifier and "
    "secret, and that its redirect URLs include this zdcal, then try again."
)
UNREACHABLE = "zdcal could not reach this Zendesk. Try again in a moment."
# An OAuth error code is logged only when it looks like one (it is the remote's text).
_ERROR_CODE = re.compile(r"[A-Za-z_]{1,40}")


class ZendeskIdentityError(Exception):
    """The code could not be exchanged or the user could not be read; plain words."""


@dataclass(frozen=True)
class OAuthClientCredentials:
    """A Zendesk OAuth client (registered in the admin's Zendesk)."""

    client_id: str
    client_secret: str = field(repr=False)


async def identify(
    services: Services,
    base_url: str,
    client: OAuthClientCredentials,
    *,
    code: str,
    redirect_uri: str,
    code_verifier: str,
) -> tuple[User, OAuthTokens]:
    """Exchange ``code`` and read the user the token belongs to."""
    try:
        tokens = await zendesk_oauth.exchange_code(
            services.zendesk_http, base_url, client_id=client.client_id,
            client_secret=client.client_secret, code=code, redirect_uri=redirect_uri,
            code_verifier=code_verifier, clock=services.clock,
        )
        user = await ZendeskClient(
            base_url, OAuthAuth(access_token=tokens.access_token),
            http=services.zendesk_http, clock=services.clock,
            timeout=services.settings.http_timeout_seconds,
        ).me()
    except (ZendeskError, ValueError, KeyError, TypeError) as exc:
        # ValueError and friends: an answer of the wrong shape (not JSON, no "user").
        status = exc.status if isinstance(exc, ZendeskError) else None
        error_code = exc.code if isinstance(exc, ZendeskError) else None
        log.warning(
            "Zendesk sign-in refused at %s: %s (HTTP %s, code %s)",
            urlsplit(base_url).netloc, type(exc).__name__, status,
            error_code if error_code and _ERROR_CODE.fullmatch(error_code) else "-",
        )
        if isinstance(exc, Unreachable):
            raise ZendeskIdentityError(UNREACHABLE) from exc
        raise ZendeskIdentityError(REFUSED) from exc
    if user.id is None:
        raise ZendeskIdentityError("Zendesk did not say who signed in.")
    return user, tokens


async def forget_token(services: Services, base_url: str, access_token: str) -> None:
    """Revoke a token zdcal needed only once (sign-in); a failure is only logged."""
    try:
        response = await services.zendesk_http.delete(
            f"{base_url.rstrip('/')}/api/v2/oauth/tokens/current.json",
            headers={"Authorization": f"Bearer {access_token}"},
        )
        if response.status_code not in (200, 204):
            log.info("sign-in token not revoked: HTTP %s", response.status_code)
    except httpx.HTTPError as exc:
        log.info("sign-in token not revoked: %s", type(exc).__name__)
