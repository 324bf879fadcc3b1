"""The control API (``/_sandbox``), shaped like the Google simulator's: reset, users and their
tokens without the consent page, revoke, act as the user in Outlook (look at, move or delete an
event), fault knobs and scripted failures, clock, request counters, the delivery log,
subscriptions and their lifecycle events, delta-token expiry. No auth; never faulted, never
counted. docs/sandbox.md lists the routes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from zdcal.sandbox.control_routes import FaultControl, problem, read_json
from zdcal.sandbox.faults import CONTROL_PREFIX
from zdcal.sandbox.microsoft.config import parse_users
from zdcal.sandbox.microsoft.errors import GraphError
from zdcal.sandbox.microsoft.rendering import graph_time, render_event, render_subscription
from zdcal.sandbox.microsoft.routes_api import delete_event, patch_event
from zdcal.sandbox.microsoft.routes_oauth import graph_scopes
from zdcal.sandbox.microsoft.simulator import MicrosoftSimulator

LIFECYCLE_EVENTS = ("reauthorizationRequired", "subscriptionRemoved", "missed")
LINK_SCOPES = ("offline_access", "Calendars.ReadWrite", "User.Read")
"""What a minted token pair carries unless asked otherwise: what zdcal asks for."""


class MicrosoftControl:
    def __init__(self, sim: MicrosoftSimulator) -> None:
        self.sim = sim

    def routes(self) -> list[BaseRoute]:
        c = CONTROL_PREFIX
        return [
            Route(c + "/reset", self.reset, methods=["POST"]),
            Route(c + "/users", self.users, methods=["GET", "POST"]),
            Route(c + "/users/{email}/revoke", self.revoke, methods=["POST"]),
            Route(c + "/users/{email}/tokens", self.tokens, methods=["POST"]),
            Route(c + "/users/{email}/events", self.events, methods=["GET"]),
            Route(c + "/events/{event_id}", self.user_edit, methods=["PATCH"]),
            Route(c + "/events/{event_id}", self.user_delete, methods=["DELETE"]),
            *FaultControl(self.sim, graph_time).routes(),
            Route(c + "/stats", self.stats, methods=["GET"]),
            Route(c + "/stats/reset", self.reset_stats, methods=["POST"]),
            Route(c + "/notifications", self.notifications, methods=["GET"]),
            Route(c + "/subscriptions", self.subscriptions, methods=["GET"]),
            Route(c + "/subscriptions/{subscription_id}/lifecycle", self.lifecycle,
                  methods=["POST"]),
            Route(c + "/delta-tokens/expire", self.expire_delta_tokens, methods=["POST"]),
        ]

    async def reset(self, _: Request) -> Response:
        self.sim.reset()
        return JSONResponse({"reset": True})

    async def users(self, request: Request) -> Response:
        """GET: every user, their id and calendar ids. POST ``{"users": [...]}`` (see
        ``parse_users``): add users at run time; all or none."""
        state = self.sim.state
        if request.method == "POST":
            try:
                users = parse_users(await read_json(request))
            except ValueError as exc:
                return problem(str(exc))
            with state.lock:
                emails = [u.email.lower() for u in users]
                taken = [e for e in emails if state.user_by_email(e) is not None]
                if taken or len(set(emails)) < len(emails):
                    return problem(f"users already exist or repeat: {taken or emails}", 409)
                for user in users:
                    state.add_user(user)
        with state.lock:
            listed = [{"email": u.email, "id": u.user_id, "calendars": [
                c.calendar_id for c in state.calendars_of(u.user_id)]}
                for u in state.users.values()]
        return JSONResponse({"users": listed})

    async def revoke(self, request: Request) -> Response:
        """The user (or an admin) revokes the app's access: every token dies."""
        with self.sim.state.lock:
            user = self.sim.state.user_by_email(request.path_params["email"])
            grant = self.sim.state.grant_for(user.user_id) if user else None
            if grant is None:
                return problem("no live grant for this user", 404)
            self.sim.state.revoke(grant)
        return JSONResponse({"revoked": True})

    async def tokens(self, request: Request) -> Response:
        """A token pair as after a consent, without the browser: ``{"scopes": [...]}``
        (default: what zdcal asks for), answered in the token endpoint's shape."""
        body = await read_json(request)
        scopes = body.get("scopes", list(LINK_SCOPES)) if isinstance(body, dict) else None
        if not isinstance(scopes, list) or not scopes or not all(
            isinstance(s, str) and s for s in scopes
        ):
            return problem('give {"scopes": ["Calendars.ReadWrite", ...]}')
        with self.sim.state.lock:
            user = self.sim.state.user_by_email(request.path_params["email"])
            if user is None:
                return problem("no such user", 404)
            now, config = self.sim.now(), self.sim.config
            grant = self.sim.state.consent(user.user_id, graph_scopes(" ".join(scopes)))
            answer = {
                "token_type": "Bearer", "scope": " ".join(sorted(grant.scopes)),
                "expires_in": config.access_token_ttl_seconds,
                "access_token": self.sim.state.issue_access_token(
                    grant, now + timedelta(seconds=config.access_token_ttl_seconds)),
            }
            if "offline_access" in scopes:
                answer["refresh_token"] = self.sim.state.issue_refresh_token(
                    grant, now + timedelta(seconds=config.refresh_token_ttl_seconds))
        return JSONResponse(answer)

    async def events(self, request: Request) -> Response:
        """Every live event of the user, with its calendar id and extended properties."""
        with self.sim.state.lock:
            user = self.sim.state.user_by_email(request.path_params["email"])
            if user is None:
                return problem("no such user", 404)
            value = [
                {**render_event(e, user, expand="singleValueExtendedProperties"),
                 "calendarId": e.calendar_id}
                for e in self.sim.state.live_events(user.user_id, None)
            ]
        return JSONResponse({"value": value})

    async def user_edit(self, request: Request) -> Response:
        """The user edits the event in Outlook (PATCH semantics: move it, rename it)."""
        body = await read_json(request)
        if not isinstance(body, dict):
            return problem("a JSON object of event properties is required")
        with self.sim.state.lock:
            event = self.sim.state.events.get(request.path_params["event_id"])
            if event is None or event.deleted:
                return problem("no such live event", 404)
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
                return problem("no such live event", 404)
            delete_event(self.sim, event)
        return Response(status_code=204)

    async def stats(self, _: Request) -> Response:
        """Graph requests by route and status (``$batch`` inner ones apart), injected faults,
        and per mailbox (user id): admitted, throttled, peak concurrency."""
        with self.sim.state.lock:
            return JSONResponse(self.sim.stats_snapshot())

    async def reset_stats(self, _: Request) -> Response:
        with self.sim.state.lock:
            self.sim.stats.reset()
            self.sim.throttle.stats.clear()
            return JSONResponse(self.sim.stats_snapshot())

    async def notifications(self, _: Request) -> Response:
        """Every delivery attempt (validation handshakes, changes, lifecycle), oldest first."""
        return JSONResponse({"pending": self.sim.sender.pending,
                             "deliveries": [vars(d) for d in self.sim.sender.delivered]})

    async def subscriptions(self, _: Request) -> Response:
        """Every live subscription, of every user."""
        now = self.sim.now()
        with self.sim.state.lock:
            live = [render_subscription(s, self.sim.config.client_id)
                    for s in self.sim.state.subscriptions.values() if s.expiration > now]
        return JSONResponse({"subscriptions": live})

    async def lifecycle(self, request: Request) -> Response:
        """Send ``{"lifecycleEvent": ...}`` to the subscription's lifecycle URL;
        ``subscriptionRemoved`` also ends the subscription."""
        body = await read_json(request)
        kind = body.get("lifecycleEvent") if isinstance(body, dict) else None
        if kind not in LIFECYCLE_EVENTS:
            return problem(f"lifecycleEvent must be one of {list(LIFECYCLE_EVENTS)}")
        with self.sim.state.lock:
            subscription = self.sim.state.subscriptions.get(
                request.path_params["subscription_id"])
            if subscription is None or subscription.lifecycle_url is None:
                return problem("no such subscription with a lifecycleNotificationUrl", 404)
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
