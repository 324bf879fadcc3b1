"""What the ticket sidebar says about one ticket, read from zdcal's own mirror and
records (never from what the browser says about the ticket, beyond its id)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo

from zdcal.live.services import Services
from zdcal.store import Account, AgentStatus
from zdcal.sync.due_dates import account_info
from zdcal.web.pages.failure_words import failure_sentence, retry_words
from zdcal.web.pages.local_times import day_words

OPEN_STATUSES = ("new", "open", "pending", "hold")


@dataclass(frozen=True)
class TicketStatus:
    """The sidebar's answer: ``state`` names a style (on-calendar, kept-off, failed,
    waiting, off), ``words`` say it plainly; ``connect``: offer "connect my calendar" (the
    viewer's calendar takes no events: none linked, none chosen, or the link broke);
    ``ready``: the viewer's calendar takes events (the app stops waiting for a connect)."""

    ticket_id: int
    state: str
    words: str
    whose: str | None = None
    date: str | None = None
    connect: bool = False
    ready: bool = False

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


async def ticket_status(
    services: Services, account: Account, viewer_id: int, ticket_id: int
) -> TicketStatus:
    """Whether ``ticket_id`` is on a calendar, whose and which date, or why not."""
    async with services.store.transaction() as tx:
        ticket = (await tx.tickets.get_many(account.id, [ticket_id])).get(ticket_id)
        viewer = await tx.agents.get_by_user(account.id, viewer_id)
        assignee = (
            await tx.agents.get_by_user(account.id, ticket.assignee_id)
            if ticket is not None and ticket.assignee_id is not None else None
        )
        entries = await tx.entries.for_tickets(account.id, [ticket_id])
        failures = [f for f in await tx.failures.for_account(account.id)
                    if f.ticket_id == ticket_id]
        kept_off = await tx.suppressions.for_tickets(account.id, [ticket_id])
    ready = viewer is not None and viewer.can_receive_events

    def said(state: str, words: str, **more: Any) -> TicketStatus:
        return TicketStatus(ticket_id, state, words, connect=not ready, ready=ready, **more)

    if ticket is None or ticket.type != "task":
        return said("off", "Not on a calendar: this ticket is not a task.")
    if ticket.status not in OPEN_STATUSES:
        return said("off", f"Not on a calendar: the task is {ticket.status}.")
    if ticket.due_at is None:
        return said("off", "Not on a calendar: the task has no due date.")
    if ticket.assignee_id is None:
        return said("off", "Not on a calendar: the task has no assignee.")
    mine = ticket.assignee_id == viewer_id
    name = "your" if mine else (f"{assignee.name}'s" if assignee else "the assignee's")
    if assignee is None or not assignee.has_credentials:
        return said("off", "Not on a calendar: " + (
            "connect your calendar." if mine
            else f"{assignee.name if assignee else 'the assignee'} has not connected a calendar."
        ))
    if assignee.status is AgentStatus.ACTIVE and assignee.calendar_id is None:
        return said("off", "Not on a calendar: " + (
            "choose the calendar your tasks go to." if mine
            else f"{assignee.name} has not chosen a calendar yet."
        ))
    zone = ZoneInfo(assignee.effective_time_zone)
    date = day_words(account_info(account).due_dates.due_date(ticket.due_at, zone))
    whose = f"{name} calendar"
    if failures:
        failure, now = failures[0], services.clock.now()
        words = (f"Not on {whose}. {failure_sentence(failure.kind)} "
                 f"{retry_words(failure.next_retry_at, ZoneInfo(_viewer_zone(viewer)), now)}")
        return said("failed", words, whose=whose, date=date)
    if kept_off:
        who = "you" if mine else assignee.name
        return said("kept-off", f"Kept off {whose}: {who} deleted its event.", whose=whose,
                    date=date)
    if any(e.agent_id == ticket.assignee_id for e in entries):
        where = f": {assignee.calendar_name}" if assignee.calendar_name else ""
        return said("on-calendar", f"On {whose}{where}.", whose=whose, date=date)
    return said("waiting", f"Being written to {whose}.", whose=whose, date=date)


def _viewer_zone(viewer: Any) -> str:
    zone: str = viewer.effective_time_zone if viewer is not None else "Etc/UTC"
    return zone
