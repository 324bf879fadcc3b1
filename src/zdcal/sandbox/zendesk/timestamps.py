"""Zendesk's wire formats for instants: ISO-8601 UTC with a trailing Z, and unix seconds."""

from __future__ import annotations

from datetime import UTC, datetime


class InvalidTimestamp(ValueError):
    """A string is neither an ISO-8601 date-time nor a date."""


def iso_z(unix_seconds: float) -> str:
    """Render unix seconds as Zendesk does: ``2023-09-18T23:38:13Z`` (whole seconds)."""
    return datetime.fromtimestamp(int(unix_seconds), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_instant(text: str) -> float:
    """Parse an ISO-8601 date-time (``Z`` or offset; naive means UTC) or a date (midnight UTC)."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidTimestamp(text) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()
