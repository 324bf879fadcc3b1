"""The control API (``/_sandbox``): reset, expire sync tokens, revoke a user, and act as the
user in Google Calendar (look at, move or delete an event). No auth."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from zdcal.sandbox.faults import CONTROL_PREFIX
from zdcal.sandbox.google.errors import GoogleApiError
from zdcal.sandbox.google.event_changes import cancel_event, change_event
from zdcal.sandbox.google.model import StoredEvent
from zdcal.sandbox.google.rendering import render_event
from zdcal.sandbox.google.simulator import GoogleSimulator

EVENTS = CONTROL_PREFIX + "/calendars/{calendar_id}/events"


class GoogleControl:
    def __init__(self, sim: GoogleSimulator) -> None:
        self.sim = sim

    def routes(self) -> list[BaseRoute]:
        return [
            Route(CONTROL_PREFIX + "/reset", self.reset, methods=["POST"]),
            Route(CONTROL_PREFIX + "/sync-tokens/expire", self.expire_sync_tokens,
                  methods=["POST"]),
            Route(CONTROL_PREFIX + "/users/{email}/revoke", self.revoke_user, methods=["POST"]),
            Route(EVENTS, self.events, methods=["GET"]),
            Route(EVENTS + "/{event_id}", self.user_edit, methods=["PATCH"]),
            Route(EVENTS + "/{event_id}", self.user_delete, methods=["DELETE"]),
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

    async def events(self, request: Request) -> Response:
        """Every event of a calendar, cancelled ones too, as the API would show them."""
        calendar_id = request.path_params["calendar_id"]
        with self.sim.state.lock:
            calendar = self.sim.state.calendars.get(calendar_id)
            if calendar is None:
                return JSONResponse({"error": "no such calendar"}, 404)
            items = [render_event(e, calendar) for e in self.sim.state.events_of(calendar_id)]
        return JSONResponse({"items": items})

    async def user_edit(self, request: Request) -> Response:
        """The user edits the event in Google Calendar (patch semantics: move it, rename it)."""
        try:
            body: Any = json.loads(await request.body())
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return JSONResponse({"error": "a JSON object of Event fields is required"}, 400)
        with self.sim.state.lock:
            event = self._event(request)
            if event is None:
                return JSONResponse({"error": "no such event"}, 404)
            try:
                changed = change_event(self.sim.state, event, body, self.sim.now(), patch=True)
            except GoogleApiError as exc:
                return JSONResponse(exc.body(), exc.status)
            self.sim.notify(changed.calendar_id)
            calendar = self.sim.state.calendars[changed.calendar_id]
            return JSONResponse(render_event(changed, calendar))

    async def user_delete(self, request: Request) -> Response:
        """The user deletes the event in Google Calendar."""
        with self.sim.state.lock:
            event = self._event(request)
            if event is None or event.cancelled:
                return JSONResponse({"error": "no such live event"}, 404)
            cancel_event(self.sim.state, event, self.sim.now())
            self.sim.notify(event.calendar_id)
        return Response(status_code=204)

    def _event(self, request: Request) -> StoredEvent | None:
        key = (request.path_params["calendar_id"], request.path_params["event_id"])
        return self.sim.state.events.get(key)
