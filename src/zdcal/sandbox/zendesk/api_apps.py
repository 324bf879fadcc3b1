"""Routes of the Apps API zdcal reads (an app's public key, an installation) and the
control API that installs an app and mints the JWT Zendesk would POST to it: Zendesk
mints those tokens itself, so a test (or a local stand-in for Zendesk's agent page)
asks the simulator for one to frame the app."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from zdcal.sandbox.zendesk.app_host import app_host_page
from zdcal.sandbox.zendesk.assumptions import APP_KEY_PER_APP
from zdcal.sandbox.zendesk.errors import BadRequest, RecordNotFound
from zdcal.sandbox.zendesk.http_common import account_of, json_body, json_response, principal


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
    if not isinstance(body, dict) or not all(
        isinstance(body.get(part, {}), dict) for part in ("settings", "locations")
    ):
        raise BadRequest("invalid", "send {\"name\", \"settings\": {..}, \"locations\": {..}}")
    installation = account_of(request).apps.install(
        str(body.get("name", "zdcal")), body.get("settings", {}),
        {str(k): str(v) for k, v in body.get("locations", {}).items()},
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
        Route("/agent/apps/{installation_id:int}", app_host_page, methods=["GET"]),
        Route("/_sandbox/apps/installations/{installation_id:int}/signed_token",
              control_signed_token, methods=["POST"]),
    ]
