"""Outlook's per-mailbox limits, kept on zdcal's side: at most 4 requests in flight and
10,000 requests in any 10 minutes per app and mailbox (Graph's throttling limits).

Both are budgets shared by the cluster (:mod:`zdcal.http.budgets`): the mailbox's rate
(every request inside a ``$batch`` counts) and its concurrency slots (a ``$batch`` takes
as many as Outlook runs of it at once), held until the response came back, or for at
most :data:`zdcal.http.budgets.HOLD_SECONDS` if the holder dies.
"""

from __future__ import annotations

from zdcal.http.budgets import Budgets, ConcurrencyBudget, RateBudget, scope_of
from zdcal.http.pacing import Rate

CONCURRENT_REQUESTS = 4
"""Outlook's limit of concurrent requests per app and mailbox."""
WINDOW_SECONDS = 600.0
MAILBOX_SCOPES = "microsoft:mailbox"
CONCURRENCY_SCOPES = "microsoft:mailbox-inflight"


class Mailbox:
    """One mailbox's limits."""

    def __init__(self, budgets: Budgets, key: str, requests_per_window: int) -> None:
        self.limiter: RateBudget = budgets.rate(
            scope_of(MAILBOX_SCOPES, key), (Rate(requests_per_window, WINDOW_SECONDS),)
        )
        self.slots: ConcurrencyBudget = budgets.concurrency(
            scope_of(CONCURRENCY_SCOPES, key), CONCURRENT_REQUESTS
        )


class Mailboxes:
    """The mailboxes' limits, by mailbox key."""

    def __init__(self, budgets: Budgets, requests_per_window: int) -> None:
        self._budgets = budgets
        self._rate = requests_per_window

    def get(self, key: str | None) -> Mailbox:
        """The mailbox ``key``'s limits; None (an account being linked): this process's
        own, not shared."""
        if key is None:
            return Mailbox(Budgets.local(), "linking", self._rate)
        return Mailbox(self._budgets, key, self._rate)
