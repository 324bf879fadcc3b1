"""What can be wrong with the inputs of the domain rules.

Every error the domain raises derives from :class:`DomainError` and from ``ValueError``
(bad values, never broken I/O), so the edge can map each class to one message for a user.
"""

from __future__ import annotations


class DomainError(ValueError):
    """A value handed to the domain rules breaks one of them."""


class InvalidAccountKey(DomainError):
    """An account key that could not be part of a Cronofy ``event_id``."""


class InvalidSubdomain(DomainError):
    """A Zendesk subdomain that could not be part of a ``https://<subdomain>.zendesk.com`` link."""


class SubdomainNotAllowed(DomainError):
    """A Zendesk subdomain outside the operator's list of the accounts that may connect."""


class InvalidEventStyle(DomainError):
    """Per-agent event options outside what Cronofy accepts (duration, reminders, time)."""


class InvalidAgentTarget(DomainError):
    """An agent target without the calendar its events must go to."""


class InvalidTwoWayChoice(DomainError):
    """A submitted two-way setting that is none of "on", "off", "default"."""


class UnknownTimeZone(DomainError):
    """A time zone that is not an IANA identifier known to this machine's tz database."""


class InvalidTicket(DomainError):
    """A Zendesk ticket payload that lacks a field the rules need, or has one of the wrong type."""


class DuplicateDesiredEntry(DomainError):
    """Two desired entries share one ``event_id``: a ticket can want only one event."""


class InvalidDueDateRule(DomainError):
    """An unknown due-date reading, or the account-zone reading without the account's zone."""
