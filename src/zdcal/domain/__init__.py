"""The product's rules, free of I/O: which Zendesk tickets become which calendar events.

Read in this order:

* :mod:`~zdcal.domain.ticket`: which tickets are open tasks (type, status, due date, assignee);
* :mod:`~zdcal.domain.agent`: who can receive events, in which calendar, in which style;
* :mod:`~zdcal.domain.two_way`: whether an agent's calendar changes update Zendesk;
* :mod:`~zdcal.domain.ids`: ids written as text (ASCII digits only);
* :mod:`~zdcal.domain.account`: the account key, event ids and agent links;
* :mod:`~zdcal.domain.due_dates`: which date a ``due_at`` stands for (the account's reading);
* :mod:`~zdcal.domain.event_time` and :mod:`~zdcal.domain.event`: the Cronofy event body;
* :mod:`~zdcal.domain.entries`: desired and recorded entries and their content hash;
* :mod:`~zdcal.domain.planner`: desired vs recorded -> deletes, then upserts;
* :mod:`~zdcal.domain.moves` and :mod:`~zdcal.domain.calendar_changes`: two-way, an
  agent's change in the calendar -> a new due date, the event put back, or kept off.

Nothing here reads a clock, a database, a file or the network.
"""

from zdcal.domain.account import (
    AccountInfo,
    account_key_from_entropy,
    agent_link,
    event_id_for,
    new_account_key,
    require_allowed_subdomain,
    ticket_id_of_event,
)
from zdcal.domain.agent import (
    AgentTarget,
    EventStyle,
    effective_time_zone,
    event_style_from_options,
)
from zdcal.domain.calendar_changes import (
    CalendarDecision,
    DeletedEvent,
    EventNow,
    EventSpan,
    HeldEvent,
    KeepOff,
    KeptOffBasis,
    NoChange,
    PutBack,
    PutBackReason,
    TwoWaySettings,
    UpdateDueDate,
    WrittenEvent,
    entry_as_moved,
    is_move,
    plan_calendar_change,
    refused_update,
    still_kept_off,
    zendesk_wins,
)
from zdcal.domain.due_dates import DueDateReading, DueDateRule, due_date_reading
from zdcal.domain.entries import (
    DesiredEntry,
    RecordedEntry,
    content_hash,
    desired_entries,
    desired_entry,
)
from zdcal.domain.errors import (
    DomainError,
    DuplicateDesiredEntry,
    InvalidAccountKey,
    InvalidAgentTarget,
    InvalidDueDateRule,
    InvalidEventStyle,
    InvalidSubdomain,
    InvalidTicket,
    InvalidTwoWayChoice,
    SubdomainNotAllowed,
    UnknownTimeZone,
)
from zdcal.domain.event import event_body
from zdcal.domain.event_time import parse_event_time, same_event_time
from zdcal.domain.ids import parse_id
from zdcal.domain.moves import moved_due_at
from zdcal.domain.planner import Action, Delete, Upsert, plan, plan_for_tickets
from zdcal.domain.ticket import (
    TicketState,
    is_open_task,
    is_open_task_status,
    ticket_state_from_api,
)
from zdcal.domain.two_way import TwoWayChoice, describe_two_way, two_way_in_effect

__all__ = [
    "AccountInfo",
    "Action",
    "AgentTarget",
    "CalendarDecision",
    "Delete",
    "DeletedEvent",
    "DesiredEntry",
    "DomainError",
    "DueDateReading",
    "DueDateRule",
    "DuplicateDesiredEntry",
    "EventNow",
    "EventSpan",
    "EventStyle",
    "HeldEvent",
    "InvalidAccountKey",
    "InvalidAgentTarget",
    "InvalidDueDateRule",
    "InvalidEventStyle",
    "InvalidSubdomain",
    "InvalidTicket",
    "InvalidTwoWayChoice",
    "KeepOff",
    "KeptOffBasis",
    "NoChange",
    "PutBack",
    "PutBackReason",
    "RecordedEntry",
    "SubdomainNotAllowed",
    "TicketState",
    "TwoWayChoice",
    "TwoWaySettings",
    "UnknownTimeZone",
    "UpdateDueDate",
    "Upsert",
    "WrittenEvent",
    "account_key_from_entropy",
    "agent_link",
    "content_hash",
    "describe_two_way",
    "desired_entries",
    "desired_entry",
    "due_date_reading",
    "effective_time_zone",
    "entry_as_moved",
    "event_body",
    "event_id_for",
    "event_style_from_options",
    "is_move",
    "is_open_task",
    "is_open_task_status",
    "moved_due_at",
    "new_account_key",
    "parse_event_time",
    "parse_id",
    "plan",
    "plan_calendar_change",
    "plan_for_tickets",
    "refused_update",
    "require_allowed_subdomain",
    "same_event_time",
    "still_kept_off",
    "ticket_id_of_event",
    "ticket_state_from_api",
    "two_way_in_effect",
    "zendesk_wins",
]
