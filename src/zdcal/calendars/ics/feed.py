"""An agent's open tasks as one iCalendar feed (``/ics/<token>.ics``).

**How the feed fits the calendar contract.** It is not a :class:`CalendarBackend` the
engine writes to: a subscribed calendar app *reads* the feed when it likes, so there is
nothing to push, no write to record and no outcome to report. The feed is an add-on,
independent of the agent's writing backend (an agent may have one, the other or both):
each request renders, from the store's ticket mirror, the **same desired entries the
engine would write** (:func:`zdcal.domain.desired_entries`, the agent's event style and
time zone), so what an event says is decided once, in the domain, and spelled as
iCalendar by the CalDAV objects' builder (:mod:`zdcal.calendars.caldav.ical`), never a
second one. Only the feed's own private setting (on by default) replaces the style's.

* ``UID``\\ s are zdcal's event ids: stable across renders, the same ids Cronofy or a
  CalDAV server would hold.
* One ``VTIMEZONE`` per zone used (:func:`~zdcal.calendars.caldav.ical.calendar_of`).
* The feed's version is :func:`feed_digest` of its entries (their event ids and content
  hashes), so it changes exactly when an event a calendar would show changes; the
  ``ETag`` is made of it, and ``DTSTAMP`` is the instant the version was first served.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from zdcal.calendars.caldav.ical import calendar_of, task_event
from zdcal.domain import (
    AccountInfo,
    AgentTarget,
    DesiredEntry,
    DomainError,
    EventStyle,
    TicketState,
    desired_entries,
    event_style_from_options,
)

FEED_CALENDAR = "ics-feed"
"""The ``calendar_id`` of a feed's entries (a feed is one calendar of its own)."""

FEED_FORMAT = "1"
"""Part of every digest: a change to how feeds are spelled changes every ETag."""

FEED_NAME = "Zendesk tasks"

REFRESH_HINT = timedelta(hours=1)
"""What the feed asks subscribers for (``REFRESH-INTERVAL``, ``X-PUBLISHED-TTL``): a
hint most apps ignore (see docs/backends/ics.md), harmless to those that honour it."""


def feed_target(
    agent_id: int, time_zone: str, style_options: Mapping[str, Any], *, private: bool
) -> AgentTarget:
    """Where and how an agent's feed shows their tasks: their style and zone, with the
    feed's private setting. A stored style that is no longer valid gives the defaults
    (as the engine does), never a broken feed."""
    try:
        style = event_style_from_options(style_options)
        return AgentTarget(agent_id=agent_id, calendar_id=FEED_CALENDAR, time_zone=time_zone,
                           style=replace(style, private=private))
    except DomainError:
        return AgentTarget(agent_id=agent_id, calendar_id=FEED_CALENDAR,
                           time_zone="Etc/UTC", style=EventStyle(private=private))


def feed_entries(
    account: AccountInfo, tickets: Iterable[TicketState], target: AgentTarget
) -> list[DesiredEntry]:
    """The events of the agent's feed: one per open task of theirs with a due date."""
    return desired_entries(account, tickets, {target.agent_id: target})


def feed_digest(entries: Sequence[DesiredEntry]) -> str:
    """The feed's version (hex SHA-256): changes when any event would read differently,
    or one comes or goes; the same for the same events in any order."""
    digest = hashlib.sha256(f"zdcal-ics-feed {FEED_FORMAT}\n".encode("ascii"))
    for event_id, content in sorted((e.event_id, e.content_hash) for e in entries):
        digest.update(f"{event_id} {content}\n".encode("ascii"))
    return digest.hexdigest()


def render_feed(entries: Sequence[DesiredEntry], *, stamp: datetime) -> bytes:
    """The ``VCALENDAR`` of these entries, serialized (CRLF lines, folded at 75 octets).

    ``stamp`` (the version's instant) is every event's ``DTSTAMP``, so a version renders
    to the same bytes every time.
    """
    calendar = calendar_of([task_event(entry.body, stamp=stamp) for entry in entries])
    calendar.add("name", FEED_NAME)
    calendar.add("x-wr-calname", FEED_NAME)
    calendar.add("refresh-interval", REFRESH_HINT, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH_HINT)
    data: bytes = calendar.to_ical()
    return data
