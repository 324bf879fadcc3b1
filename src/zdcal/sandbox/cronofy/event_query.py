"""Read events: parse the query, pick the events, write them as Cronofy does, page them."""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import QueryParams

from zdcal.sandbox.cronofy import assumptions as a
from zdcal.sandbox.cronofy.errors import FieldErrors, ResourceNotFound
from zdcal.sandbox.cronofy.event_times import (
    EventTimeError,
    format_instant,
    parse_moment,
    zone_named,
)
from zdcal.sandbox.cronofy.model import Account, StoredEvent
from zdcal.sandbox.cronofy.store import SandboxState

_TRUE, _FALSE = ("true", "1"), ("false", "0", "")


@dataclass(frozen=True)
class EventQuery:
    """A parsed ``GET /v1/events`` query."""

    zone: ZoneInfo
    start_bound: datetime
    end_bound: datetime
    window_given: bool
    include_managed: bool
    only_managed: bool
    include_deleted: bool
    last_modified: datetime | None
    calendar_ids: tuple[str, ...]


def _flag(params: QueryParams, name: str, errors: FieldErrors) -> bool:
    # Booleans arrive as true/false, and as True/False from Python clients such as pycronofy.
    raw = params.get(name, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw not in _FALSE:
        errors.add(name, a.ERROR_INVALID, f"{name} must be true or false")
    return False


def _bound(params: QueryParams, name: str, zone: ZoneInfo, errors: FieldErrors) -> datetime | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        moment = parse_moment(raw)
    except EventTimeError as exc:
        errors.add(name, exc.key, f"{name}: {exc.description}")
        return None
    if isinstance(moment, datetime):
        return moment
    return datetime.combine(moment, time(0), tzinfo=zone)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def parse_event_query(params: QueryParams, now: datetime) -> EventQuery:
    """Validate the query string; 422 lists every bad parameter."""
    errors = FieldErrors()
    tzid = params.get("tzid", "")
    zone = zone_named(tzid) if tzid else None
    if not tzid:
        errors.add("tzid", a.ERROR_REQUIRED, "tzid must be specified")
    elif zone is None:
        errors.add("tzid", a.ERROR_UNKNOWN_TZID, f"unknown tzid {tzid!r}")
    zone = zone or ZoneInfo("Etc/UTC")
    start, end = _bound(params, "from", zone, errors), _bound(params, "to", zone, errors)
    last_modified = _bound(params, "last_modified", zone, errors)
    flags = {
        name: _flag(params, name, errors)
        for name in ("include_managed", "only_managed", "include_deleted")
    }
    for name in ("include_moved", "include_geo", "localized_times"):
        _flag(params, name, errors)  # accepted, validated, without effect here
    errors.raise_if_any()
    today = now.astimezone(zone).date()
    return EventQuery(
        zone=zone,
        start_bound=start or _midnight(today - timedelta(days=a.DEFAULT_FROM_DAYS_AGO), zone),
        end_bound=end or _midnight(today + timedelta(days=a.DEFAULT_TO_DAYS_AHEAD), zone),
        window_given=start is not None or end is not None,
        last_modified=last_modified,
        calendar_ids=tuple(params.getlist("calendar_ids[]") + params.getlist("calendar_ids")),
        **flags,
    )


def _in_window(event: StoredEvent, query: EventQuery) -> bool:
    if event.managed and not query.window_given:
        return True  # managed events ignore the default window (documented)
    start, end = event.start.instant(query.zone), event.end.instant(query.zone)
    return start < query.end_bound and end >= query.start_bound


def _wanted(event: StoredEvent, query: EventQuery) -> bool:
    if event.managed and not (query.include_managed or query.only_managed):
        return False
    if not event.managed and query.only_managed:
        return False
    if event.deleted and not query.include_deleted:
        return False
    if query.last_modified is not None and (
        event.user_modified is None or event.user_modified < query.last_modified
    ):
        return False
    return _in_window(event, query)


def select_events(state: SandboxState, account: Account, query: EventQuery) -> list[StoredEvent]:
    """The account's events matching ``query``, ordered by start."""
    own = set(account.calendar_ids)
    if query.calendar_ids:
        unknown = sorted(set(query.calendar_ids) - own)
        if unknown and a.UNKNOWN_CALENDAR_IDS_IN_READ_IS_404:
            raise ResourceNotFound(f"unknown calendars {unknown}")
        own &= set(query.calendar_ids)
    chosen = [event for event in state.events_in(own) if _wanted(event, query)]
    return sorted(chosen, key=lambda e: (e.start.instant(query.zone), e.event_uid))


def render_event(event: StoredEvent, account: Account) -> dict[str, Any]:
    """One event as read events returns it."""
    body = event.body
    rendered: dict[str, Any] = {
        "calendar_id": event.calendar_id,
        "event_uid": event.event_uid,
        "summary": body.get("summary", ""),
        "description": body.get("description", ""),
        "start": event.start.to_json(),
        "end": event.end.to_json(),
        "deleted": event.deleted,
        "created": format_instant(event.created),
        "updated": format_instant(event.updated),
        "participation_status": "accepted" if event.managed else "needs_action",
        "attendees": [],
        "organizer": {"email": account.email, "display_name": account.name},
        "transparency": body.get("transparency", "opaque"),
        "status": "cancelled" if event.deleted else "confirmed",
        "categories": [],
        "recurring": False,
        "event_private": body.get("event_private", False),
        "reminders": body.get("reminders") or [],
        "options": {
            "delete": event.managed,
            "update": event.managed,
            "change_participation_status": False,
        },
    }
    if event.event_id is not None:
        rendered["event_id"] = event.event_id
    for optional in ("location", "url", "color"):
        if body.get(optional) is not None:
            rendered[optional] = body[optional]
    return rendered


@dataclass
class _Snapshot:
    account_id: str
    events: list[dict[str, Any]]
    page_size: int

    @property
    def total(self) -> int:
        return max(1, -(-len(self.events) // self.page_size))


class PageBook:
    """Result sets behind ``next_page`` URLs: a query is evaluated once, then paged."""

    def __init__(self, page_size: int) -> None:
        self.page_size = page_size
        self._snapshots: OrderedDict[str, _Snapshot] = OrderedDict()
        self._pages: dict[str, tuple[str, int]] = {}

    def first_page(
        self, account_id: str, events: list[dict[str, Any]]
    ) -> tuple[dict[str, Any], str | None]:
        """Page 1 and, when there is more, the token of page 2."""
        snapshot_id = secrets.token_hex(8)
        self._snapshots[snapshot_id] = _Snapshot(account_id, events, self.page_size)
        while len(self._snapshots) > a.PAGE_SNAPSHOT_LIMIT:
            old, _ = self._snapshots.popitem(last=False)
            self._pages = {t: p for t, p in self._pages.items() if p[0] != old}
        return self._page(snapshot_id, 1)

    def page(self, account_id: str, token: str) -> tuple[dict[str, Any], str | None]:
        """The page behind ``token``; 404 for unknown tokens or another account's pages."""
        snapshot_id, number = self._pages.get(token, ("", 0))
        snapshot = self._snapshots.get(snapshot_id)
        if snapshot is None or snapshot.account_id != account_id:
            raise ResourceNotFound("unknown page")
        return self._page(snapshot_id, number)

    def _page(self, snapshot_id: str, number: int) -> tuple[dict[str, Any], str | None]:
        snapshot = self._snapshots[snapshot_id]
        offset = (number - 1) * snapshot.page_size
        pages: dict[str, Any] = {"current": number, "total": snapshot.total}
        next_token = None
        if number < snapshot.total:
            next_token = secrets.token_hex(8)
            self._pages[next_token] = (snapshot_id, number + 1)
        body = {"pages": pages, "events": snapshot.events[offset : offset + snapshot.page_size]}
        return body, next_token

    def clear(self) -> None:
        self._snapshots.clear()
        self._pages.clear()
