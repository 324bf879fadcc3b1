"""Model-based: random histories of ticket and agent changes, then one sync; every
calendar must then hold exactly what the rules say for Zendesk's current state. With
Cronofy agents (the simulator), with CalDAV agents on a real Radicale, and with Google
Calendar agents (the simulator)."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from caldav_world import open_caldav_world
from google_world import open_google_world
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from microsoft_world import open_microsoft_world
from world import KENJI, LENA, NIA, World, open_world

from caldav_backend.caldav_servers import CalDAVServer

NAMES = [("ada", "work"), ("ada", "tasks"), ("bob", "work"), ("bob", "tasks")]
OWNER = {NIA: "ada", KENJI: "bob"}
ASSIGNEES = st.sampled_from([NIA, KENJI, LENA, None])
DUE = st.builds(
    lambda day, time: f"2030-04-{day:02d}T{time}Z",
    st.integers(1, 28),
    st.sampled_from(["00:30:00", "12:00:00", "23:30:00"]),
)

Step = tuple[str, ...] | tuple[object, ...]
STEPS = st.one_of(
    st.tuples(st.just("create"), ASSIGNEES, DUE, st.sampled_from(["task", "task", "question"])),
    st.tuples(st.just("redate"), st.integers(0, 20), DUE),
    st.tuples(st.just("reassign"), st.integers(0, 20), ASSIGNEES),
    st.tuples(st.just("retype"), st.integers(0, 20), st.sampled_from(["task", "incident"])),
    st.tuples(st.just("solve"), st.integers(0, 20)),
    st.tuples(st.just("close"), st.integers(0, 20)),
    st.tuples(st.just("delete"), st.integers(0, 20)),
    st.tuples(st.just("restore"), st.integers(0, 20)),
    st.tuples(st.just("connect"), st.sampled_from([NIA, KENJI])),
    st.tuples(st.just("disconnect"), st.sampled_from([NIA, KENJI])),
    st.tuples(st.just("switch"), st.sampled_from([NIA, KENJI]), st.sampled_from(["work", "tasks"])),
    st.tuples(st.just("sync")),
)


@dataclass
class Model:
    """What the test knows about the tickets, to only ask Zendesk for valid changes."""

    tickets: list[int] = field(default_factory=list)
    status: dict[int, str] = field(default_factory=dict)
    connected: set[int] = field(default_factory=set)

    def pick(self, index: int) -> int | None:
        return self.tickets[index % len(self.tickets)] if self.tickets else None


def play(world: World, model: Model, step: tuple[object, ...]) -> None:
    kind = step[0]
    if kind == "create":
        _, assignee, due_at, ticket_type = step
        ticket = world.create_task(assignee, str(due_at), type=str(ticket_type))  # type: ignore[arg-type]
        model.tickets.append(ticket)
        model.status[ticket] = "open"
    elif kind in ("redate", "reassign", "retype", "solve", "close", "delete", "restore"):
        ticket = model.pick(int(step[1]))  # type: ignore[call-overload]
        if ticket is None:
            return
        status = model.status[ticket]
        if kind == "restore":
            if status == "deleted":
                world.restore(ticket)
                model.status[ticket] = "open"
        elif status in ("closed", "deleted"):
            return
        elif kind == "redate":
            world.update(ticket, due_at=step[2])
        elif kind == "reassign":
            world.update(ticket, assignee_id=step[2])
        elif kind == "retype":
            fields = {"type": step[2]}
            if step[2] == "task":
                fields["due_at"] = "2030-04-15T12:00:00Z"
            world.update(ticket, **fields)
        elif kind == "solve":
            world.update(ticket, status="solved")
            model.status[ticket] = "solved"
        elif kind == "close":
            if status == "solved":
                world.close(ticket)
                model.status[ticket] = "closed"
        elif kind == "delete":
            world.delete(ticket)
            model.status[ticket] = "deleted"
    elif kind == "connect":
        user = int(step[1])  # type: ignore[call-overload]
        world.connect(user, OWNER[user])
        model.connected.add(user)
    elif kind == "disconnect":
        user = int(step[1])  # type: ignore[call-overload]
        if user in model.connected:
            world.disconnect(user)
            model.connected.discard(user)
    elif kind == "switch":
        user = int(step[1])  # type: ignore[call-overload]
        if user in model.connected:
            world.switch(user, world.calendar(OWNER[user], str(step[2])))
    elif kind == "sync":
        world.sync()


@settings(
    max_examples=int(os.environ.get("ZDCAL_MODEL_EXAMPLES", "12")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=st.lists(STEPS, min_size=1, max_size=25))
def test_after_a_sync_every_calendar_equals_the_rules(
    tmp_path: Path, history: list[tuple[object, ...]]
) -> None:
    data_dir = tmp_path / uuid.uuid4().hex
    with open_world(data_dir, f"sqlite+aiosqlite:///{data_dir / 'zdcal.db'}") as world:
        replay(world, history)


def replay(world: World, history: list[tuple[object, ...]]) -> None:
    model = Model()
    for step in history:
        play(world, model, step)
    world.sync()
    calendars = [world.calendar(owner, name) for owner, name in NAMES]
    assert world.all_managed(calendars) == world.expected(calendars)


@pytest.mark.parametrize("caldav_server_running", ["radicale"], indirect=True)
@settings(
    max_examples=int(os.environ.get("ZDCAL_CALDAV_MODEL_EXAMPLES", "5")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=st.lists(STEPS, min_size=1, max_size=20))
def test_after_a_sync_every_caldav_calendar_equals_the_rules(
    tmp_path: Path, caldav_server_running: CalDAVServer, history: list[tuple[object, ...]]
) -> None:
    data_dir = tmp_path / uuid.uuid4().hex
    url = f"sqlite+aiosqlite:///{data_dir / 'zdcal.db'}"
    with open_caldav_world(data_dir, url, caldav_server_running) as world:
        replay(world, history)


@settings(
    max_examples=int(os.environ.get("ZDCAL_GOOGLE_MODEL_EXAMPLES", "5")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=st.lists(STEPS, min_size=1, max_size=20))
def test_after_a_sync_every_google_calendar_equals_the_rules(
    tmp_path: Path, history: list[tuple[object, ...]]
) -> None:
    data_dir = tmp_path / uuid.uuid4().hex
    with open_google_world(data_dir, f"sqlite+aiosqlite:///{data_dir / 'zdcal.db'}") as world:
        replay(world, history)


@settings(
    max_examples=int(os.environ.get("ZDCAL_MICROSOFT_MODEL_EXAMPLES", "5")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=st.lists(STEPS, min_size=1, max_size=20))
def test_after_a_sync_every_microsoft_calendar_equals_the_rules(
    tmp_path: Path, history: list[tuple[object, ...]]
) -> None:
    data_dir = tmp_path / uuid.uuid4().hex
    url = f"sqlite+aiosqlite:///{data_dir / 'zdcal.db'}"
    with open_microsoft_world(data_dir, url) as world:
        replay(world, history)
