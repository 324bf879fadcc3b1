"""The event style form: what an agent types, validated, and a preview of the result.

The preview renders the very body zdcal would send for a sample task
(:func:`zdcal.domain.event_body`), so what the agent sees is what the calendar gets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from zdcal.domain import (
    AccountInfo,
    AgentTarget,
    EventStyle,
    InvalidEventStyle,
    TicketState,
    event_body,
    event_style_from_options,
)
from zdcal.store import EventStyleOptions
from zdcal.web.pages.local_times import day_words

SAMPLE_TICKET_ID = 4242
SAMPLE_SUBJECT = "Call Acme back about their renewal"
PREVIEW_CALENDAR = "preview"


def style_options_from_form(form: Mapping[str, Any]) -> EventStyleOptions:
    """Options from the submitted form; raises :class:`InvalidEventStyle` for bad input."""
    all_day = str(form.get("mode", "all_day")) != "timed"
    options: EventStyleOptions = {
        "all_day": all_day,
        "private": form.get("private") in ("on", "true", "1"),
        "reminders_minutes": _minutes_list(str(form.get("reminders", ""))),
    }
    if not all_day:
        options["local_time"] = str(form.get("local_time", "")).strip()
        options["duration_minutes"] = _whole_number(
            str(form.get("duration_minutes", "30")), "duration"
        )
    event_style_from_options(options)  # validates; raises InvalidEventStyle
    return options


def form_values(options: Mapping[str, Any]) -> dict[str, Any]:
    """Stored options as the form shows them."""
    style = _style_or_default(options)
    return {
        "mode": "all_day" if style.all_day else "timed",
        "local_time": style.local_time.strftime("%H:%M") if style.local_time else "09:00",
        "duration_minutes": style.duration_minutes,
        "reminders": ", ".join(str(m) for m in style.reminders_minutes),
        "private": style.private,
    }


@dataclass(frozen=True)
class EventPreview:
    """How the sample task looks in the agent's calendar."""

    summary: str
    due: str  # the sample task's due date, read as the account reads due dates
    when: str
    reminders: str
    private: bool
    description: str


def preview_event(
    options: Mapping[str, Any], *, account: AccountInfo, time_zone: str, today: date
) -> EventPreview:
    """The sample task (due tomorrow 15:00 UTC) as an event in ``time_zone``."""
    style = event_style_from_options(options)
    due = datetime.combine(today + timedelta(days=1), datetime.min.time()).replace(
        hour=15, tzinfo=UTC
    )
    ticket = TicketState(
        ticket_id=SAMPLE_TICKET_ID, type="task", status="open", due_at=due,
        assignee_id=1, subject=SAMPLE_SUBJECT, description="Ask about the renewal date.",
    )
    target = AgentTarget(agent_id=1, calendar_id=PREVIEW_CALENDAR, time_zone=time_zone,
                         style=style)
    body = event_body(account, ticket, target)
    reminders = body.get("reminders", [])
    return EventPreview(
        summary=body["summary"],
        due=day_words(account.due_dates.due_date(due, ZoneInfo(time_zone))),
        when=_when(body["start"], body["end"], time_zone),
        reminders=", ".join(f"{r['minutes']} min before" for r in reminders) or "none",
        private=bool(body.get("event_private")),
        description=str(body.get("description", "")),
    )


def _when(start: Any, end: Any, time_zone: str) -> str:
    """Start and end in the agent's own wall-clock time, as their calendar shows them."""
    if isinstance(start, str) and len(start) == 10:
        return f"{day_words(date.fromisoformat(start))}, all day"
    zone = ZoneInfo(time_zone)
    begins = datetime.fromisoformat(_text(start).replace("Z", "+00:00")).astimezone(zone)
    ends = datetime.fromisoformat(_text(end).replace("Z", "+00:00")).astimezone(zone)
    return f"{day_words(begins.date())}, {begins:%H:%M} to {ends:%H:%M} ({time_zone})"


def _text(value: Any) -> str:
    return str(value["time"]) if isinstance(value, dict) else str(value)


def _style_or_default(options: Mapping[str, Any]) -> EventStyle:
    try:
        return event_style_from_options(options)
    except InvalidEventStyle:
        return EventStyle()


def _minutes_list(text: str) -> list[int]:
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    return [_whole_number(p, "reminder") for p in parts]


def _whole_number(text: str, what: str) -> int:
    try:
        return int(text.strip())
    except ValueError as exc:
        raise InvalidEventStyle(f"the {what} must be a whole number of minutes") from exc

