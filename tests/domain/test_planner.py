"""The planner: desired vs recorded -> deletes, then upserts. Unit cases and properties."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zdcal.domain import (
    Action,
    Delete,
    DesiredEntry,
    DuplicateDesiredEntry,
    RecordedEntry,
    Upsert,
    plan,
    plan_for_tickets,
)

RecordKey = tuple[str, str]  # (event_id, calendar_id): one stored row


def desired(ticket_id: int, agent_id: int, calendar_id: str, content: str) -> DesiredEntry:
    """A desired entry; the body is irrelevant to the planner, the hash stands for it."""
    event_id = f"zdcal-testaccount-{ticket_id}"
    return DesiredEntry(
        ticket_id=ticket_id,
        agent_id=agent_id,
        calendar_id=calendar_id,
        event_id=event_id,
        body={"event_id": event_id, "summary": content},
        content_hash=f"hash-{content}",
    )


def recorded(ticket_id: int, agent_id: int, calendar_id: str, content: str) -> RecordedEntry:
    return desired(ticket_id, agent_id, calendar_id, content).recorded()


def apply(
    records: Iterable[RecordedEntry], actions: Iterable[Action]
) -> dict[RecordKey, RecordedEntry]:
    """What the store holds after every action succeeded, the way the sync engine records it."""
    store = {(entry.event_id, entry.calendar_id): entry for entry in records}
    for action in actions:
        if isinstance(action, Delete):
            # Deleting a row that is not there would mean a double delete.
            del store[(action.entry.event_id, action.entry.calendar_id)]
        else:
            store[(action.entry.event_id, action.entry.calendar_id)] = action.entry.recorded()
    return store


def as_store(entries: Iterable[DesiredEntry]) -> dict[RecordKey, RecordedEntry]:
    return {(entry.event_id, entry.calendar_id): entry.recorded() for entry in entries}


# Unit cases ---------------------------------------------------------------------------


def test_a_new_task_is_upserted() -> None:
    entry = desired(1, 7, "cal_a", "v1")
    assert plan([entry], []) == [Upsert(entry)]


def test_an_unchanged_task_needs_nothing() -> None:
    entry = desired(1, 7, "cal_a", "v1")
    assert plan([entry], [entry.recorded()]) == []


def test_a_changed_body_is_upserted_in_place() -> None:
    entry = desired(1, 7, "cal_a", "v2")
    assert plan([entry], [recorded(1, 7, "cal_a", "v1")]) == [Upsert(entry)]


def test_a_task_that_wants_nothing_any_more_is_deleted() -> None:
    old = recorded(1, 7, "cal_a", "v1")
    assert plan([], [old]) == [Delete(old)]


def test_reassignment_deletes_from_the_old_calendar_before_upserting_in_the_new() -> None:
    old = recorded(1, 7, "cal_a", "v1")
    new = desired(1, 8, "cal_b", "v1")
    assert plan([new], [old]) == [Delete(old), Upsert(new)]


def test_a_calendar_switch_moves_the_event_even_with_the_same_body() -> None:
    old = recorded(1, 7, "cal_a", "v1")
    new = desired(1, 7, "cal_b", "v1")
    assert plan([new], [old]) == [Delete(old), Upsert(new)]


def test_a_new_agent_on_the_same_calendar_rewrites_the_event() -> None:
    old = recorded(1, 7, "cal_shared", "v1")
    new = desired(1, 8, "cal_shared", "v1")
    assert plan([new], [old]) == [Delete(old), Upsert(new)]


def test_every_leftover_entry_of_a_ticket_is_deleted_once() -> None:
    # Agents 5 and 6 lost their authorization before their deletes could run.
    leftovers = [recorded(1, 5, "cal_e", "v0"), recorded(1, 6, "cal_f", "v0")]
    current = recorded(1, 7, "cal_a", "v1")
    entry = desired(1, 7, "cal_a", "v1")
    assert plan([entry], [current, *leftovers]) == [Delete(leftovers[0]), Delete(leftovers[1])]


def test_two_desired_entries_for_one_event_are_refused() -> None:
    with pytest.raises(DuplicateDesiredEntry):
        plan([desired(1, 7, "cal_a", "v1"), desired(1, 8, "cal_b", "v1")], [])


def test_plan_for_tickets_leaves_other_tickets_alone() -> None:
    page_ticket_gone = recorded(1, 7, "cal_a", "v1")
    page_ticket_new = desired(2, 7, "cal_a", "v1")
    elsewhere = recorded(3, 7, "cal_a", "v1")
    actions = plan_for_tickets([1, 2], [page_ticket_new], [page_ticket_gone, elsewhere])
    assert actions == [Delete(page_ticket_gone), Upsert(page_ticket_new)]


def test_plan_for_tickets_ignores_desired_entries_outside_the_page() -> None:
    assert plan_for_tickets([1], [desired(2, 7, "cal_a", "v1")], []) == []


# Properties ---------------------------------------------------------------------------

TICKETS = st.integers(min_value=1, max_value=25)
AGENTS = st.sampled_from([5, 6, 7])
CALENDARS = st.sampled_from(["cal_a", "cal_b", "cal_c"])
CONTENTS = st.sampled_from(["v1", "v2", "v3"])

desired_sets = st.dictionaries(TICKETS, st.tuples(AGENTS, CALENDARS, CONTENTS), max_size=20).map(
    lambda wanted: [desired(ticket, *target) for ticket, target in wanted.items()]
)
recorded_sets = st.dictionaries(
    st.tuples(TICKETS, CALENDARS), st.tuples(AGENTS, CONTENTS), max_size=30
).map(
    lambda rows: [
        recorded(ticket, agent, calendar, content)
        for (ticket, calendar), (agent, content) in rows.items()
    ]
)


@given(wanted=desired_sets, records=recorded_sets)
def test_applying_the_plan_yields_exactly_the_desired_entries(
    wanted: list[DesiredEntry], records: list[RecordedEntry]
) -> None:
    assert apply(records, plan(wanted, records)) == as_store(wanted)


@given(wanted=desired_sets)
def test_nothing_to_do_when_recorded_equals_desired(wanted: list[DesiredEntry]) -> None:
    assert plan(wanted, [entry.recorded() for entry in wanted]) == []


@given(wanted=desired_sets, records=recorded_sets)
def test_planning_again_after_applying_does_nothing(
    wanted: list[DesiredEntry], records: list[RecordedEntry]
) -> None:
    after = apply(records, plan(wanted, records))
    assert plan(wanted, after.values()) == []


@given(wanted=desired_sets, records=recorded_sets)
def test_every_stale_entry_is_deleted_exactly_once_and_nothing_else(
    wanted: list[DesiredEntry], records: list[RecordedEntry]
) -> None:
    targets = {(entry.event_id, entry.agent_id, entry.calendar_id) for entry in wanted}
    stale = [
        record
        for record in records
        if (record.event_id, record.agent_id, record.calendar_id) not in targets
    ]
    deleted = Counter(
        action.entry for action in plan(wanted, records) if isinstance(action, Delete)
    )
    assert deleted == Counter(stale)


@given(wanted=desired_sets, records=recorded_sets)
def test_upserts_happen_only_where_content_or_target_changed(
    wanted: list[DesiredEntry], records: list[RecordedEntry]
) -> None:
    up_to_date = {
        (record.event_id, record.agent_id, record.calendar_id, record.content_hash)
        for record in records
    }
    upserted = [action.entry for action in plan(wanted, records) if isinstance(action, Upsert)]
    for entry in upserted:
        assert (entry.event_id, entry.agent_id, entry.calendar_id, entry.content_hash) not in (
            up_to_date
        )
    missing = [
        entry
        for entry in wanted
        if (entry.event_id, entry.agent_id, entry.calendar_id, entry.content_hash) not in up_to_date
    ]
    assert sorted(upserted, key=lambda entry: entry.ticket_id) == sorted(
        missing, key=lambda entry: entry.ticket_id
    )


@given(wanted=desired_sets, records=recorded_sets)
def test_deletes_precede_upserts_of_the_same_event(
    wanted: list[DesiredEntry], records: list[RecordedEntry]
) -> None:
    actions = plan(wanted, records)
    upsert_at = {
        action.entry.event_id: index
        for index, action in enumerate(actions)
        if isinstance(action, Upsert)
    }
    for index, action in enumerate(actions):
        if isinstance(action, Delete) and action.entry.event_id in upsert_at:
            assert index < upsert_at[action.entry.event_id]


@given(wanted=desired_sets, records=recorded_sets, seed=st.integers())
def test_the_plan_does_not_depend_on_input_order(
    wanted: list[DesiredEntry], records: list[RecordedEntry], seed: int
) -> None:
    shuffler = random.Random(seed)
    shuffled_wanted, shuffled_records = list(wanted), list(records)
    shuffler.shuffle(shuffled_wanted)
    shuffler.shuffle(shuffled_records)
    assert plan(shuffled_wanted, shuffled_records) == plan(wanted, records)


@given(
    wanted=desired_sets,
    records=recorded_sets,
    page=st.frozensets(TICKETS, max_size=10),
)
def test_a_plan_for_some_tickets_touches_only_those_tickets(
    wanted: list[DesiredEntry], records: list[RecordedEntry], page: frozenset[int]
) -> None:
    actions = plan_for_tickets(page, wanted, records)
    assert all(action.entry.ticket_id in page for action in actions)
    store = apply(records, actions)
    assert {key: row for key, row in store.items() if row.ticket_id in page} == as_store(
        entry for entry in wanted if entry.ticket_id in page
    )
    assert {key: row for key, row in store.items() if row.ticket_id not in page} == {
        (row.event_id, row.calendar_id): row for row in records if row.ticket_id not in page
    }
