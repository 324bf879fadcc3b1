"""Why a task's event could not be written, in the words an agent reads: the one place
where failure kinds become sentences (the detail stays in the admin's ``reason``)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from zdcal.calendars.base import FailureKind
from zdcal.web.pages.local_times import moment_words

FAILURE_SENTENCES: dict[FailureKind, str] = {
    FailureKind.UNAVAILABLE: "Your calendar service did not answer.",
    FailureKind.CALENDAR_GONE: (
        "The calendar you chose no longer exists, or zdcal may no longer write to it: "
        "choose another calendar."
    ),
    FailureKind.REJECTED: "Your calendar refused this event.",
    FailureKind.UNKNOWN: "Your calendar did not take this event.",
}


def failure_sentence(kind: str | None) -> str:
    """The plain sentence for a stored failure kind (unknown kinds get the general one)."""
    try:
        return FAILURE_SENTENCES[FailureKind(kind or FailureKind.UNKNOWN)]
    except ValueError:
        return FAILURE_SENTENCES[FailureKind.UNKNOWN]


def retry_words(next_retry_at: datetime | None, zone: ZoneInfo, now: datetime) -> str:
    """When zdcal tries again, in the reader's zone: "zdcal tries again at 14:05"."""
    if next_retry_at is None or next_retry_at <= now:
        return "zdcal is trying again now."
    when = moment_words(next_retry_at, zone, now)
    if when[0].isdigit():
        when = f"at {when}"  # today
    elif not when.startswith("tomorrow"):
        when = f"on {when}"
    return f"zdcal tries again {when}."
