"""The agents repository."""

from __future__ import annotations

from datetime import timedelta

import pytest

from zdcal.domain import RecordedEntry
from zdcal.store import (
    Agent,
    AgentNotFound,
    Agents,
    AgentStatus,
    CalDAVAccount,
    CalendarTokens,
    EventStyleOptions,
    Store,
)

from .conftest import ManualClock, add_account, add_agent

pytestmark = pytest.mark.anyio

USER = 361_234_567_890  # Zendesk user ids do not fit in 32 bits


async def _existing(agents: Agents, agent_id: int) -> Agent:
    agent = await agents.get(agent_id)
    assert agent is not None
    return agent


def _tokens(clock: ManualClock, suffix: str = "1") -> CalendarTokens:
    return CalendarTokens(
        access_token=f"cronofy-access-{suffix}",
        refresh_token=f"cronofy-refresh-{suffix}",
        expires_at=clock.now() + timedelta(hours=1),
    )


async def test_a_new_agent_starts_disconnected(store: Store, clock: ManualClock) -> None:
    account_id = await add_account(store)
    agent_id = await add_agent(store, account_id, USER)
    async with store.transaction() as tx:
        agent = await tx.agents.get(agent_id)
    assert agent is not None
    assert (agent.account_id, agent.zendesk_user_id, agent.name) == (account_id, USER, "Ann")
    assert agent.status is AgentStatus.DISCONNECTED
    assert agent.status_since == clock.now()
    assert agent.tokens is None
    assert agent.style == {}
    assert agent.effective_time_zone == "Europe/Berlin"
    assert not agent.can_receive_events


async def test_a_profile_refresh_keeps_the_connection(store: Store, clock: ManualClock) -> None:
    account_id = await add_account(store)
    agent_id = await add_agent(store, account_id, USER)
    async with store.transaction() as tx:
        await tx.agents.connect(
            agent_id, calendar_account_id="acc_1", data_center="de", tokens=_tokens(clock)
        )
        again = await tx.agents.upsert_profile(
            account_id, USER, name="Ann B.", email="annb@acme.example", time_zone="Asia/Tokyo"
        )
    assert again.id == agent_id
    assert (again.name, again.email, again.time_zone) == (
        "Ann B.",
        "annb@acme.example",
        "Asia/Tokyo",
    )
    assert again.status is AgentStatus.ACTIVE
    assert again.tokens == _tokens(clock)
    assert again.data_center == "de"


async def test_one_agent_per_zendesk_user_and_account(store: Store) -> None:
    acme = await add_account(store, "acme")
    other = await add_account(store, "other")
    first = await add_agent(store, acme, USER)
    assert await add_agent(store, acme, USER, name="Ann") == first
    elsewhere = await add_agent(store, other, USER)
    assert elsewhere != first
    async with store.transaction() as tx:
        assert [a.id for a in await tx.agents.for_account(acme)] == [first]
        found = await tx.agents.get_by_user(other, USER)
        assert found is not None
        assert found.id == elsewhere
        assert await tx.agents.get_by_user(acme, USER + 1) is None


async def test_only_active_agents_with_a_calendar_receive_events(
    store: Store, clock: ManualClock
) -> None:
    account_id = await add_account(store)
    ready = await add_agent(store, account_id, 1, "Ann")
    no_calendar = await add_agent(store, account_id, 2, "Bob")
    broken = await add_agent(store, account_id, 3, "Cid")
    await add_agent(store, account_id, 4, "Dee")  # never connected
    async with store.transaction() as tx:
        for agent_id in (ready, no_calendar, broken):
            await tx.agents.connect(
                agent_id, calendar_account_id="acc", data_center="us", tokens=_tokens(clock)
            )
        await tx.agents.set_calendar(ready, "cal_ann", "Work")
        await tx.agents.set_calendar(broken, "cal_cid", "Work")
        await tx.agents.set_status(broken, AgentStatus.NEEDS_RECONNECT, "Cronofy answered 423")
        receiving = await tx.agents.list_active_with_calendar(account_id)
        everyone = await tx.agents.for_account(account_id)
    assert [a.id for a in receiving] == [ready]
    assert receiving[0].can_receive_events
    assert receiving[0].calendar_name == "Work"
    assert [a.name for a in everyone] == ["Ann", "Bob", "Cid", "Dee"]


async def test_status_since_moves_only_when_the_status_changes(
    store: Store, clock: ManualClock
) -> None:
    account_id = await add_account(store)
    agent_id = await add_agent(store, account_id, USER)
    async with store.transaction() as tx:
        clock.advance(minutes=1)
        changed_at = clock.now()
        await tx.agents.set_status(agent_id, AgentStatus.NEEDS_RECONNECT, "refresh failed")
        clock.advance(minutes=1)
        await tx.agents.set_status(agent_id, AgentStatus.NEEDS_RECONNECT, "x" * 900)
        agent = await tx.agents.get(agent_id)
    assert agent is not None
    assert agent.status_since == changed_at
    assert agent.status_reason is not None
    assert len(agent.status_reason) == 500
    assert agent.status_reason.endswith("\u2026")


async def test_tokens_rotate_and_disconnect_forgets_them(store: Store, clock: ManualClock) -> None:
    account_id = await add_account(store)
    agent_id = await add_agent(store, account_id, USER)
    async with store.transaction() as tx:
        await tx.agents.connect(
            agent_id, calendar_account_id="acc_1", data_center="us", tokens=_tokens(clock)
        )
        await tx.agents.set_tokens(agent_id, _tokens(clock, "2"))
        agent = await tx.agents.get(agent_id)
        assert agent is not None
        assert agent.tokens == _tokens(clock, "2")
        assert "cronofy-access-2" not in repr(agent)

        await tx.agents.disconnect(agent_id, "agent disconnected")
        agent = await tx.agents.get(agent_id)
        assert agent is not None
        assert agent.tokens is None
        assert agent.status is AgentStatus.DISCONNECTED
        assert agent.status_reason == "agent disconnected"


