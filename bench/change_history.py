"""A simulated Zendesk history: a starting set of tickets and a seeded list of changes,
about 5% of which touch tasks. Every run replays the same history on a fresh simulator,
so zdcal and the baseline face exactly the same changes."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from simulators import SimulatorProcess

DUE_BASE = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)
TASKS_PER_AGENT = 5
NON_TASK_TICKETS = 1_500
TASK_KINDS = (  # kind, weight
    ("create task", 25),
    ("re-date", 25),
    ("reassign", 20),
    ("solve", 15),
    ("retype task to question", 7.5),
    ("retype question to task", 7.5),
)
PRIORITIES = ("low", "normal", "high", "urgent")


def due_text(hours: int) -> str:
    return (DUE_BASE + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Change:
    """One change to one ticket. ``create`` makes a new task (``fields`` say how)."""

    kind: str
    ticket_id: int
    fields: dict[str, Any]
    touches_task: bool

    @property
    def create(self) -> bool:
        return self.kind == "create task"


@dataclass
class History:
    """The starting tickets (made in bulk) and the changes that follow."""

    agent_ids: list[int]
    open_tasks: int
    non_tasks: int
    changes: list[Change] = field(default_factory=list)

    def kinds(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for change in self.changes:
            counted[change.kind] = counted.get(change.kind, 0) + 1
        return counted


def build_history(agent_ids: list[int], changes: int, task_share: float, seed: int) -> History:
    """Starting tickets: TASKS_PER_AGENT open tasks per agent, then NON_TASK_TICKETS others
    (ids follow in that order from 1). Then ``changes`` changes, ``task_share`` of them on
    tasks, chosen from a local model of the tickets so that each one is valid."""
    rng = random.Random(seed)
    history = History(agent_ids, TASKS_PER_AGENT * len(agent_ids), NON_TASK_TICKETS)
    tasks: dict[int, int] = {  # open task -> assignee (bulk assigns round-robin)
        i + 1: agent_ids[i % len(agent_ids)] for i in range(history.open_tasks)
    }
    others = list(range(history.open_tasks + 1, history.open_tasks + NON_TASK_TICKETS + 1))
    next_id = history.open_tasks + NON_TASK_TICKETS + 1
    kinds, weights = zip(*TASK_KINDS, strict=True)
    for _ in range(changes):
        if rng.random() >= task_share:
            ticket = rng.choice(others)
            fields: dict[str, Any] = (
                {"priority": rng.choice(PRIORITIES)} if rng.random() < 0.6
                else {"status": rng.choice(("open", "pending"))}
            )
            history.changes.append(Change("non-task update", ticket, fields, False))
            continue
        kind = rng.choices(kinds, weights)[0]
        due = due_text(rng.randrange(24 * 60))
        if kind == "create task":
            assignee = rng.choice(agent_ids)
            history.changes.append(Change(kind, next_id, {"assignee": assignee, "due_at": due},
                                          True))
            tasks[next_id] = assignee
            next_id += 1
            continue
        if kind == "retype question to task":
            ticket = others.pop(rng.randrange(len(others)))
            assignee = rng.choice(agent_ids)
            history.changes.append(Change(kind, ticket, {"type": "task", "due_at": due,
                                                         "assignee_id": assignee}, True))
            tasks[ticket] = assignee
            continue
        ticket = rng.choice(sorted(tasks))
        if kind == "re-date":
            fields = {"due_at": due}
        elif kind == "reassign":
            fields = {"assignee_id": rng.choice([a for a in agent_ids if a != tasks[ticket]])}
            tasks[ticket] = fields["assignee_id"]
        elif kind == "solve":
            fields = {"status": "solved"}
            del tasks[ticket]
        else:  # retype task to question
            fields = {"type": "question"}
            del tasks[ticket]
            others.append(ticket)
        history.changes.append(Change(kind, ticket, fields, True))
    return history


def seed_tickets(sims: SimulatorProcess, history: History) -> None:
    """Create the starting tickets in the (fresh) Zendesk simulator."""
    first, _ = sims.bulk_tickets(
        history.open_tasks, type="task", status="open", assignee_ids=history.agent_ids,
        due_at_start=due_text(0), due_step_seconds=1800,
    )
    if first != 1:
        raise RuntimeError("the Zendesk simulator must be fresh: ticket ids start at 1")
    sims.bulk_tickets(history.non_tasks, type="question", status="open",
                      assignee_ids=history.agent_ids)


def apply_change(sims: SimulatorProcess, change: Change) -> None:
    """Make the change in Zendesk (control API: not counted as API requests)."""
    if change.create:
        first, _ = sims.bulk_tickets(
            1, type="task", status="open", assignee_ids=[change.fields["assignee"]],
            due_at_start=change.fields["due_at"],
        )
        if first != change.ticket_id:
            raise RuntimeError(f"expected ticket {change.ticket_id}, Zendesk made {first}")
        return
    sims.change_ticket(change.ticket_id, change.fields)
