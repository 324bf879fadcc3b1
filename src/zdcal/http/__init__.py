"""The one way zdcal talks HTTP to remote APIs: a bounded retry policy and budgets that pace it.

The Zendesk, Cronofy and CalDAV clients send every request through :func:`send`, held by
one :class:`zdcal.http.remote.RemoteApi` each, so the rules for what is retried, how long
we wait and when we give up live in one place.
"""

from zdcal.http.budgets import Budgets, RateBudget, WorkClass, working
from zdcal.http.pacing import Rate
from zdcal.http.retry import RetryPolicy, parse_retry_after, send

__all__ = [
    "Budgets", "Rate", "RateBudget", "RetryPolicy", "WorkClass", "parse_retry_after", "send",
    "working",
]
