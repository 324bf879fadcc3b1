"""Moments and dates as the person reading the page says them, in their own time zone.

Rendered on the server (the pages work without JavaScript), so every time an agent reads
is in their zone and never a UTC timestamp.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


def day_words(day: date) -> str:
    """A calendar date: "Wed 1 May 2030"."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def moment_words(moment: datetime, zone: ZoneInfo, now: datetime) -> str:
    """An instant in ``zone``: "14:05" today, "tomorrow at 14:05", else "Wed 1 May at
    14:05" (with the year when it is not this year's)."""
    local, today = moment.astimezone(zone), now.astimezone(zone).date()
    clock = f"{local:%H:%M}"
    if local.date() == today:
        return clock
    if local.date() == today + timedelta(days=1):
        return f"tomorrow at {clock}"
    if local.date() == today - timedelta(days=1):
        return f"yesterday at {clock}"
    year = "" if local.year == today.year else f" {local.year}"
    return f"{local:%a} {local.day} {local:%b}{year} at {clock}"
