"""The agent's own open tasks as their page lists them: each with its ticket link, subject,
due date (read by the account's due-date rule, in the agent's zone, as the events are) and
what became of its event, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from zdcal.domain import AccountInfo, agent_link, parse_id
from zdcal.live.services import Services
from zdcal.store import Account, Agent, AgentStatus, AgentTask, AgentTaskPage
from zdcal.sync.due_dates import account_info
from zdcal.web.pages.errors import BadPageRequest
from zdcal.web.pages.failure_words import failure_sentence, retry_words
from zdcal.web.pages.local_times import day_words

TASKS_PER_PAGE = 20  # the settings below stay within reach in Zendesk's sidebar


@dataclass(frozen=True)
class TaskRow:
    """One line of the list: the task and its state in words (``state`` names a style)."""

    ticket_id: int
    link: str
    subject: str
    due: str
    state: str  # on-calendar, kept-off, failed, waiting
    words: str


@dataclass(frozen=True)
class TaskList:
    """One page of the agent's open tasks and the counts over all of them."""

    rows: list[TaskRow]
    total: int
    on_calendar: int
    failing: int
    kept_off: int
    page: int
    pages: int

    @property
    def first(self) -> int:
        """The position of the page's first task (1-based)."""
        return (self.page - 1) * TASKS_PER_PAGE + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


def page_number(text: str | None) -> int:
    """The ``page`` query parameter: a whole number from 1; a clear 400 otherwise."""
    if text is None or text == "":
        return 1
    number = parse_id(text) if len(text) <= 9 else None
    if number is None:
        raise BadPageRequest("The task list has pages 1, 2, 3 and so on.")
    return number


async def task_list(
    services: Services, account: Account, agent: Agent, zone: ZoneInfo, page: int,
    *, subscribed: bool = False,
) -> TaskList:
    """Page ``page`` of the agent's open tasks (the last page when asked for more).
    ``subscribed``: the agent has a calendar subscription, which holds every task with a
    due date."""
    found = await _read(services, account, agent, page)
    if not found.tasks and page > 1:
        # Past the end (the list shrank, or a typed address): the counts come with a row.
        found = await _read(services, account, agent, 1)
        page = _pages(found.total)
        if page > 1:
            found = await _read(services, account, agent, page)
    pages = _pages(found.total)
    now = services.clock.now()
    info = account_info(account)
    return TaskList(
        rows=[_row(task, info, agent, zone, now, subscribed) for task in found.tasks],
        total=found.total,
        on_calendar=found.on_calendar,
        failing=found.failing,
        kept_off=found.kept_off,
        page=page,
        pages=pages,
    )


def _pages(total: int) -> int:
    return max(1, -(-total // TASKS_PER_PAGE))


async def _read(services: Services, account: Account, agent: Agent, page: int) -> AgentTaskPage:
    async with services.store.transaction() as tx:
        return await tx.agent_tasks.page(
            account.id, agent.zendesk_user_id, agent.calendar_id,
            limit=TASKS_PER_PAGE, offset=(page - 1) * TASKS_PER_PAGE,
        )


def _row(task: AgentTask, info: AccountInfo, agent: Agent, zone: ZoneInfo,
         now: datetime, subscribed: bool) -> TaskRow:
    due = (
        day_words(info.due_dates.due_date(task.due_at, zone))
        if task.due_at is not None else "no due date"
    )
    state, words = _state(task, agent, zone, now, subscribed)
    return TaskRow(
        ticket_id=task.ticket_id,
        link=agent_link(info, task.ticket_id),
        subject=task.subject or f"Task #{task.ticket_id}",
        due=due,
        state=state,
        words=words,
    )


def _state(
    task: AgentTask, agent: Agent, zone: ZoneInfo, now: datetime, subscribed: bool
) -> tuple[str, str]:
    if task.due_at is None:
        return "waiting", "Not on your calendar: it has no due date."
    if task.failure_kind is not None:
        lead = "Not updated on your calendar" if task.on_calendar else "Not on your calendar"
        sentence = failure_sentence(task.failure_kind)
        return "failed", f"{lead}. {sentence} {retry_words(task.next_retry_at, zone, now)}"
    if task.kept_off_since is not None:
        return "kept-off", "Kept off your calendar: you deleted its event."
    if task.on_calendar:
        return "on-calendar", "On your calendar."
    if not agent.has_credentials and subscribed:
        return "on-calendar", "In your calendar subscription."
    if not agent.has_credentials:
        return "waiting", "Not on a calendar: connect one."
    if agent.status is AgentStatus.NEEDS_RECONNECT:
        return "waiting", "Waiting: reconnect your calendar."
    if agent.calendar_id is None:
        return "waiting", "Waiting for your choice of calendar."
    return "waiting", "Being written to your calendar."


@dataclass(frozen=True)
class FailureLine:
    """A task whose latest write to the agent's calendar failed, in plain words."""

    ticket_id: int
    link: str
    words: str


async def recent_failures(
    services: Services, account: Account, agent: Agent, zone: ZoneInfo, *, limit: int
) -> list[FailureLine]:
    """The agent's most recent failures (at most ``limit``), said plainly, times in ``zone``."""
    async with services.store.transaction() as tx:
        failures = await tx.failures.for_agent(account.id, agent.zendesk_user_id, limit=limit)
    now, info = services.clock.now(), account_info(account)
    return [
        FailureLine(
            f.ticket_id, agent_link(info, f.ticket_id),
            f"{failure_sentence(f.kind)} {retry_words(f.next_retry_at, zone, now)}",
        )
        for f in failures
    ]
