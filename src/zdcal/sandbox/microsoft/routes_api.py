"""Graph v1.0: ``/me``, the user's calendars, and events (CRUD, lists, calendarView)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from zdcal.sandbox.microsoft import assumptions
from zdcal.sandbox.microsoft.errors import GraphError, invalid, not_found
from zdcal.sandbox.microsoft.event_body import CONTROLLED, check_body, instant, merge, validate
from zdcal.sandbox.microsoft.extended import PropertyFilter, apply_properties
from zdcal.sandbox.microsoft.model import Calendar, StoredEvent, User
from zdcal.sandbox.microsoft.odata import (
    int_option,
    json_object,
    prefer_zone,
    select_option,
    window,
)
from zdcal.sandbox.microsoft.rendering import GRAPH, render_calendar, render_event, render_user
from zdcal.sandbox.microsoft.simulator import MicrosoftSimulator
from zdcal.sandbox.microsoft.store import new_change_key, outlook_id

PREFIX = "/v1.0"
_ORDER_KEYS = {
    "start/datetime": lambda e: instant(e.fields["start"]),
    "end/datetime": lambda e: instant(e.fields["end"]),
    "createddatetime": lambda e: e.created,
    "lastmodifieddatetime": lambda e: e.modified,
    "subject": lambda e: str(e.fields.get("subject", "")).lower(),
}


def next_link(request: Request, skip: int) -> str:
    query = {k: v for k, v in request.query_params.items() if k != "$skip"}
    query["$skip"] = str(skip)
    path = request.url.path.removeprefix(PREFIX)
    return f"{request.base_url}{PREFIX.strip('/')}{path}?{urlencode(query)}"


def overlaps(event: StoredEvent, span: tuple[datetime, datetime]) -> bool:
    """In a calendarView window: the event ends after its start and starts before its end."""
    return instant(event.fields["end"]) > span[0] and instant(event.fields["start"]) < span[1]


class GraphCalendarApi:
    def __init__(self, sim: MicrosoftSimulator) -> None:
        self.sim = sim

    def routes(self) -> list[BaseRoute]:
        me = PREFIX + "/me"
        item = ["GET", "PATCH", "DELETE"]
        return [
            Route(me, self.me, methods=["GET"]),
            Route(me + "/calendars", self.calendars, methods=["GET"]),
            Route(me + "/calendar", self.calendar, methods=["GET"]),
            Route(me + "/calendars/{calendar_id}", self.calendar, methods=["GET"]),
            Route(me + "/events", self.events, methods=["GET", "POST"]),
            Route(me + "/calendar/events", self.events, methods=["GET", "POST"]),
            Route(me + "/calendars/{calendar_id}/events", self.events, methods=["GET", "POST"]),
            Route(me + "/events/{event_id}", self.event, methods=item),
            Route(me + "/calendar/events/{event_id}", self.event, methods=item),
            Route(me + "/calendars/{calendar_id}/events/{event_id}", self.event, methods=item),
            Route(me + "/calendarView", self.calendar_view, methods=["GET"]),
            Route(me + "/calendar/calendarView", self.calendar_view, methods=["GET"]),
            Route(me + "/calendars/{calendar_id}/calendarView", self.calendar_view,
                  methods=["GET"]),
        ]

    # --- helpers ---------------------------------------------------------------------------
    def _calendar(self, user: User, request: Request) -> Calendar | None:
        """The calendar the path names; None for ``/me/events[/{id}]`` (see the callers)."""
        calendar_id = request.path_params.get("calendar_id")
        if calendar_id is None:
            if "/calendar/" in request.url.path or request.url.path.endswith("/calendar"):
                return self.sim.state.default_calendar(user.user_id)
            return None
        calendar = self.sim.state.calendars.get(calendar_id)
        if calendar is None or calendar.user_id != user.user_id:
            raise not_found()
        return calendar

    def _writable(self, calendar: Calendar) -> None:
        if not calendar.can_edit:
            raise GraphError(403, "ErrorAccessDenied",
                             "Access is denied. Check credentials and try again.")

    def _event(self, user: User, request: Request) -> StoredEvent:
        event_id = request.path_params["event_id"]
        if not event_id.startswith("AAMk"):
            raise GraphError(400, *assumptions.INVALID_ID)
        event = self.sim.state.events.get(event_id)
        calendar = self._calendar(user, request)
        if event is None or event.deleted or event.user_id != user.user_id or (
            calendar is not None and event.calendar_id != calendar.calendar_id
        ):
            raise not_found()
        return event

    def _render(self, event: StoredEvent, user: User, request: Request) -> dict[str, Any]:
        return render_event(event, user, zone=prefer_zone(request),
                            select=select_option(request),
                            expand=request.query_params.get("$expand"))

    # --- user and calendars ------------------------------------------------------------------
    async def me(self, request: Request) -> Response:
        with self.sim.state.lock:
            _, user = self.sim.authenticate(request, assumptions.USER_SCOPES)
            return JSONResponse(render_user(user))

    async def calendars(self, request: Request) -> Response:
        with self.sim.state.lock:
            _, user = self.sim.authenticate(request, assumptions.READ_SCOPES)
            found = self.sim.state.calendars_of(user.user_id)
            top = int_option(request, "$top", assumptions.CALENDARS_PAGE_DEFAULT, minimum=1)
            skip = int_option(request, "$skip", 0)
            body: dict[str, Any] = {
                "@odata.context": f"{GRAPH}/$metadata#users('{user.user_id}')/calendars",
                "value": [render_calendar(c) for c in found[skip:skip + top]],
            }
            if skip + top < len(found):
                body["@odata.nextLink"] = next_link(request, skip + top)
            return JSONResponse(body)

    async def calendar(self, request: Request) -> Response:
        with self.sim.state.lock:
            _, user = self.sim.authenticate(request, assumptions.READ_SCOPES)
            calendar = self._calendar(user, request)
            assert calendar is not None
            context = f"{GRAPH}/$metadata#users('{user.user_id}')/calendars/$entity"
            return JSONResponse({"@odata.context": context, **render_calendar(calendar)})

    # --- events ----------------------------------------------------------------------------
    async def events(self, request: Request) -> Response:
        if request.method == "POST":
            return await self._create(request)
        with self.sim.state.lock:
            _, user = self.sim.authenticate(request, assumptions.READ_SCOPES)
            # /me/events lists the default calendar (assumptions.EVENTS_OF_ME)
            calendar = self._calendar(user, request) or self.sim.state.default_calendar(
                user.user_id)
            wanted = PropertyFilter.parse(request.query_params.get("$filter"))
            found = [e for e in self.sim.state.live_events(user.user_id, calendar.calendar_id)
                     if wanted is None or wanted.keeps(e)]
            return self._page(request, user, found)

    async def calendar_view(self, request: Request) -> Response:
        with self.sim.state.lock:
            _, user = self.sim.authenticate(request, assumptions.READ_SCOPES)
            calendar = self._calendar(user, request) or self.sim.state.default_calendar(
                user.user_id)
            span = window(request)
            if span is None:
                raise GraphError(400, *assumptions.DELTA_WINDOW_REQUIRED)
            found = [e for e in self.sim.state.live_events(user.user_id, calendar.calendar_id)
                     if overlaps(e, span)]
            return self._page(request, user, found)

    def _page(self, request: Request, user: User, found: list[StoredEvent]) -> Response:
        order = request.query_params.get("$orderby")
        if order:
            name, _, direction = order.strip().partition(" ")
            key = _ORDER_KEYS.get(name.lower())
            if key is None or direction.strip().lower() not in ("", "asc", "desc"):
                raise invalid(f"Invalid $orderby: {order}", "ErrorInvalidUrlQuery")
            found = sorted(found, key=key, reverse=direction.strip().lower() == "desc")
        top = int_option(request, "$top", assumptions.EVENTS_PAGE_DEFAULT,
                         assumptions.EVENTS_PAGE_MAX, minimum=1)
        skip = int_option(request, "$skip", 0)
        body: dict[str, Any] = {
            "@odata.context": f"{GRAPH}/$metadata#users('{user.user_id}')/events",
            "value": [self._render(e, user, request) for e in found[skip:skip + top]],
        }
        if skip + top < len(found):
            body["@odata.nextLink"] = next_link(request, skip + top)
        return JSONResponse(body)

    async def _create(self, request: Request) -> Response:
        body = await json_object(request)
        with self.sim.state.lock:
            _, user = self.sim.authenticate(request, assumptions.WRITE_SCOPES)
            state = self.sim.state
            calendar = self._calendar(user, request) or state.default_calendar(user.user_id)
            self._writable(calendar)
            fields = check_body(body)
            transaction_id = body.get("transactionId")
            if transaction_id is not None and not isinstance(transaction_id, str):
                raise invalid("transactionId must be a string.", "RequestBodyRead")
            if transaction_id:
                earlier = state.by_transaction_id(user.user_id, transaction_id)
                if earlier is not None:
                    return self._answer(earlier, user, request, 201)
            extended = apply_properties({}, body.get("singleValueExtendedProperties"))
            fields = validate(merge({}, fields))  # null means "not set", as in a PATCH
            now = self.sim.now()
            event_id = outlook_id()
            event = StoredEvent(
                event_id, calendar.calendar_id, user.user_id, fields, extended, now, now,
                new_change_key(), state.next_change(),
                "040000008200E00074C5B7101A82E008" + outlook_id("")[:32].encode().hex().upper(),
                transaction_id or None,
            )
            state.add_event(event)
            self.sim.notify(event, "created")
            return self._answer(event, user, request, 201)

    def _answer(self, event: StoredEvent, user: User, request: Request,
                status: int = 200) -> Response:
        context = f"{GRAPH}/$metadata#users('{user.user_id}')/events/$entity"
        return JSONResponse({"@odata.context": context, **self._render(event, user, request)},
                            status)

    async def event(self, request: Request) -> Response:
        body = await json_object(request) if request.method == "PATCH" else {}
        with self.sim.state.lock:
            scopes = assumptions.READ_SCOPES if request.method == "GET" else (
                assumptions.WRITE_SCOPES)
            _, user = self.sim.authenticate(request, scopes)
            event = self._event(user, request)
            if request.method == "GET":
                return self._answer(event, user, request)
            self._writable(self.sim.state.calendars[event.calendar_id])
            self._check_if_match(event, request)
            if request.method == "DELETE":
                delete_event(self.sim, event)
                return Response(status_code=204)
            changed = patch_event(self.sim, event, body)
            return self._answer(changed, user, request)

    def _check_if_match(self, event: StoredEvent, request: Request) -> None:
        wanted = request.headers.get("if-match")
        if wanted is not None and wanted not in ("*", f'W/"{event.change_key}"'):
            raise GraphError(412, "ErrorIrresolvableConflict",
                             "The send or update operation could not be performed because the "
                             "change key passed in the request does not match the current change "
                             "key for the item.")


def patch_event(sim: MicrosoftSimulator, event: StoredEvent, body: dict[str, Any]) -> StoredEvent:
    """PATCH semantics, for API clients and the simulated user alike. Lock held."""
    sent = check_body(body)
    transaction_id = body.get("transactionId")
    if transaction_id is not None and transaction_id != event.transaction_id:
        raise invalid("The transactionId of an event cannot be changed.")
    fields = validate(merge(event.fields, sent))
    event.extended = apply_properties(event.extended, body.get(CONTROLLED[1]))
    event.fields = fields
    event.modified = sim.now()
    event.change_key = new_change_key()
    event.change_no = sim.state.next_change()
    sim.notify(event, "updated")
    return event


def delete_event(sim: MicrosoftSimulator, event: StoredEvent) -> None:
    """The event goes; a tombstone stays for delta. Lock held."""
    event.deleted = True
    event.modified = sim.now()
    event.change_no = sim.state.next_change()
    sim.notify(event, "deleted")
