"""Two-way decisions: what zdcal wrote + what the calendar holds + the ticket + the agent's
settings -> nothing / keep the task off / put the event back / update the due date."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from zdcal.domain import (
    AccountInfo,
    AgentTarget,
    DeletedEvent,
    DueDateReading,
    DueDateRule,
    EventSpan,
    EventStyle,
    HeldEvent,
    KeepOff,
    NoChange,
    PutBack,
    PutBackReason,
    TicketState,
    TwoWaySettings,
    UpdateDueDate,
    WrittenEvent,
    entry_as_moved,
    is_move,
    plan_calendar_change,
    refused_update,
    still_kept_off,
    zendesk_wins,
)

NIA = 7
CAL = "cal_nia"
NEW_YORK = "America/New_York"
AUCKLAND = "Pacific/Auckland"  # UTC+12 in May
TIMED = EventStyle(all_day=False, local_time=time(9, 0), duration_minutes=30)
AGENT_ZONE = DueDateRule()
UTC_READING = DueDateRule(DueDateReading.UTC)
HONOLULU_READING = DueDateRule(DueDateReading.ACCOUNT_ZONE, "Pacific/Honolulu")

NOON_NY = datetime(2030, 3, 8, 17, 0, tzinfo=UTC)  # noon EST on 8 March
ALL_DAY_WRITTEN = EventSpan.parse("2030-03-08", "2030-03-09")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def span(start: str, end: str) -> EventSpan:
    return EventSpan.parse(start, end)


def task(due_at: datetime | None, **changes: object) -> TicketState:
    fields: dict[str, object] = {
        "ticket_id": 42, "type": "task", "status": "open", "due_at": due_at, "assignee_id": NIA,
    }
    fields.update(changes)
    return TicketState(**fields)  # type: ignore[arg-type]


def settings(
    zone: str = NEW_YORK,
    style: EventStyle | None = None,
    rule: DueDateRule = AGENT_ZONE,
    *,
    two_way: bool = True,
    receiving: bool = True,
) -> TwoWaySettings:
    target = AgentTarget(agent_id=NIA, calendar_id=CAL, time_zone=zone, style=style or EventStyle())
    return TwoWaySettings(
        agent_id=NIA, two_way=two_way, target=target if receiving else None, due_dates=rule
    )


def written(due_at: datetime | None = NOON_NY, times: EventSpan | None = ALL_DAY_WRITTEN,
            calendar_id: str = CAL) -> WrittenEvent:
    return WrittenEvent(calendar_id=calendar_id, span=times, due_at=due_at)


MOVED_ALL_DAY = HeldEvent(span("2030-03-12", "2030-03-13"))


# Event times: typed, compared by meaning ------------------------------------------


def test_all_day_and_timed_come_from_the_parsed_type() -> None:
    all_day = span("2030-03-12", "2030-03-13")
    timed = span("2030-03-12T14:00:00Z", "2030-03-12T14:30:00Z")
    assert all_day.all_day
    assert all_day.start == date(2030, 3, 12)
    assert not timed.all_day
    assert timed.start == datetime(2030, 3, 12, 14, 0, tzinfo=UTC)
    # Midnight UTC is an instant, not the date: never equal to an all-day span.
    assert span("2030-03-12T00:00:00Z", "2030-03-13T00:00:00Z") != all_day


def test_spans_compare_by_meaning_not_spelling() -> None:
    assert span("2030-03-12T14:00:00Z", "2030-03-12T14:30:00Z") == span(
        "2030-03-12T09:00:00-05:00", "2030-03-12T14:30:00+00:00"
    )


@pytest.mark.parametrize("text", ["2030-03-12T14:00:00", "soon", ""])
def test_unreadable_event_times_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"offset|isoformat"):
        EventSpan.parse(text, "2030-03-13")


# Nothing to do ----------------------------------------------------------------------


def test_nothing_reported_is_nothing_to_do() -> None:
    assert plan_calendar_change(written(), None, task(NOON_NY), settings()) == NoChange()


def test_no_echo_an_event_as_zdcal_wrote_it_is_not_a_move() -> None:
    timed = span("2030-03-08T14:00:00Z", "2030-03-08T14:30:00Z")
    as_read = HeldEvent(span("2030-03-08T09:00:00-05:00", "2030-03-08T09:30:00-05:00"))
    assert not is_move(written(times=timed), as_read)
    decision = plan_calendar_change(written(times=timed), as_read, task(NOON_NY), settings())
    assert decision == NoChange()


def test_no_echo_even_with_two_way_off_or_zendesk_changed() -> None:
    held = HeldEvent(ALL_DAY_WRITTEN)
    changed = task(datetime(2030, 4, 1, 17, 0, tzinfo=UTC))
    assert plan_calendar_change(written(), held, changed, settings(two_way=False)) == NoChange()


def test_an_event_whose_written_times_are_unknown_counts_as_moved() -> None:
    assert is_move(written(times=None), HeldEvent(ALL_DAY_WRITTEN))


def test_only_a_different_start_or_end_is_a_move() -> None:
    stretched = HeldEvent(span("2030-03-08", "2030-03-10"))
    assert is_move(written(), stretched)
    assert not is_move(written(), DeletedEvent())
    assert not is_move(written(), None)


# Deleted events -----------------------------------------------------------------------


def test_a_deleted_event_keeps_the_task_off_as_it_is_now() -> None:
    ticket = task(NOON_NY)
    decision = plan_calendar_change(written(), DeletedEvent(), ticket, settings())
    assert decision == KeepOff(ticket)


@pytest.mark.parametrize("options", [{"two_way": False}, {"receiving": False}])
def test_a_deleted_event_keeps_the_task_off_whatever_the_settings(options: dict[str, bool]) -> None:
    ticket = task(NOON_NY)
    decision = plan_calendar_change(written(), DeletedEvent(), ticket, settings(**options))
    assert decision == KeepOff(ticket)


def test_a_deleted_event_of_an_unknown_ticket_is_only_forgotten() -> None:
    assert plan_calendar_change(written(), DeletedEvent(), None, settings()) == KeepOff(None)


@pytest.mark.parametrize(
    ("now", "stays_off"),
    [
        ({}, True),
        ({"status": "pending", "subject": "renamed"}, True),  # other fields do not count
        ({"due_at": datetime(2030, 3, 9, 17, 0, tzinfo=UTC)}, False),
        ({"due_at": None}, False),
        ({"assignee_id": NIA + 1}, False),
        ({"type": "question"}, False),
    ],
)
def test_a_deleted_task_stays_off_while_due_date_assignee_and_type_hold(
    now: dict[str, object], stays_off: bool
) -> None:
    basis = task(NOON_NY)  # what KeepOff held the ticket to
    assert still_kept_off(basis, task(**{"due_at": NOON_NY, **now})) is stays_off


def test_a_keep_off_lapses_once_the_ticket_is_unknown() -> None:
    assert not still_kept_off(task(NOON_NY), None)


# Moves that update the due date -----------------------------------------------------


def test_an_all_day_move_keeps_the_local_time_of_day_across_dst() -> None:
    decision = plan_calendar_change(written(), MOVED_ALL_DAY, task(NOON_NY), settings())
    # Still noon in New York, now EDT.
    assert decision == UpdateDueDate(due_at=at("2030-03-12T16:00:00Z"), pin=False)


def test_an_all_day_move_keeps_noon_utc_under_the_utc_reading() -> None:
    due = at("2030-05-01T12:00:00Z")
    moved = HeldEvent(span("2030-05-07", "2030-05-08"))
    decision = plan_calendar_change(
        written(due, span("2030-05-01", "2030-05-02")), moved, task(due),
        settings(AUCKLAND, rule=UTC_READING),
    )
    assert decision == UpdateDueDate(due_at=at("2030-05-07T12:00:00Z"), pin=False)


def test_a_timed_move_sets_the_exact_new_start_and_pins_it() -> None:
    due = at("2030-03-08T14:00:00Z")
    was = span("2030-03-08T14:00:00Z", "2030-03-08T14:30:00Z")
    moved = HeldEvent(span("2030-03-11T18:30:00Z", "2030-03-11T19:00:00Z"))
    decision = plan_calendar_change(written(due, was), moved, task(due), settings(style=TIMED))
    assert decision == UpdateDueDate(due_at=at("2030-03-11T18:30:00Z"), pin=True)


@pytest.mark.parametrize(
    ("rule", "due", "expected"),
    [
        # Noon UTC on 1 May; dropped at 15:45 on 6 May in Auckland: noon UTC on 6 May.
        (UTC_READING, "2030-05-01T12:00:00Z", "2030-05-06T12:00:00Z"),
        # Noon on 1 May in Honolulu: noon on 6 May in Honolulu.
        (HONOLULU_READING, "2030-05-01T22:00:00Z", "2030-05-06T22:00:00Z"),
    ],
)
def test_a_timed_move_changes_only_the_date_under_the_date_only_readings(
    rule: DueDateRule, due: str, expected: str
) -> None:
    was = span("2030-04-30T21:00:00Z", "2030-04-30T21:30:00Z")  # 09:00 on 1 May in Auckland
    moved = HeldEvent(span("2030-05-06T03:45:00Z", "2030-05-06T04:15:00Z"))
    decision = plan_calendar_change(
        written(at(due), was), moved, task(at(due)), settings(AUCKLAND, TIMED, rule)
    )
    assert decision == UpdateDueDate(due_at=at(expected), pin=False)


# Moves that put the event back --------------------------------------------------------


def test_with_two_way_off_a_moved_event_is_put_back() -> None:
    decision = plan_calendar_change(
        written(), MOVED_ALL_DAY, task(NOON_NY), settings(two_way=False)
    )
    assert decision == PutBack(PutBackReason.TWO_WAY_OFF)


def test_an_agent_who_receives_no_events_gets_the_event_put_back() -> None:
    decision = plan_calendar_change(
        written(), MOVED_ALL_DAY, task(NOON_NY), settings(receiving=False)
    )
    assert decision == PutBack(PutBackReason.NOT_RECEIVING)


def test_zendesk_wins_when_the_due_date_changed_since_the_event_was_written() -> None:
    changed = task(at("2030-04-20T17:00:00Z"))
    decision = plan_calendar_change(written(), MOVED_ALL_DAY, changed, settings())
    assert decision == PutBack(PutBackReason.CHANGED_IN_ZENDESK)


def test_zendesk_wins_when_the_due_date_was_removed_or_the_ticket_is_gone() -> None:
    no_due = task(None)
    gone = TicketState(42, None, "deleted", None, None)
    for ticket in (no_due, gone, None):
        decision = plan_calendar_change(written(), MOVED_ALL_DAY, ticket, settings())
        assert decision == PutBack(PutBackReason.CHANGED_IN_ZENDESK)


@pytest.mark.parametrize(
    "changes",
    [{"status": "solved"}, {"status": "closed"}, {"type": "question"}, {"type": None}],
)
def test_a_ticket_no_longer_an_open_task_gets_the_event_put_back(
    changes: dict[str, object],
) -> None:
    decision = plan_calendar_change(written(), MOVED_ALL_DAY, task(NOON_NY, **changes), settings())
    assert decision == PutBack(PutBackReason.NOT_OPEN_TASK)


@pytest.mark.parametrize("assignee", [8, None])
def test_a_reassigned_ticket_gets_the_event_put_back(assignee: int | None) -> None:
    decision = plan_calendar_change(
        written(), MOVED_ALL_DAY, task(NOON_NY, assignee_id=assignee), settings()
    )
    assert decision == PutBack(PutBackReason.REASSIGNED)


def test_an_event_written_from_no_known_due_date_is_put_back() -> None:
    decision = plan_calendar_change(written(due_at=None), MOVED_ALL_DAY, task(NOON_NY), settings())
    assert decision == PutBack(PutBackReason.NO_KNOWN_DUE_DATE)


def test_a_timed_move_within_its_day_under_a_date_only_reading_is_put_back() -> None:
    due = at("2030-05-01T12:00:00Z")
    was = span("2030-04-30T21:00:00Z", "2030-04-30T21:30:00Z")  # 09:00 on 1 May in Auckland
    later = HeldEvent(span("2030-04-30T23:00:00Z", "2030-04-30T23:30:00Z"))  # 11:00, same day
    decision = plan_calendar_change(
        written(due, was), later, task(due), settings(AUCKLAND, TIMED, UTC_READING)
    )
    assert decision == PutBack(PutBackReason.SAME_DUE_DATE)


def test_when_zendesk_refuses_the_update_the_event_is_put_back() -> None:
    assert refused_update() == PutBack(PutBackReason.ZENDESK_REFUSED)


def test_the_conflict_policy_alone() -> None:
    assert zendesk_wins(NOON_NY, task(NOON_NY), NIA) is None
    assert zendesk_wins(NOON_NY, task(NOON_NY), 8) is PutBackReason.REASSIGNED
    assert zendesk_wins(NOON_NY, None, NIA) is PutBackReason.CHANGED_IN_ZENDESK


# After the update: what is recorded as zdcal's own write ----------------------------


def test_an_all_day_move_is_recorded_as_written(account: AccountInfo) -> None:
    update = UpdateDueDate(due_at=at("2030-03-12T16:00:00Z"), pin=False)
    entry = entry_as_moved(
        account, task(update.due_at), update, written(), MOVED_ALL_DAY, settings()
    )
    assert entry is not None
    assert (entry.calendar_id, entry.event_start, entry.event_end) == (
        CAL, "2030-03-12", "2030-03-13",
    )


def test_a_pinned_timed_move_is_recorded_at_the_dropped_time(account: AccountInfo) -> None:
    moved = HeldEvent(span("2030-03-11T18:30:00Z", "2030-03-11T19:00:00Z"))
    update = UpdateDueDate(due_at=at("2030-03-11T18:30:00Z"), pin=True)
    entry = entry_as_moved(
        account, task(update.due_at), update, written(), moved, settings(style=TIMED)
    )
    assert entry is not None
    assert (entry.event_start, entry.event_end) == ("2030-03-11T18:30:00Z", "2030-03-11T19:00:00Z")


def test_a_moved_event_the_rules_place_elsewhere_is_planned_again(account: AccountInfo) -> None:
    # Stretched to an hour: the rules give the agent's 30 minutes at the new start.
    stretched = HeldEvent(span("2030-03-11T18:30:00Z", "2030-03-11T19:30:00Z"))
    update = UpdateDueDate(due_at=at("2030-03-11T18:30:00Z"), pin=True)
    assert entry_as_moved(
        account, task(update.due_at), update, written(), stretched, settings(style=TIMED)
    ) is None
    # Date-only reading: the event goes to the agent's 09:00 on the new date.
    moved = HeldEvent(span("2030-05-06T03:45:00Z", "2030-05-06T04:15:00Z"))
    update = UpdateDueDate(due_at=at("2030-05-06T12:00:00Z"), pin=False)
    assert entry_as_moved(
        account, task(update.due_at), update, written(), moved,
        settings(AUCKLAND, TIMED, UTC_READING),
    ) is None


def test_a_move_in_a_calendar_the_agent_left_is_planned_again(account: AccountInfo) -> None:
    update = UpdateDueDate(due_at=at("2030-03-12T16:00:00Z"), pin=False)
    left = written(calendar_id="cal_old")
    assert entry_as_moved(
        account, task(update.due_at), update, left, MOVED_ALL_DAY, settings()
    ) is None
    assert entry_as_moved(
        account, task(update.due_at), update, written(), MOVED_ALL_DAY,
        settings(receiving=False),
    ) is None
