"""Calendar API v3 under ``/calendar/v3``: calendarList.list and the events methods."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from zdcal.sandbox.google import assumptions
from zdcal.sandbox.google.errors import GoogleApiError, invalid, not_found
from zdcal.sandbox.google.event_body import check_event_id, validate, writable_fields
from zdcal.sandbox.google.event_changes import cancel_event, change_event
from zdcal.sandbox.google.event_filters import EventFilter, parse_rfc3339
from zdcal.sandbox.google.model import Calendar, Grant, StoredEvent
from zdcal.sandbox.google.rendering import (
    event_etag,
    render_calendar_entry,
    render_event,
    rfc3339,
)
from zdcal.sandbox.google.simulator import GoogleSimulator
from zdcal.sandbox.google.store import new_event_id
from zdcal.sandbox.google.tokens import Cursor

PREFIX = "/calendar/v3"


async def json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise GoogleApiError(400, "parseError", "Parse Error") from None
    if not isinstance(body, dict):
        raise GoogleApiError(400, "parseError", "Parse Error")
    return body


def _max_results(request: Request, default: int, cap: int) -> int:
    raw = request.query_params.get("maxResults")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(f"Invalid value '{raw}'. Values must match the following regular "
                      "expression: '[0-9]+'", "maxResults") from None
    if value < 1:
        raise invalid("Invalid value for maxResults.", "maxResults")
    return min(value, cap)


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "false").lower() == "true"


class GoogleCalendarApi:
    def __init__(self, sim: GoogleSimulator) -> None:
        self.sim = sim

    def routes(self) -> list[BaseRoute]:
        events = PREFIX + "/calendars/{calendar_id}/events"
        return [
            Route(PREFIX + "/users/me/calendarList", self.calendar_list, methods=["GET"]),
            Route(events, self.list_events, methods=["GET"]),
            Route(events, self.insert, methods=["POST"]),
            Route(events + "/{event_id}", self.get, methods=["GET"]),
            Route(events + "/{event_id}", self.update, methods=["PUT"]),
            Route(events + "/{event_id}", self.patch, methods=["PATCH"]),
            Route(events + "/{event_id}", self.delete, methods=["DELETE"]),
        ]

    # --- helpers -----------------------------------------------------------------------------
    def _calendar(self, grant: Grant, request: Request, *, write: bool = False) -> Calendar:
        calendar = self.sim.state.calendar_of(grant.email, request.path_params["calendar_id"])
        if calendar is None:
            raise not_found()
        if write and calendar.access_role not in assumptions.WRITE_ACCESS_ROLES:
            raise GoogleApiError(403, "forbidden", "Forbidden")
        return calendar

    def _event(self, calendar: Calendar, request: Request) -> StoredEvent:
        event = self.sim.state.events.get((calendar.calendar_id, request.path_params["event_id"]))
        if event is None:
            raise not_found()
        return event

    def _check_if_match(self, event: StoredEvent, request: Request) -> None:
        wanted = request.headers.get("if-match")
        if wanted is not None and wanted not in ("*", event_etag(event)):
            raise GoogleApiError(412, "conditionNotMet", "Precondition Failed",
                                 location="If-Match", location_type="header")

    # --- calendarList --------------------------------------------------------------------------
    async def calendar_list(self, request: Request) -> Response:
        with self.sim.state.lock:
            grant = self.sim.authenticate(request, assumptions.CALENDAR_LIST_SCOPES)
            ids = self.sim.state.calendar_lists[grant.email]
            sync_token = request.query_params.get("syncToken")
            current_token = f"cl-{self.sim.state.generation}"
            if sync_token is not None:
                # Calendars never change in the simulator: a live token sees no delta.
                if sync_token != current_token:
                    raise GoogleApiError(410, assumptions.FULL_SYNC_REQUIRED_REASON,
                                         assumptions.FULL_SYNC_REQUIRED_MESSAGE,
                                         domain="calendar")
                ids = []
            size = _max_results(request, assumptions.CALENDAR_LIST_MAX_RESULTS_DEFAULT,
                                assumptions.CALENDAR_LIST_MAX_RESULTS_CAP)
            offset = _offset_token(request.query_params.get("pageToken"), len(ids))
            page = ids[offset:offset + size]
            body: dict[str, Any] = {
                "kind": "calendar#calendarList",
                "etag": f'"p{self.sim.state.change_no}"',
                "items": [render_calendar_entry(self.sim.state.calendars[i]) for i in page],
            }
            if offset + size < len(ids):
                body["nextPageToken"] = str(offset + size)
            else:
                body["nextSyncToken"] = current_token
            return JSONResponse(body)

    # --- events: single ------------------------------------------------------------------------
    async def insert(self, request: Request) -> Response:
        body = await json_object(request)
        with self.sim.state.lock:
            grant = self.sim.authenticate(request, assumptions.EVENT_SCOPES)
            calendar = self._calendar(grant, request, write=True)
            event_id = check_event_id(body["id"]) if body.get("id") is not None else new_event_id()
            if (calendar.calendar_id, event_id) in self.sim.state.events:
                raise GoogleApiError(409, "duplicate", assumptions.DUPLICATE_MESSAGE)
            fields = validate(writable_fields(body))
            now = self.sim.now()
            ical_uid = body.get("iCalUID") or event_id + assumptions.ICAL_UID_SUFFIX
            event = StoredEvent(
                calendar.calendar_id, event_id, fields, now, now, self.sim.state.next_change(),
                sequence=_int(body.get("sequence"), 0), ical_uid=str(ical_uid),
            )
            self.sim.state.events[(calendar.calendar_id, event_id)] = event
            self.sim.notify(calendar.calendar_id)
            return JSONResponse(render_event(event, calendar))

    async def get(self, request: Request) -> Response:
        with self.sim.state.lock:
            grant = self.sim.authenticate(request, assumptions.EVENT_READ_SCOPES)
            calendar = self._calendar(grant, request)
            return JSONResponse(render_event(self._event(calendar, request), calendar))

    async def update(self, request: Request) -> Response:
        body = await json_object(request)
        return self._change(request, body, patch=False)

    async def patch(self, request: Request) -> Response:
        body = await json_object(request)
        return self._change(request, body, patch=True)

    def _change(self, request: Request, body: dict[str, Any], *, patch: bool) -> Response:
        with self.sim.state.lock:
            grant = self.sim.authenticate(request, assumptions.EVENT_SCOPES)
            calendar = self._calendar(grant, request, write=True)
            event = self._event(calendar, request)
            self._check_if_match(event, request)
            changed = change_event(self.sim.state, event, body, self.sim.now(), patch=patch)
            self.sim.notify(calendar.calendar_id)
            return JSONResponse(render_event(changed, calendar))

    async def delete(self, request: Request) -> Response:
        with self.sim.state.lock:
            grant = self.sim.authenticate(request, assumptions.EVENT_SCOPES)
            calendar = self._calendar(grant, request, write=True)
            event = self._event(calendar, request)
            if event.cancelled:
                raise GoogleApiError(410, "deleted", assumptions.DELETED_MESSAGE)
            self._check_if_match(event, request)
            cancel_event(self.sim.state, event, self.sim.now())
            self.sim.notify(calendar.calendar_id)
            return Response(status_code=204)

    # --- events: list ----------------------------------------------------------------------------
    async def list_events(self, request: Request) -> Response:
        query = request.query_params
        with self.sim.state.lock:
            grant = self.sim.authenticate(request, assumptions.EVENT_READ_SCOPES)
            calendar = self._calendar(grant, request)
            state = self.sim.state
            size = _max_results(request, assumptions.EVENTS_MAX_RESULTS_DEFAULT,
                                assumptions.EVENTS_MAX_RESULTS_CAP)
            sync_token = query.get("syncToken")
            updated_min = parse_rfc3339(query.get("updatedMin"), "updatedMin")
            wanted = EventFilter(query, calendar.time_zone)
            if sync_token is not None:
                forbidden = [p for p in assumptions.SYNC_TOKEN_FORBIDDEN_WITH if p in query]
                if forbidden:
                    raise invalid(f"Sync token cannot be used with {forbidden[0]}.", forbidden[0])
                cursor = self._sync_cursor(sync_token, calendar)
            else:
                cursor = Cursor(state.generation, calendar.calendar_id, 0, state.change_no)
            page_token = query.get("pageToken")
            if page_token is not None:
                paged = Cursor.decode(page_token)
                if paged is None or paged.calendar_id != calendar.calendar_id or (
                    paged.generation != state.generation
                ) or paged.since != cursor.since:
                    raise invalid("Invalid page token value.", "pageToken")
                cursor = paged
            delta = sync_token is not None or updated_min is not None
            show_deleted = delta or _flag(request, "showDeleted")
            matching = wanted.ordered([
                e for e in state.events_of(calendar.calendar_id)
                if cursor.since < e.change_no <= cursor.upto
                and (cursor.after is None or wanted.sort_key(e) > cursor.after)
                and (show_deleted or not e.cancelled)
                and (updated_min is None or e.updated >= updated_min)
                and wanted.keeps(e)
            ])
            page = matching[:size]
            body = self._events_page(calendar, page)
            if len(matching) > size:
                body["nextPageToken"] = replace(cursor, after=wanted.sort_key(page[-1])).encode()
            else:
                body["nextSyncToken"] = Cursor(
                    state.generation, calendar.calendar_id, cursor.upto, cursor.upto
                ).encode()
            return JSONResponse(body)

    def _sync_cursor(self, token: str, calendar: Calendar) -> Cursor:
        cursor = Cursor.decode(token)
        state = self.sim.state
        if cursor is None or cursor.generation != state.generation or (
            cursor.calendar_id != calendar.calendar_id
        ) or cursor.since > state.change_no:
            raise GoogleApiError(410, assumptions.FULL_SYNC_REQUIRED_REASON,
                                 assumptions.FULL_SYNC_REQUIRED_MESSAGE, domain="calendar")
        return Cursor(state.generation, calendar.calendar_id, cursor.since, state.change_no)

    def _events_page(self, calendar: Calendar, page: list[StoredEvent]) -> dict[str, Any]:
        latest = max((e.updated for e in page), default=self.sim.now())
        return {
            "kind": "calendar#events",
            "etag": f'"p{self.sim.state.change_no}"',
            "summary": calendar.summary,
            "updated": rfc3339(latest),
            "timeZone": calendar.time_zone,
            "accessRole": calendar.access_role,
            "defaultReminders": render_calendar_entry(calendar)["defaultReminders"],
            "items": [render_event(e, calendar, minimal=e.cancelled) for e in page],
        }


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _offset_token(token: str | None, total: int) -> int:
    if token is None:
        return 0
    if not token.isdigit() or int(token) > total:
        raise invalid("Invalid page token value.", "pageToken")
    return int(token)
