"""The control API (``/_sandbox``): reset, users and tokens, act as the user in Outlook (look at,
move or delete an event), faults, request stats, lifecycle events, delta-token expiry. No auth."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from zdcal.sandbox.faults import CONTROL_PREFIX
from zdcal.sandbox.microsoft.config import SeedCalendar, SeedUser
from zdcal.sandbox.microsoft.errors import GraphError
from zdcal.sandbox.microsoft.rendering import graph_time, render_event
from zdcal.sandbox.microsoft.routes_api import delete_event, patch_event
from zdcal.sandbox.microsoft.routes_oauth import graph_scopes
from zdcal.sandbox.microsoft.simulator import MicrosoftSimulator

LIFECYCLE_EVENTS = ("reauthorizationRequired", "subscriptionRemoved", "missed")


async def _json(request: Request) -> dict[str, Any] | None:
    try:
        body: Any = json.loads(await request.body() or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _refuse(message: str, status: int = 400) -> Response:
    return JSONResponse({"error": message}, status)


class MicrosoftControl:
    def __init__(self, sim: MicrosoftSimulator) -> None:
        self.sim = sim

    def routes(self) -> list[BaseRoute]:
        c = CONTROL_PREFIX
        return [
            Route(c + "/reset", self.reset, methods=["POST"]),
            Route(c + "/users", self.add_user, methods=["POST"]),
            Route(c + "/users/{email}/revoke", self.revoke, methods=["POST"]),
            Route(c + "/users/{email}/tokens", self.tokens, methods=["POST"]),
            Route(c + "/users/{email}/events", self.events, methods=["GET"]),
            Route(c + "/events/{event_id}", self.user_edit, methods=["PATCH"]),
            Route(c + "/events/{event_id}", self.user_delete, methods=["DELETE"]),
            Route(c + "/faults", self.faults, methods=["GET", "POST"]),
            Route(c + "/stats", self.stats, methods=["GET"]),
            Route(c + "/subscriptions/{subscription_id}/lifecycle", self.lifecycle,
                  methods=["POST"]),
            Route(c + "/delta-tokens/expire", self.expire_delta_tokens, methods=["POST"]),
        ]

    async def reset(self, _: Request) -> Response:
        self.sim.reset()
        return JSONResponse({"reset": True})

    async def add_user(self, request: Request) -> Response:
        """``{"email", "displayName", "calendars": [{"name", "canEdit", "owner"}]}``."""
        body = await _json(request)
        if body is None or not isinstance(body.get("email"), str):
            return _refuse("a JSON object with at least an email is required")
        calendars = tuple(
            SeedCalendar(str(c.get("name", "Calendar")), bool(c.get("canEdit", True)),
                         c.get("owner")) for c in body.get("calendars", [{}])
            if isinstance(c, dict)
        )
        try:
            with self.sim.state.lock:
                user = self.sim.state.add_user(SeedUser(
                    body["email"], str(body.get("displayName", body["email"])), calendars))
                ids = [c.calendar_id for c in self.sim.state.calendars_of(user.user_id)]
        except ValueError as exc:
            return _refuse(str(exc), 409)
        return JSONResponse({"id": user.user_id, "calendars": ids}, 201)

    async def revoke(self, request: Request) -> Response:
        """The user (or an admin) revokes the app's access: every token dies."""
        with self.sim.state.lock:
            user = self.sim.state.user_by_email(request.path_params["email"])
            grant = self.sim.state.grant_for(user.user_id) if user else None
            if grant is None:
                return _refuse("no live grant for this user", 404)
            self.sim.state.revoke(grant)
        return JSONResponse({"revoked": True})

    async def tokens(self, request: Request) -> Response:
        """Tokens as after a consent, without the browser: ``{"scope": "..."}``."""
        body = await _json(request) or {}
        scope = str(body.get("scope", "offline_access Calendars.ReadWrite User.Read"))
        with self.sim.state.lock:
            user = self.sim.state.user_by_email(request.path_params["email"])
            if user is None:
                return _refuse("no such user", 404)
            now, config = self.sim.now(), self.sim.config
            grant = self.sim.state.consent(user.user_id, graph_scopes(scope))
            answer = {
                "token_type": "Bearer", "scope": " ".join(sorted(grant.scopes)),
                "expires_in": config.access_token_ttl_seconds,
                "access_token": self.sim.state.issue_access_token(
                    grant, now + timedelta(seconds=config.access_token_ttl_seconds)),
            }
            if "offline_access" in scope.split():
                answer["refresh_token"] = self.sim.state.issue_refresh_token(
                    grant, now + timedelta(seconds=config.refresh_token_ttl_seconds))
        return JSONResponse(answer)

    async def events(self, request: Request) -> Response:
        """Every live event of the user, with its calendar id and extended properties."""
        with self.sim.state.lock:
            user = self.sim.state.user_by_email(request.path_params["email"])
            if user is None:
                return _refuse("no such user", 404)
            value = [
                {**render_event(e, user, expand="singleValueExtendedProperties"),
                 "calendarId": e.calendar_id}
                for e in self.sim.state.live_events(user.user_id, None)
            ]
        return JSONResponse({"value": value})

    async def user_edit(self, request: Request) -> Response:
        """The user edits the event in Outlook (PATCH semantics: move it, rename it)."""
        body = await _json(request)
        if body is None:
            return _refuse("a JSON object of event properties is required")
        with self.sim.state.lock:
            event = self.sim.state.events.get(request.path_params["event_id"])
            if event is None or event.deleted:
                return _refuse("no such live event", 404)
            try:
                changed = patch_event(self.sim, event, body)
            except GraphError as exc:
                return JSONResponse(exc.body(self.sim.now()), exc.status)
            user = self.sim.state.users[changed.user_id]
            return JSONResponse(render_event(changed, user))

    async def user_delete(self, request: Request) -> Response:
        with self.sim.state.lock:
            event = self.sim.state.events.get(request.path_params["event_id"])
            if event is None or event.deleted:
                return _refuse("no such live event", 404)
            delete_event(self.sim, event)
        return Response(status_code=204)

    async def faults(self, request: Request) -> Response:
        if request.method == "POST":
            body = await _json(request)
            if body is None:
                return _refuse("a JSON object of fault knobs is required")
            try:
                self.sim.injector.configure(body)
            except (ValueError, TypeError) as exc:
                return _refuse(str(exc))
        return JSONResponse(self.sim.injector.faults.as_dict())

    async def stats(self, _: Request) -> Response:
        """Requests admitted and throttled per mailbox (user id), and notification deliveries."""
        with self.sim.state.lock:
            deliveries = [vars(d) for d in self.sim.sender.delivered]
            return JSONResponse({"mailboxes": self.sim.throttle.as_dict(),
                                 "deliveries": deliveries,
                                 "pendingDeliveries": self.sim.sender.pending})

    async def lifecycle(self, request: Request) -> Response:
        """Send ``{"lifecycleEvent": ...}`` to the subscription's lifecycle URL;
        ``subscriptionRemoved`` also ends the subscription."""
        body = await _json(request) or {}
        kind = body.get("lifecycleEvent")
        if kind not in LIFECYCLE_EVENTS:
            return _refuse(f"lifecycleEvent must be one of {list(LIFECYCLE_EVENTS)}")
        with self.sim.state.lock:
            subscription = self.sim.state.subscriptions.get(
                request.path_params["subscription_id"])
            if subscription is None or subscription.lifecycle_url is None:
                return _refuse("no such subscription with a lifecycleNotificationUrl", 404)
            item: dict[str, Any] = {
                "subscriptionId": subscription.subscription_id,
                "subscriptionExpirationDateTime": graph_time(subscription.expiration),
                "tenantId": self.sim.config.tenant_id,
                "lifecycleEvent": kind,
            }
            if subscription.client_state is not None:
                item["clientState"] = subscription.client_state
            if kind == "subscriptionRemoved":
                del self.sim.state.subscriptions[subscription.subscription_id]
            self.sim.sender.send(subscription.lifecycle_url, "lifecycle", [item])
        return JSONResponse({"sent": item}, 202)

    async def expire_delta_tokens(self, _: Request) -> Response:
        with self.sim.state.lock:
            self.sim.state.invalidate_delta_tokens()
        return JSONResponse({"expired": True})
