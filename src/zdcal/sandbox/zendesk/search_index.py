"""What search sees: the live tickets, except changes still inside the indexing lag.

Changes younger than the lag are hidden by an overlay that keeps, per ticket, the last
version search has indexed (or "absent" for a ticket not indexed yet). With no lag the
overlay stays empty and search reads the live store directly.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from zdcal.sandbox.zendesk.model import Ticket
from zdcal.sandbox.zendesk.tickets import TicketStore


@dataclass
class _Pending:
    visible_at: float
    ticket_id: int
    version: Ticket


class SearchIndex:
    """The searchable view of a TicketStore, lagging by ``lag_seconds``."""

    def __init__(self, store: TicketStore, lag_seconds: Callable[[], float]) -> None:
        self.store = store
        self.lag_seconds = lag_seconds
        self._indexed: dict[int, Ticket | None] = {}
        self._pending: deque[_Pending] = deque()
        self._pending_count: dict[int, int] = {}
        store.listeners.append(self._on_change)

    def _on_change(self, before: Ticket | None, ticket: Ticket, now: int) -> None:
        lag = self.lag_seconds()
        if lag <= 0 and ticket.id not in self._pending_count:
            return
        if ticket.id not in self._indexed:
            self._indexed[ticket.id] = before
        self._pending.append(_Pending(now + lag, ticket.id, ticket.snapshot()))
        self._pending_count[ticket.id] = self._pending_count.get(ticket.id, 0) + 1

    def catch_up(self, now: float) -> None:
        """Index every change whose lag has passed."""
        while self._pending and self._pending[0].visible_at <= now:
            item = self._pending.popleft()
            left = self._pending_count[item.ticket_id] - 1
            if left:
                self._pending_count[item.ticket_id] = left
                self._indexed[item.ticket_id] = item.version
            else:
                del self._pending_count[item.ticket_id]
                self._indexed.pop(item.ticket_id, None)

    def reindex_now(self) -> None:
        """End the lag: everything becomes searchable at once."""
        self._pending.clear()
        self._pending_count.clear()
        self._indexed.clear()

    def clear(self) -> None:
        """Forget the overlay (sandbox reset)."""
        self.reindex_now()

    def visible(self, now: float) -> Iterator[Ticket]:
        """Tickets search finds now. Deleted tickets are never found, lag or not."""
        self.catch_up(now)
        indexed = self._indexed
        for ticket in self.store.tickets.values():
            if ticket.deleted_at is not None:
                continue
            if ticket.id in indexed:
                version = indexed[ticket.id]
                if version is not None and version.deleted_at is None:
                    yield version
                continue
            yield ticket
