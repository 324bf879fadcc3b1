"""``calendarView/delta``: a window's events in rounds, paged by ``$skiptoken``, resumed by
``$deltatoken``.

A token is (generation, user, calendar, window, since, upto, after): "events of the calendar
whose last change is in (since, upto], past change ``after``". Ordering by change number keeps
paging stable: an event changed while a client pages leaves this round (its change number
passes ``upto``) and comes in the next one; nothing else is skipped or repeated.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from zdcal.sandbox.microsoft import assumptions
from zdcal.sandbox.microsoft.errors import GraphError
from zdcal.sandbox.microsoft.model import Calendar, User
from zdcal.sandbox.microsoft.odata import prefer_page_size, prefer_zone, window
from zdcal.sandbox.microsoft.rendering import GRAPH, render_event
from zdcal.sandbox.microsoft.routes_api import PREFIX, overlaps
from zdcal.sandbox.microsoft.simulator import MicrosoftSimulator


@dataclass(frozen=True)
class DeltaCursor:
    generation: str
    user_id: str
    calendar_id: str
    start: str
    end: str
    since: int
    upto: int
    after: int

    def encode(self) -> str:
        raw = json.dumps([self.generation, self.user_id, self.calendar_id, self.start, self.end,
                          self.since, self.upto, self.after])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> DeltaCursor | None:
        try:
            values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            cursor = cls(*values)
        except (ValueError, TypeError):
            return None
        texts = (cursor.generation, cursor.user_id, cursor.calendar_id, cursor.start, cursor.end)
        numbers = (cursor.since, cursor.upto, cursor.after)
        if not all(isinstance(t, str) for t in texts) or not all(
            isinstance(n, int) for n in numbers
        ):
            return None
        return cursor

    def span(self) -> tuple[datetime, datetime]:
        return datetime.fromisoformat(self.start), datetime.fromisoformat(self.end)


class GraphDelta:
    def __init__(self, sim: MicrosoftSimulator) -> None:
        self.sim = sim

    def routes(self) -> list[BaseRoute]:
        return [
            Route(PREFIX + "/me/calendarView/delta", self.delta, methods=["GET"]),
            Route(PREFIX + "/me/calendars/{calendar_id}/calendarView/delta", self.delta,
                  methods=["GET"]),
        ]

    def _link(self, request: Request, name: str, cursor: DeltaCursor) -> str:
        path = request.url.path.removeprefix("/")
        return f"{request.base_url}{path}?{urlencode({name: cursor.encode()})}"

    def _cursor(self, request: Request, user: User, calendar: Calendar) -> DeltaCursor:
        state = self.sim.state
        query = request.query_params
        token = query.get("$deltatoken") or query.get("$skiptoken")
        if token is None:
            span = window(request)
            if span is None:
                raise GraphError(400, *assumptions.DELTA_WINDOW_REQUIRED)
            return DeltaCursor(state.generation, user.user_id, calendar.calendar_id,
                               span[0].isoformat(), span[1].isoformat(), 0, state.change_no, 0)
        cursor = DeltaCursor.decode(token)
        if cursor is None or cursor.generation != state.generation or (
            cursor.user_id != user.user_id
        ) or cursor.calendar_id != calendar.calendar_id or cursor.since > state.change_no:
            fresh = {"startDateTime": cursor.start, "endDateTime": cursor.end} if cursor else {}
            status, code, message = assumptions.DELTA_EXPIRED
            location = f"{request.base_url}{request.url.path.removeprefix('/')}"
            raise GraphError(status, code, message,
                             {"Location": f"{location}?{urlencode(fresh)}" if fresh else location})
        if "$deltatoken" in query:
            return replace(cursor, upto=state.change_no, after=cursor.since)
        return cursor

    async def delta(self, request: Request) -> Response:
        for unsupported in ("$select", "$expand", "$filter", "$orderby", "$search"):
            if unsupported in request.query_params:
                raise GraphError(400, "ErrorInvalidUrlQuery",
                                 f"The query parameter '{unsupported}' is not supported with "
                                 "delta on calendarView.")
        with self.sim.state.lock:
            _, user = self.sim.authenticate(request, assumptions.READ_SCOPES)
            state = self.sim.state
            calendar_id = request.path_params.get("calendar_id")
            calendar = (state.calendars.get(calendar_id) if calendar_id
                        else state.default_calendar(user.user_id))
            if calendar is None or calendar.user_id != user.user_id:
                raise GraphError(404, *assumptions.ITEM_NOT_FOUND)
            cursor = self._cursor(request, user, calendar)
            span = cursor.span()
            size = prefer_page_size(request) or assumptions.DELTA_PAGE_DEFAULT
            changed = sorted(
                (e for e in state.events.values()
                 if e.calendar_id == calendar.calendar_id
                 and cursor.after < e.change_no <= cursor.upto),
                key=lambda e: e.change_no,
            )
            first_round = cursor.since == 0
            items: list[tuple[int, dict[str, Any]]] = []
            for event in changed:
                visible = not event.deleted and overlaps(event, span)
                if visible:
                    rendered = render_event(event, user, zone=prefer_zone(request))
                    items.append((event.change_no, rendered))
                elif not first_round:
                    removed = {"@odata.type": "#microsoft.graph.event", "id": event.event_id,
                               "@removed": {"reason": "deleted"}}
                    items.append((event.change_no, removed))
            page = items[:size]
            body: dict[str, Any] = {
                "@odata.context": f"{GRAPH}/$metadata#Collection(event)",
                "value": [item for _, item in page],
            }
            if len(items) > size:
                body["@odata.nextLink"] = self._link(
                    request, "$skiptoken", replace(cursor, after=page[-1][0]))
            else:
                body["@odata.deltaLink"] = self._link(
                    request, "$deltatoken", replace(cursor, since=cursor.upto, after=cursor.upto))
            headers = {"Preference-Applied": f"odata.maxpagesize={size}"} if (
                prefer_page_size(request)) else {}
            return JSONResponse(body, headers=headers)
