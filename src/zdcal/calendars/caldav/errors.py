"""Typed CalDAV failures, each worded for the person who can fix it.

Messages name the method and path, never a header, a password or the calendar data.
"""

from __future__ import annotations


class CalDAVError(Exception):
    """Any failure talking to a CalDAV server; ``status`` is the HTTP status, if any."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AuthenticationFailed(CalDAVError):
    """401: the server refused the username or the (app) password."""


class AccessDenied(CalDAVError):
    """403 on a read: the account may not see this resource."""


class NotCalDAV(CalDAVError):
    """The server answered, but not as a CalDAV server (no WebDAV, no principal, no
    calendar home)."""


class TLSFailure(CalDAVError):
    """The TLS handshake failed: an untrusted, expired or mismatched certificate."""


class Unreachable(CalDAVError):
    """No answer at all: the host does not resolve, refuses connections or times out."""


class CalendarGone(CalDAVError):
    """404 or 410 for the calendar collection: it was deleted or is no longer shared."""


class ObjectChanged(CalDAVError):
    """412 (or an object that vanished under an ``If-Match``): someone changed the
    object since we last read it. Re-read it and decide again."""


class Rejected(CalDAVError):
    """The server refused an object for good (400, 403, 409, 415 on a write); ``reason``
    holds the precondition it named (e.g. ``valid-calendar-data``), if any."""

    def __init__(self, message: str, *, status: int | None = None, reason: str | None = None):
        super().__init__(message, status=status)
        self.reason = reason


class SyncTokenInvalid(CalDAVError):
    """The server no longer accepts our sync token (RFC 6578 ``valid-sync-token``)."""


class ServerError(CalDAVError):
    """5xx or 429 that outlasted the retry policy, or an answer we cannot read."""
