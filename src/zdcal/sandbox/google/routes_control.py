"""The control API (``/_sandbox``): reset, expire sync tokens, revoke a user, and act as the
user in Google Calendar (look at, move or delete an event); add users and mint their tokens
without the consent page; quotas, faults, clock, channels, push log and request counters at
run time. No auth; never faulted, never counted. docs/sandbox.md lists the routes."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from zdcal.sandbox.control_routes import FaultControl, problem, read_json
from zdcal.sandbox.faults import CONTROL_PREFIX, ScriptedFailure
from zdcal.sandbox.google import assumptions
from zdcal.sandbox.google.config import parse_users
from zdcal.sandbox.google.errors import GoogleApiError, injected_error
from zdcal.sandbox.google.event_changes import cancel_event, change_event
from zdcal.sandbox.google.model import StoredEvent
from zdcal.sandbox.google.push import Channel
from zdcal.sandbox.google.rendering import render_event, rfc3339
from zdcal.sandbox.google.routes_oauth import token_answer
from zdcal.sandbox.google.simulator import GoogleSimulator

EVENTS = CONTROL_PREFIX + "/calendars/{calendar_id}/events"
LINK_SCOPES = (
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
)
"""What a minted token pair carries unless asked otherwise: what zdcal asks for."""


def _channel_json(channel: Channel) -> dict[str, Any]:
    return {
        "id": channel.channel_id, "resourceId": channel.resource_id,
        "calendarId": channel.calendar_id, "user": channel.email, "address": channel.address,
        "expiration": rfc3339(channel.expiration), "messageNumber": channel.message_number,
    }


def _answerable(failure: ScriptedFailure) -> None:
    """A scripted failure must name a reason Google sends (a ValueError otherwise)."""
    injected_error(failure.status, failure.reason)


class GoogleControl:
    def __init__(self, sim: GoogleSimulator) -> None:
        self.sim = sim

    def routes(self) -> list[BaseRoute]:
        return [
            Route(CONTROL_PREFIX + "/reset", self.reset, methods=["POST"]),
            Route(CONTROL_PREFIX + "/sync-tokens/expire", self.expire_sync_tokens,
                  methods=["POST"]),
            Route(CONTROL_PREFIX + "/users/{email}/revoke", self.revoke_user, methods=["POST"]),
            Route(CONTROL_PREFIX + "/users", self.users, methods=["GET", "POST"]),
            Route(CONTROL_PREFIX + "/users/{email}/tokens", self.mint_tokens, methods=["POST"]),
            Route(CONTROL_PREFIX + "/quotas", self.quotas, methods=["GET", "PUT"]),
            *FaultControl(self.sim, rfc3339, check_failure=_answerable,
                          reasons=assumptions.FAULT_REASONS).routes(),
            Route(CONTROL_PREFIX + "/channels", self.channels, methods=["GET"]),
            Route(CONTROL_PREFIX + "/channels/{channel_id}/expire", self.expire_channel,
                  methods=["POST"]),
            Route(CONTROL_PREFIX + "/notifications", self.notifications, methods=["GET"]),
            Route(CONTROL_PREFIX + "/stats", self.stats, methods=["GET"]),
            Route(CONTROL_PREFIX + "/stats/reset", self.reset_stats, methods=["POST"]),
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

    async def users(self, request: Request) -> Response:
        """GET: every user and their calendar ids. POST ``{"users": [...]}``: add users (with
        calendars) at run time; all or none (a known email or a bad entry changes nothing)."""
        state = self.sim.state
        if request.method == "POST":
            try:
                users = parse_users(await read_json(request))
            except ValueError as exc:
                return problem(str(exc))
            with state.lock:
                emails = [u.email for u in users]
                taken = [e for e in emails if e in state.calendar_lists]
                if taken or len(set(emails)) < len(emails):
                    return problem(f"users already exist or repeat: {taken or emails}")
                for user in users:
                    state.add_user(user)
        with state.lock:
            listed = {email: list(ids) for email, ids in state.calendar_lists.items()}
        return JSONResponse({"users": [{"email": e, "calendars": c} for e, c in listed.items()]})

    async def mint_tokens(self, request: Request) -> Response:
        """A token pair for the user without the consent page, as if they had consented
        (offline) to ``scopes`` (default: what zdcal asks for). For tests and benchmarks that
        link accounts by tokens; answered in the token endpoint's shape."""
        body = await read_json(request)
        scopes = body.get("scopes", list(LINK_SCOPES)) if isinstance(body, dict) else None
        if not isinstance(scopes, list) or not scopes or not all(
            isinstance(s, str) and s for s in scopes
        ):
            return problem('give {"scopes": ["https://www.googleapis.com/auth/...", ...]}')
        email = request.path_params["email"]
        state = self.sim.state
        with state.lock:
            if email not in state.calendar_lists:
                return problem("no such user", 404)
            grant = state.grant_for(email)
            if grant is None:
                grant = state.new_grant(email, frozenset(scopes))
            else:
                grant.scopes = grant.scopes | frozenset(scopes)
            refresh = state.issue_refresh_token(grant)
            return JSONResponse(token_answer(self.sim, grant, refresh))

    async def quotas(self, request: Request) -> Response:
        """GET or PUT the per-minute quota figures (``requests_per_minute_per_user``,
        ``requests_per_minute_per_project``, ``quota_status`` 403 or 429)."""
        if request.method == "PUT":
            body = await read_json(request)
            if not isinstance(body, dict):
                return problem("quotas are a JSON object of figure names to numbers")
            try:
                with self.sim.state.lock:
                    self.sim.set_quotas(body)
            except ValueError as exc:
                return problem(str(exc))
        return JSONResponse(self.sim.quota_figures)

    async def channels(self, _: Request) -> Response:
        """Live channels (expired ones are dropped as they are found)."""
        now = self.sim.now()
        with self.sim.state.lock:
            found = [c for c in self.sim.state.channels.values() if c.live(now)]
            return JSONResponse({"channels": [_channel_json(c) for c in found]})

    async def expire_channel(self, request: Request) -> Response:
        """The channel reaches its ``expiration`` now: no delivery from now on (retries of
        earlier messages included), and channels.stop answers 404 for it."""
        with self.sim.state.lock:
            channel = self.sim.state.channels.pop(request.path_params["channel_id"], None)
            if channel is None:
                return problem("no such channel", 404)
            channel.expiration = min(channel.expiration, self.sim.now())
            channel.stopped = True
            return JSONResponse(_channel_json(channel))

    async def notifications(self, _: Request) -> Response:
        """Every delivery attempt (the last ``assumptions.PUSH_LOG_LIMIT``), oldest first."""
        return JSONResponse(
            {"pending": self.sim.push.pending, "deliveries": self.sim.push.entries()}
        )

    async def stats(self, _: Request) -> Response:
        return JSONResponse(self.sim.stats.snapshot())

    async def reset_stats(self, _: Request) -> Response:
        self.sim.stats.reset()
        return JSONResponse(self.sim.stats.snapshot())

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
