"""The simulated Cronofy API (``/v1/...``): account, calendars, events, batch, channels."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from zdcal.sandbox.cronofy import assumptions as a
from zdcal.sandbox.cronofy.authentication import Caller, authenticate
from zdcal.sandbox.cronofy.errors import (
    CronofyApiError,
    FieldErrors,
    ResourceNotFound,
    UnprocessableRequest,
)
from zdcal.sandbox.cronofy.event_query import parse_event_query, render_event, select_events
from zdcal.sandbox.cronofy.managed_events import delete_event, upsert_event
from zdcal.sandbox.cronofy.model import Account, Calendar, Channel
from zdcal.sandbox.cronofy.request_bodies import json_body, public_url
from zdcal.sandbox.cronofy.simulator import CronofySimulator
from zdcal.sandbox.cronofy.store import new_id

EVENTS_TEMPLATE = "/v1/calendars/{calendar_id}/events"
_EVENTS_URL = re.compile(r"^/v1/calendars/(?P<calendar_id>[^/?#]+)/events$")


def calendar_json(account: Account, calendar: Calendar) -> dict[str, Any]:
    """A calendar as ``GET /v1/calendars`` lists it."""
    return {
        "provider_name": account.provider_name,
        "profile_id": account.profile_id,
        "profile_name": account.profile_name,
        "calendar_id": calendar.calendar_id,
        "calendar_name": calendar.name,
        "calendar_readonly": calendar.readonly,
        "calendar_deleted": calendar.deleted,
        "calendar_primary": calendar.primary,
        "calendar_integrated_conferencing_available": False,
        "calendar_attachments_available": False,
        "permission_level": a.PERMISSION_LEVEL,
    }


class CronofyApi:
    """Route handlers for the API host."""

    def __init__(self, sim: CronofySimulator) -> None:
        self.sim = sim

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v1/account", self.account, methods=["GET"]),
            Route("/v1/userinfo", self.userinfo, methods=["GET"]),
            Route("/v1/profiles", self.profiles, methods=["GET"]),
            Route("/v1/calendars", self.calendars, methods=["GET"]),
            Route(EVENTS_TEMPLATE, self.upsert, methods=["POST"]),
            Route(EVENTS_TEMPLATE, self.delete, methods=["DELETE"]),
            Route("/v1/events", self.read_events, methods=["GET"]),
            Route("/v1/events/pages/{page_token}", self.read_events_page, methods=["GET"]),
            Route("/v1/batch", self.batch, methods=["POST"]),
            Route("/v1/channels", self.create_channel, methods=["POST"]),
            Route("/v1/channels", self.list_channels, methods=["GET"]),
            Route("/v1/channels/{channel_id}", self.close_channel, methods=["DELETE"]),
        ]

    def _caller(self, request: Request, scope: str | None, *, lockable: bool = False) -> Caller:
        return authenticate(
            request, self.sim.state, self.sim.now(), scope, refused_when_locked=lockable
        )

    # --- account -------------------------------------------------------------------------
    async def account(self, request: Request) -> Response:
        caller = self._caller(request, "read_account")
        account = caller.account
        return JSONResponse(
            {
                "account": {
                    "account_id": account.account_id,
                    "email": account.email,
                    "name": account.name,
                    "scope": caller.grant.scope,
                    "default_tzid": account.default_tzid,
                }
            }
        )

    def _profile(self, account: Account) -> dict[str, Any]:
        return {
            "provider_name": account.provider_name,
            "profile_id": account.profile_id,
            "profile_name": account.profile_name,
            "profile_connected": not account.locked,
        }

    async def userinfo(self, request: Request) -> Response:
        caller = self._caller(request, a.SCOPE_FOR_USERINFO)
        account = caller.account
        calendars = [calendar_json(account, c) for c in self.sim.state.calendars_of(account)]
        return JSONResponse(
            {
                "sub": account.account_id,
                "cronofy.type": "userinfo",
                "email": account.email,
                "name": account.name,
                "zoneinfo": account.default_tzid,
                "cronofy.data": {
                    "authorization": {"scope": caller.grant.scope},
                    "profiles": [{**self._profile(account), "profile_calendars": calendars}],
                },
            }
        )

    async def profiles(self, request: Request) -> Response:
        caller = self._caller(request, a.SCOPE_FOR_PROFILES)
        return JSONResponse({"profiles": [self._profile(caller.account)]})

    async def calendars(self, request: Request) -> Response:
        caller = self._caller(request, "list_calendars", lockable=True)
        account = caller.account
        listed = [calendar_json(account, c) for c in self.sim.state.calendars_of(account)]
        return JSONResponse({"calendars": listed})

    # --- managed events --------------------------------------------------------------------
    async def upsert(self, request: Request) -> Response:
        return await self._write_event(request, "create_event", upsert_event)

    async def delete(self, request: Request) -> Response:
        return await self._write_event(request, "delete_event", delete_event)

    async def _write_event(
        self, request: Request, scope: str, write: Callable[..., object]
    ) -> Response:
        caller = self._caller(request, scope, lockable=True)
        body = await json_body(request)
        calendar_id = request.path_params["calendar_id"]
        write(self.sim.state, caller.account, calendar_id, body, self.sim.now())
        return Response(status_code=202)

    # --- read events ------------------------------------------------------------------------
    async def read_events(self, request: Request) -> Response:
        caller = self._caller(request, "read_events", lockable=True)
        query = parse_event_query(request.query_params, self.sim.now())
        events = select_events(self.sim.state, caller.account, query)
        rendered = [render_event(event, caller.account) for event in events]
        page, next_token = self.sim.pages.first_page(caller.account.account_id, rendered)
        return self._page_response(request, page, next_token)

    async def read_events_page(self, request: Request) -> Response:
        caller = self._caller(request, "read_events", lockable=True)
        token = request.path_params["page_token"]
        page, next_token = self.sim.pages.page(caller.account.account_id, token)
        return self._page_response(request, page, next_token)

    def _page_response(
        self, request: Request, page: dict[str, Any], next_token: str | None
    ) -> Response:
        if next_token is not None:
            page["pages"]["next_page"] = public_url(request, f"/v1/events/pages/{next_token}")
        elif self.sim.behaviour.last_page_next_page == "empty":
            page["pages"]["next_page"] = ""
        return JSONResponse(page)

    # --- batch --------------------------------------------------------------------------------
    async def batch(self, request: Request) -> Response:
        # Authentication applies to the whole request; scopes are checked per entry.
        caller = self._caller(request, None, lockable=True)
        body = await json_body(request)
        entries = body.get("batch") if isinstance(body, dict) else None
        if not isinstance(entries, list) or not 1 <= len(entries) <= a.BATCH_MAX_ENTRIES:
            errors = FieldErrors()
            errors.add(
                "batch", a.ERROR_INVALID, f"batch must list 1 to {a.BATCH_MAX_ENTRIES} entries"
            )
            errors.raise_if_any()
        results = [self._batch_entry(request, caller, entry) for entry in entries or []]
        return JSONResponse({"batch": results}, status_code=207)

    def _batch_entry(self, request: Request, caller: Caller, entry: object) -> dict[str, Any]:
        method, status = "?", 202
        result: dict[str, Any] = {"status": 202}
        try:
            if not isinstance(entry, dict):
                raise UnprocessableRequest(
                    {"entry": [{"key": a.ERROR_INVALID_TYPE, "description": "must be an object"}]}
                )
            method = str(entry.get("method", "")).upper()
            match = _EVENTS_URL.match(str(entry.get("relative_url", "")))
            if match is None or method not in ("POST", "DELETE"):
                raise UnprocessableRequest(
                    {
                        "relative_url": [
                            {
                                "key": a.ERROR_INVALID,
                                "description": f"batch supports POST and DELETE {EVENTS_TEMPLATE}",
                            }
                        ]
                    }
                )
            calendar_id, data = match["calendar_id"], entry.get("data")
            operation = upsert_event if method == "POST" else delete_event
            scope = "create_event" if method == "POST" else "delete_event"
            self._caller(request, scope, lockable=True)
            operation(self.sim.state, caller.account, calendar_id, data, self.sim.now())
        except CronofyApiError as exc:
            status = exc.status
            result = {"status": status, **({"data": exc.body} if exc.body else {})}
        self.sim.stats.record_batch_entry(method, EVENTS_TEMPLATE, status)
        return result

    # --- channels -------------------------------------------------------------------------------
    async def create_channel(self, request: Request) -> Response:
        caller = self._caller(request, a.SCOPE_FOR_CHANNELS)
        body = await json_body(request)
        channel = self._valid_channel(caller.account, body if isinstance(body, dict) else {})
        self.sim.state.channels[channel.channel_id] = channel
        self.sim.notifier.send(channel, {"type": "verification"})
        return JSONResponse({"channel": channel.to_json()})

    def _valid_channel(self, account: Account, body: dict[str, Any]) -> Channel:
        errors = FieldErrors()
        url = body.get("callback_url")
        parts = urlsplit(url) if isinstance(url, str) else None
        if not url:
            errors.add("callback_url", a.ERROR_REQUIRED, "callback_url must be specified")
        elif parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            errors.add("callback_url", a.ERROR_INVALID, "callback_url must be an http(s) URL")
        filters = body.get("filters") or {}
        if not isinstance(filters, dict):
            errors.add("filters", a.ERROR_INVALID_TYPE, "filters must be an object")
            filters = {}
        calendar_ids = filters.get("calendar_ids")
        if calendar_ids is not None and (
            not isinstance(calendar_ids, list)
            or not calendar_ids
            or not set(calendar_ids) <= set(account.calendar_ids)
        ):
            errors.add(
                "filters.calendar_ids",
                a.ERROR_INVALID,
                "calendar_ids must list at least one of the account's calendars",
            )
        only_managed = filters.get("only_managed")
        if only_managed is not None and not isinstance(only_managed, bool):
            errors.add("filters.only_managed", a.ERROR_INVALID_TYPE, "must be a boolean")
        if len(self.sim.state.channels_of(account.account_id)) >= a.CHANNELS_PER_ACCOUNT:
            errors.add("base", a.ERROR_TOO_MANY, f"at most {a.CHANNELS_PER_ACCOUNT} channels")
        errors.raise_if_any()
        kept = {k: filters[k] for k in ("calendar_ids", "only_managed") if k in filters}
        return Channel(new_id("chn_"), account.account_id, str(url), kept)

    async def list_channels(self, request: Request) -> Response:
        caller = self._caller(request, a.SCOPE_FOR_CHANNELS)
        channels = self.sim.state.channels_of(caller.account.account_id)
        return JSONResponse({"channels": [c.to_json() for c in channels]})

    async def close_channel(self, request: Request) -> Response:
        caller = self._caller(request, a.SCOPE_FOR_CHANNELS)
        channel = self.sim.state.channels.get(request.path_params["channel_id"])
        if channel is None or channel.account_id != caller.account.account_id:
            raise ResourceNotFound("unknown channel")
        del self.sim.state.channels[channel.channel_id]
        return Response(status_code=202)
