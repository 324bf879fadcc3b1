"""The use-cases' own refusals: a small hierarchy both adapters turn into words (a page
message, a click error). They are ``ValueError``s, like the domain's, so the CLI's one
mapping of expected failures already shows them as a plain line."""

from __future__ import annotations


class UseCaseError(ValueError):
    """An act that cannot be done as asked; the message says why, in the user's words."""


class NotFound(UseCaseError):
    """The account or agent the act names does not exist (or not in this account)."""


class AgentNotFound(NotFound):
    """No such agent in the account."""
