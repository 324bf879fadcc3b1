"""The feed's pure parts: its entries and version (digest), its rendering, and the
conditional-GET decision."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar

from zdcal.calendars.ics.feed import feed_digest, feed_entries, feed_target, render_feed
from zdcal.domain import AccountInfo, TicketState
from zdcal.web.ics_feed import entity_tag, not_modified

ACCOUNT = AccountInfo(key="k" * 26, subdomain="acme", base_url="https://acme.zendesk.com")
STAMP = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
AGENT = 7


def task(ticket_id: int, day: int, *, assignee: int = AGENT, status: str = "open") -> TicketState:
    return TicketState(
        ticket_id=ticket_id, type="task", status=status,
        due_at=datetime(2030, 5, day, 15, tzinfo=UTC), assignee_id=assignee,
        subject=f"Subject {ticket_id}", description=f"Text {ticket_id}", priority="high",
    )


TICKETS = [task(1, 1), task(2, 2), task(3, 3, assignee=8), task(4, 4, status="solved")]


def test_only_the_agents_open_tasks_and_private_by_the_feeds_setting() -> None:
    public = feed_entries(ACCOUNT, TICKETS, feed_target(AGENT, "Europe/Paris", {}, private=False))
    private = feed_entries(ACCOUNT, TICKETS, feed_target(
        AGENT, "Europe/Paris", {"private": False}, private=True))
    assert [e.ticket_id for e in public] == [1, 2]
    assert [e.event_id for e in private] == [e.event_id for e in public]
    assert all(e.body["event_private"] for e in private)
    assert "Subject 1" in public[0].body["summary"]
    assert "Subject 1" not in private[0].body["summary"]


def test_the_digest_follows_the_events_not_their_order() -> None:
    target = feed_target(AGENT, "Europe/Paris", {}, private=True)
    entries = feed_entries(ACCOUNT, TICKETS, target)
    assert feed_digest(entries) == feed_digest(list(reversed(entries)))
    moved = feed_entries(ACCOUNT, [task(1, 9), task(2, 2)], target)
    assert feed_digest(moved) != feed_digest(entries)
    assert feed_digest(entries[:1]) != feed_digest(entries)
    timed = feed_entries(ACCOUNT, TICKETS, feed_target(
        AGENT, "Europe/Paris", {"all_day": False, "local_time": "09:00"}, private=True))
    assert feed_digest(timed) != feed_digest(entries)


def test_a_stored_style_that_is_no_longer_valid_gives_the_defaults() -> None:
    target = feed_target(AGENT, "Europe/Paris", {"all_day": False}, private=True)
    assert target.style.all_day
    assert target.style.private


def test_one_version_renders_to_the_same_bytes_with_a_vtimezone_per_zone() -> None:
    target = feed_target(AGENT, "Asia/Tokyo", {"all_day": False, "local_time": "09:00",
                                               "reminders_minutes": [10]}, private=True)
    entries = feed_entries(ACCOUNT, TICKETS, target)
    body = render_feed(entries, stamp=STAMP)
    assert body == render_feed(entries, stamp=STAMP)
    calendar = icalendar.Calendar.from_ical(body)
    assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")] == ["Asia/Tokyo"]
    events = calendar.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [e.event_id for e in entries]
    assert all(e.decoded("DTSTAMP") == STAMP for e in events)
    assert str(calendar["X-WR-CALNAME"]) == "Zendesk tasks"


def test_conditional_get_decisions() -> None:
    tag = entity_tag("ab" * 32)
    modified = datetime(2026, 11, 30, 12, 0, 5, tzinfo=UTC)
    http_date = "Mon, 30 Nov 2026 12:00:05 GMT"
    assert not_modified({"if-none-match": tag}, tag, modified)
    assert not_modified({"if-none-match": f"W/{tag}"}, tag, modified)  # weak comparison
    assert not_modified({"if-none-match": "*"}, tag, modified)
    assert not not_modified({"if-none-match": '"other"'}, tag, modified)
    assert not not_modified({"if-none-match": '"other"', "if-modified-since": http_date},
                            tag, modified)
    assert not_modified({"if-modified-since": http_date}, tag, modified)
    assert not not_modified({"if-modified-since": "Mon, 30 Nov 2026 12:00:04 GMT"},
                            tag, modified)
    assert not not_modified({"if-modified-since": "yesterday"}, tag, modified)
    assert not not_modified({}, tag, modified)
