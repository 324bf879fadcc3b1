"""Which calendar backend serves an agent, in the words the pages and the CLI use.

(A registered backend's ``title`` says the same, but needs the backend built; these
words are for lists of agents, where nothing is built.)"""

from __future__ import annotations

from zdcal.store import Agent

BACKEND_WORDS = {
    "cronofy": "Cronofy", "caldav": "CalDAV", "google": "Google Calendar",
    "microsoft": "Microsoft 365",
}
"""Each writing backend's name for people (``agents.calendar_backend`` → words)."""

SUBSCRIPTION_WORDS = "Calendar subscription (ICS)"
NOTHING_YET = "Nothing yet"


def served_by(agent: Agent, subscribed: bool) -> str:
    """"Cronofy", "CalDAV", "Calendar subscription (ICS)", both ("Cronofy and a calendar
    subscription (ICS)"), or nothing yet. A writing backend serves an agent from the
    moment they linked an account (while it needs reconnecting too)."""
    writing = (
        BACKEND_WORDS.get(agent.calendar_backend, agent.calendar_backend)
        if agent.has_credentials else None
    )
    if writing and subscribed:
        return f"{writing} and a calendar subscription (ICS)"
    return writing or (SUBSCRIPTION_WORDS if subscribed else NOTHING_YET)
