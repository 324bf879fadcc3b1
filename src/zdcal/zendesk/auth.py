"""How a Zendesk client proves who it is: an API token or an OAuth access token.

Secrets never appear in a repr, so an auth object can be logged or shown in a traceback.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ApiTokenAuth:
    """Basic auth with an API token (being retired by Zendesk on 30 Apr 2027)."""

    email: str
    token: str = field(repr=False)

    def authorization(self) -> str:
        """The ``Authorization`` header value."""
        raw = f"{self.email}/token:{self.token}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True)
class OAuthTokens:
    """What Zendesk's token endpoint hands out; store the refresh token, it rotates."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None
    scope: str | None = None
    refresh_token_expires_at: datetime | None = None


@dataclass(frozen=True)
class OAuthAuth:
    """Bearer auth with an OAuth access token, refreshable with the client credentials."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None
    client_id: str = ""
    client_secret: str = field(default="", repr=False)

    def authorization(self) -> str:
        """The ``Authorization`` header value."""
        return f"Bearer {self.access_token}"

    @property
    def can_refresh(self) -> bool:
        return bool(self.refresh_token and self.client_id and self.client_secret)

    def expires_within(self, now: datetime, margin: timedelta) -> bool:
        """True when the access token is known to expire before ``now + margin``."""
        return self.expires_at is not None and self.expires_at <= now + margin

    def with_tokens(self, tokens: OAuthTokens) -> OAuthAuth:
        """This auth after a refresh; keeps the old refresh token if none was returned."""
        return OAuthAuth(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token or self.refresh_token,
            expires_at=tokens.expires_at,
            client_id=self.client_id,
            client_secret=self.client_secret,
        )


ZendeskAuth = ApiTokenAuth | OAuthAuth
