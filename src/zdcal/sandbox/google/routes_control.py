"""The control API (``/_sandbox``): reset, expire sync tokens, revoke a user. No auth."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from zdcal.sandbox.faults import CONTROL_PREFIX
from zdcal.sandbox.google.simulator import GoogleSimulator


class GoogleControl:
    def __init__(self, sim: GoogleSimulator) -> None:
        self.sim = sim

    def routes(self) -> list[BaseRoute]:
        return [
            Route(CONTROL_PREFIX + "/reset", self.reset, methods=["POST"]),
            Route(CONTROL_PREFIX + "/sync-tokens/expire", self.expire_sync_tokens,
                  methods=["POST"]),
            Route(CONTROL_PREFIX + "/users/{email}/revoke", self.revoke_user, methods=["POST"]),
        ]

    async def reset(self, _: Request) -> Response:
        self.sim.reset()
        return JSONResponse({"reset": True})

    async def expire_sync_tokens(self, _: Request) -> Response:
        """Every sync and page token issued so far answers 410/400 from now on."""
        with self.sim.state.lock:
            self.sim.state.invalidate_sync_tokens()
        return JSONResponse({"expired": True})

    async def revoke_user(self, request: Request) -> Response:
        """The user removes the app's access (Google account settings): tokens die."""
        with self.sim.state.lock:
            grant = self.sim.state.grant_for(request.path_params["email"])
            if grant is None:
                return JSONResponse({"error": "no live grant for this user"}, 404)
            self.sim.state.revoke(grant)
        return JSONResponse({"revoked": True})