async def test_connecting_another_calendar_account_forgets_the_calendar(
    store: Store, clock: ManualClock
) -> None:
    account_id = await add_account(store)
    agent_id = await add_agent(store, account_id, USER)
    async with store.transaction() as tx:
        agents = tx.agents
        await agents.connect(
            agent_id, calendar_account_id="acc_1", data_center="us", tokens=_tokens(clock)
        )
        await agents.set_calendar(agent_id, "cal_1", "Work")
        await agents.connect(
            agent_id, calendar_account_id="acc_1", data_center="us", tokens=_tokens(clock)
        )
        assert (await _existing(agents, agent_id)).calendar_id == "cal_1"
        await agents.connect(
            agent_id, calendar_account_id="acc_2", data_center="us", tokens=_tokens(clock)
        )
        assert (await _existing(agents, agent_id)).calendar_id is None


async def test_style_time_zone_and_last_sync(store: Store, clock: ManualClock) -> None:
    account_id = await add_account(store)
    agent_id = await add_agent(store, account_id, USER)
    style = EventStyleOptions(
        all_day=False,
        local_time="09:30",
        duration_minutes=45,
        reminders_minutes=[10, 60],
        private=True,
    )
    async with store.transaction() as tx:
        await tx.agents.set_style(agent_id, style)
        await tx.agents.set_time_zone_override(agent_id, "Pacific/Kiritimati")
        clock.advance(hours=1)
        await tx.agents.mark_synced(agent_id)
    async with store.transaction() as tx:
        agent = await tx.agents.get(agent_id)
        assert agent is not None
        assert agent.style == style
        assert agent.effective_time_zone == "Pacific/Kiritimati"
        assert agent.last_synced_at == clock.now()
        await tx.agents.set_time_zone_override(agent_id, None)
        assert (await _existing(tx.agents, agent_id)).effective_time_zone == "Europe/Berlin"


async def test_removing_an_agent_forgets_their_entries(store: Store) -> None:
    account_id = await add_account(store)
    ann = await add_agent(store, account_id, 1, "Ann")
    await add_agent(store, account_id, 2, "Bob")
    async with store.transaction() as tx:
        for agent_id in (1, 2):
            await tx.entries.upsert(account_id, RecordedEntry(7, agent_id, "cal", "e7", "h"))
        await tx.agents.remove(ann)
        assert await tx.agents.get(ann) is None
        assert [e.agent_id for e in await tx.entries.for_tickets(account_id, [7])] == [2]
        with pytest.raises(AgentNotFound):
            await tx.agents.remove(ann)
        with pytest.raises(AgentNotFound):
            await tx.agents.set_calendar(ann, "cal", "Work")


CALDAV = CalDAVAccount("https://dav.acme.example/calendars/ann/", "ann", "app-pass-1")


async def test_a_caldav_account_is_stored_instead_of_tokens(
    store: Store, clock: ManualClock
) -> None:
    account_id = await add_account(store)
    agent_id = await add_agent(store, account_id, USER)
    async with store.transaction() as tx:
        await tx.agents.connect(
            agent_id, calendar_account_id="cronofy-acc", data_center="us", tokens=_tokens(clock)
        )
        await tx.agents.set_calendar(agent_id, "cal_1", "Work")
        await tx.agents.connect(
            agent_id, calendar_account_id=CALDAV.url, data_center="", tokens=CALDAV,
            calendar_backend="caldav",
        )
        agent = await _existing(tx.agents, agent_id)
        assert (agent.caldav, agent.tokens, agent.calendar_id) == (CALDAV, None, None)
        assert agent.has_credentials
        assert agent.status is AgentStatus.ACTIVE
        assert "app-pass-1" not in repr(agent)
        await tx.agents.set_calendar(agent_id, CALDAV.url + "tasks/", "Tasks")
        await tx.agents.set_read_state(agent_id, '{"tasks": "token-1"}')
        active = await tx.agents.list_active_with_calendar(account_id)
        assert [a.id for a in active] == [agent_id]
        assert active[0].can_receive_events
        assert active[0].read_state == '{"tasks": "token-1"}'
        # Back to OAuth tokens: the CalDAV account and what was read of it are forgotten.
        await tx.agents.connect(
            agent_id, calendar_account_id="cronofy-acc", data_center="us", tokens=_tokens(clock)
        )
        agent = await _existing(tx.agents, agent_id)
        assert (agent.caldav, agent.read_state, agent.calendar_id) == (None, None, None)
        assert agent.tokens is not None


async def test_disconnecting_forgets_the_caldav_password_and_read_state(store: Store) -> None:
    account_id = await add_account(store)
    agent_id = await add_agent(store, account_id, USER)
    async with store.transaction() as tx:
        await tx.agents.connect(
            agent_id, calendar_account_id=CALDAV.url, data_center="", tokens=CALDAV,
            calendar_backend="caldav",
        )
        await tx.agents.set_calendar(agent_id, CALDAV.url + "tasks/", "Tasks")
        await tx.agents.set_read_state(agent_id, "{}")
        await tx.agents.disconnect(agent_id)
        agent = await _existing(tx.agents, agent_id)
        assert (agent.caldav, agent.read_state, agent.has_credentials) == (None, None, False)
        assert await tx.agents.list_active_with_calendar(account_id) == []
