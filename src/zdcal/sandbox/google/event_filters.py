"""The events.list filters: time window, private extended properties, ordering."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from starlette.datastructures import QueryParams

from zdcal.sandbox.google import assumptions
from zdcal.sandbox.google.errors import GoogleApiError, invalid
from zdcal.sandbox.google.model import StoredEvent


def parse_rfc3339(raw: str | None, name: str) -> datetime | None:
    """A query timestamp; Google requires the offset (``Z`` or ``+hh:mm``)."""
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise invalid(f"Invalid value for {name}: {raw}", name)
    return moment


def _instant(value: dict[str, str], zone: ZoneInfo) -> datetime:
    if "date" in value:
        return datetime.combine(date.fromisoformat(value["date"]), time(), zone)
    return datetime.fromisoformat(value["dateTime"])


class EventFilter:
    """What one events.list query keeps, and in which order."""

    def __init__(self, query: QueryParams, calendar_zone: str) -> None:
        self.zone = ZoneInfo(calendar_zone)
        self.time_min = parse_rfc3339(query.get("timeMin"), "timeMin")
        self.time_max = parse_rfc3339(query.get("timeMax"), "timeMax")
        if self.time_min and self.time_max and self.time_min >= self.time_max:
            raise GoogleApiError(400, "timeRangeEmpty", assumptions.TIME_RANGE_EMPTY_MESSAGE,
                                 domain="calendar", location="timeMax")
        self.private: list[tuple[str, str]] = []
        for raw in query.getlist("privateExtendedProperty"):
            key, sep, value = raw.partition("=")
            if not sep or not key:
                raise invalid(f"Invalid privateExtendedProperty: {raw}",
                              "privateExtendedProperty")
            self.private.append((key, value))
        self.order_by = query.get("orderBy")
        single = query.get("singleEvents", "false").lower() == "true"
        if self.order_by not in (None, "updated", "startTime") or (
            self.order_by == "startTime" and not single
        ):
            raise invalid("The requested ordering is not available for the particular query.",
                          "orderBy")

    def keeps(self, event: StoredEvent) -> bool:
        fields = event.fields
        if self.time_min or self.time_max:
            start, end = _instant(fields["start"], self.zone), _instant(fields["end"], self.zone)
            if self.time_min and not end > self.time_min:
                return False
            if self.time_max and not start < self.time_max:
                return False
        properties = fields.get("extendedProperties", {}).get("private", {})
        return all(properties.get(key) == value for key, value in self.private)

    def sort_key(self, event: StoredEvent) -> tuple[float, int]:
        """``startTime`` sorts by start; otherwise the order of last change (see assumptions)."""
        if self.order_by == "startTime":
            return (_instant(event.fields["start"], self.zone).timestamp(), event.change_no)
        return (float(event.change_no), event.change_no)

    def ordered(self, events: Sequence[StoredEvent]) -> list[StoredEvent]:
        return sorted(events, key=self.sort_key)
