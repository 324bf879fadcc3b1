"""Private apps of the simulated account: what Zendesk does for an app with signed URLs.

Each uploaded app has its own RSA key pair; Zendesk serves the public half at
``/api/v2/apps/{app_id}/public_key.pem`` (anonymous callers allowed) and signs, with the
private half, the JWT it POSTs as the form field ``token`` when it loads a location's
remote URL. Zendesk mints those tokens itself; here the control API
``POST /_sandbox/apps/installations/{id}/signed_token`` mints the token Zendesk would
POST, so a test (or a local stand-in for Zendesk's agent page) can frame the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from zdcal.sandbox.zendesk.assumptions import (
    APP_KEY_PER_APP,
    SIGNED_URL_TOKEN_LIFETIME_SECONDS,
    SIGNED_URL_USER_CLAIM,
)
from zdcal.sandbox.zendesk.errors import BadRequest, RecordNotFound
from zdcal.sandbox.zendesk.http_common import account_of, json_body, json_response, principal

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

    def install(self, name: str, settings: dict[str, Any]) -> Installation:
        """Upload an app and install it (what an admin does with the app's zip)."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        app = App(next(self._app_ids), name, key)
        self.apps[app.id] = app
        installation = Installation(next(self._installation_ids), app.id, dict(settings))
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
        }
        return jwt.encode(claims, self.apps[installation.app_id].private_key, algorithm="RS256")


def _app_id(request: Request) -> int:
    return int(request.path_params["app_id"])


async def public_key(request: Request) -> Response:
    # Zendesk documents this endpoint as allowed for anonymous users: no principal check.
    app = account_of(request).apps.apps.get(_app_id(request))
    if app is None:
        raise RecordNotFound()
    return Response(app.public_pem(), media_type="application/x-pem-file")


async def show_installation(request: Request) -> Response:
    principal(request, "apps", write=False, roles=("agent", "admin"))
    installation = account_of(request).apps.installations.get(
        int(request.path_params["installation_id"])
    )
    if installation is None:
        raise RecordNotFound()
    return json_response({
        "id": installation.id,
        "app_id": installation.app_id,
        "settings": installation.settings,
        "enabled": installation.enabled,
    })


async def control_install(request: Request) -> Response:
    body = await json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("settings", {}), dict):
        raise BadRequest("invalid", "send {\"name\": ..., \"settings\": {...}}")
    installation = account_of(request).apps.install(
        str(body.get("name", "zdcal")), body.get("settings", {})
    )
    return json_response({"app_id": installation.app_id, "installation_id": installation.id}, 201)


async def control_signed_token(request: Request) -> Response:
    account = account_of(request)
    body = await json_body(request)
    user_id = body.get("user_id") if isinstance(body, dict) else None
    if not isinstance(user_id, int) or account.users.by_id.get(user_id) is None:
        raise BadRequest("invalid", "user_id must name a user of the account")
    token = account.apps.signed_token(
        int(request.path_params["installation_id"]), subdomain=account.config.subdomain,
        user_id=user_id, location=str(body.get("location", "ticket_sidebar")), now=account.now(),
    )
    return json_response({"token": token})


def app_routes() -> list[Route]:
    """The Apps API routes zdcal reads."""
    assert APP_KEY_PER_APP
    return [
        Route("/api/v2/apps/{app_id:int}/public_key.pem", public_key, methods=["GET"]),
        Route("/api/v2/apps/installations/{installation_id:int}.json", show_installation,
              methods=["GET"]),
        Route("/api/v2/apps/installations/{installation_id:int}", show_installation,
              methods=["GET"]),
    ]


def app_control_routes() -> list[Route]:
    """Installing an app and minting the JWT Zendesk would POST to it."""
    return [
        Route("/_sandbox/apps", control_install, methods=["POST"]),
        Route("/_sandbox/apps/installations/{installation_id:int}/signed_token",
              control_signed_token, methods=["POST"]),
    ]
