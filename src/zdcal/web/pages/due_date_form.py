"""The admin's "how due dates are read" choice as the page shows it: one option per
reading, each with the day the account's own example task would be shown on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from zdcal.domain import DueDateReading
from zdcal.sync.due_dates import DueDateExample

_LABELS = {
    DueDateReading.AGENT_ZONE: "The date in each agent's own time zone (zdcal's default)",
    DueDateReading.ACCOUNT_ZONE: "The date in the account's time zone",
    DueDateReading.UTC: "The date in UTC",
}
_HINTS = {
    DueDateReading.AGENT_ZONE: "Right when due_at is a real moment. If Zendesk stores a picked "
    "date as noon UTC, agents east of UTC+12 see tasks a day late; as midnight UTC, agents "
    "west of UTC a day early.",
    DueDateReading.ACCOUNT_ZONE: "The same day for every agent. Right when Zendesk stores a "
    "picked date at a time of day in the account's time zone.",
    DueDateReading.UTC: "The same day for every agent. Right when Zendesk stores a picked date "
    "at a fixed time of day in UTC (noon UTC, say).",
}


def day_text(day: date) -> str:
    """``Wed 1 May 2030``: unambiguous in every locale, without a leading zero."""
    return f"{day:%a} {day.day} {day:%b %Y}"


@dataclass(frozen=True)
class DueDateChoice:
    """One option of the form."""

    value: str
    label: str
    hint: str
    checked: bool
    example_day: str | None  # the day the example task is shown on under this reading


def due_date_choices(
    in_effect: DueDateReading, account_time_zone: str | None, example: DueDateExample | None
) -> list[DueDateChoice]:
    """The form's options, the reading in effect checked."""
    choices = []
    for reading in DueDateReading:
        label = _LABELS[reading]
        if reading is DueDateReading.ACCOUNT_ZONE:
            label += f" ({account_time_zone or 'not read from Zendesk yet'})"
        day = example.shown_on.get(reading) if example else None
        choices.append(DueDateChoice(reading.value, label, _HINTS[reading],
                                     reading is in_effect,
                                     day_text(day) if day else None))
    return choices


def reading_label(reading: DueDateReading) -> str:
    """How a saved choice is named back to the admin."""
    label = _LABELS[reading].removesuffix(" (zdcal's default)")
    return label[0].lower() + label[1:]
