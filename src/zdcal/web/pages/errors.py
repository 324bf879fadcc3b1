"""What can go wrong on a page, each with the status and plain words the visitor sees."""

from __future__ import annotations


class PageError(Exception):
    """A refusal shown as a page: ``status``, a short ``title`` and a plain ``message``."""

    status = 400
    title = "Something went wrong"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CsrfRejected(PageError):
    status = 403
    title = "This form expired"


class FormRefused(PageError):
    """A posted body zdcal will not parse: too large (413), cut off (400), not a form (400)."""

    title = "This form could not be read"

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class OAuthStateMismatch(PageError):
    status = 400
    title = "This sign-in was not started here"


class OAuthDenied(PageError):
    status = 400
    title = "Access was not granted"


class NotSignedIn(PageError):
    status = 401
    title = "Please sign in"


class NotAnAgent(PageError):
    status = 403
    title = "Agents only"


class NotAnAdmin(PageError):
    status = 403
    title = "Zendesk admins only"


class AccountUnknown(PageError):
    status = 404
    title = "Unknown Zendesk account"


class ConnectRefused(PageError):
    status = 400
    title = "The account could not be connected"


class CalendarProblem(PageError):
    status = 502
    title = "The calendar could not be reached"


class BadPageRequest(PageError):
    status = 400
    title = "This page address is not right"
