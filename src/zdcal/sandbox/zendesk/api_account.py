"""Routes of the Account Settings API: only what the account's localization says."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from zdcal.sandbox.zendesk.assumptions import ACCOUNT_LOCALE_IDS
from zdcal.sandbox.zendesk.http_common import account_of, json_response, principal, routes
from zdcal.sandbox.zendesk.rails_time_zones import rails_time_zone_name


async def show_settings(request: Request) -> Response:
    # Zendesk: "Allowed for agents". No resource scope names account settings: OAuth needs `read`.
    principal(request, "account", write=False, roles=("agent", "admin"))
    zone = account_of(request).config.time_zone
    localization = {
        "locale_ids": list(ACCOUNT_LOCALE_IDS),
        "time_zone": rails_time_zone_name(zone),
        "iana_time_zone": zone,
    }
    return json_response({"settings": {"localization": localization}})


def account_routes() -> list[Route]:
    """Every Account Settings API route."""
    return routes("/api/v2/account/settings", show_settings, ["GET"])
