"""Private apps of the simulated account: what Zendesk does for an app with signed URLs.

Each uploaded app has its own RSA key pair; Zendesk serves the public half at
``/api/v2/apps/{app_id}/public_key.pem`` (anonymous callers allowed) and signs, with the
private half, the JWT it POSTs as the form field ``token`` when it loads a location's
remote URL. The routes are in ``api_apps``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from zdcal.sandbox.zendesk.assumptions import (
    SIGNED_URL_TOKEN_LIFETIME_SECONDS,
    SIGNED_URL_USER_CLAIM,
)
from zdcal.sandbox.zendesk.errors import RecordNotFound

FIRST_APP_ID = 1_000_001
FIRST_INSTALLATION_ID = 2_000_001


@dataclass
class App:
    """An uploaded private app and its signing key (one pair per app: see assumptions)."""

    id: int
    name: str
    private_key: rsa.RSAPrivateKey

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


@dataclass
class Installation:
    """An app installed in the account, with its (non-secure) settings."""

    id: int
    app_id: int
    settings: dict[str, Any]
    locations: dict[str, str] = field(default_factory=dict)
    """The manifest's location URLs by location name (remote URLs of a server-side app)."""
    enabled: bool = True


@dataclass
class AppBook:
    """The account's apps and installations."""

    apps: dict[int, App] = field(default_factory=dict)
    installations: dict[int, Installation] = field(default_factory=dict)
    _app_ids: count[int] = field(default_factory=lambda: count(FIRST_APP_ID))
    _installation_ids: count[int] = field(default_factory=lambda: count(FIRST_INSTALLATION_ID))

    def clear(self) -> None:
        self.apps.clear()
        self.installations.clear()

    def install(
        self, name: str, settings: dict[str, Any], locations: dict[str, str]
    ) -> Installation:
        """Upload an app and install it (what an admin does with the app's zip)."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        app = App(next(self._app_ids), name, key)
        self.apps[app.id] = app
        installation = Installation(next(self._installation_ids), app.id, dict(settings),
                                    dict(locations))
        self.installations[installation.id] = installation
        return installation

    def signed_token(
        self, installation_id: int, *, subdomain: str, user_id: int, location: str, now: float
    ) -> str:
        """The JWT Zendesk POSTs when ``user_id`` opens the installation's ``location``."""
        installation = self.installations.get(installation_id)
        if installation is None:
            raise RecordNotFound()
        host = f"{subdomain}.zendesk.com"
        claims = {
            "iss": host,
            "aud": f"https://{host}/api/v2/apps/installations/{installation_id}.json",
            "iat": int(now),
            "exp": int(now) + SIGNED_URL_TOKEN_LIFETIME_SECONDS,
            SIGNED_URL_USER_CLAIM: str(user_id),
            "context": {"product": "support", "location": location},
            "jti": secrets.token_urlsafe(16),
        }
        return jwt.encode(claims, self.apps[installation.app_id].private_key, algorithm="RS256")


