"""The account's due-date reading: which date a due_at stands for, and its inverse for moves."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zdcal.domain import (
    AccountInfo,
    AgentTarget,
    DueDateReading,
    DueDateRule,
    EventStyle,
    InvalidDueDateRule,
    TicketState,
    UnknownTimeZone,
    due_date_reading,
    event_body,
    moved_due_at,
)

HONOLULU = ZoneInfo("Pacific/Honolulu")  # UTC-10, no DST
AUCKLAND = ZoneInfo("Pacific/Auckland")  # UTC+13 in the southern summer
AGENT_ZONE = DueDateRule()
IN_UTC = DueDateRule(DueDateReading.UTC)
IN_NEW_YORK = DueDateRule(DueDateReading.ACCOUNT_ZONE, "America/New_York")
NOON_UTC = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
MIDNIGHT_UTC = datetime(2030, 1, 15, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("rule", "due_at", "zone", "day"),
    [
        # Today's rule: the agent's zone. Noon UTC is the next day in a New Zealand summer,
        # midnight UTC the day before in Hawaii: the off-by-one the other readings avoid.
        (AGENT_ZONE, NOON_UTC, HONOLULU, date(2030, 1, 15)),
        (AGENT_ZONE, NOON_UTC, AUCKLAND, date(2030, 1, 16)),
        (AGENT_ZONE, MIDNIGHT_UTC, HONOLULU, date(2030, 1, 14)),
        (AGENT_ZONE, MIDNIGHT_UTC, AUCKLAND, date(2030, 1, 15)),
        # UTC: the same date for everyone.
        (IN_UTC, NOON_UTC, HONOLULU, date(2030, 1, 15)),
        (IN_UTC, NOON_UTC, AUCKLAND, date(2030, 1, 15)),
        (IN_UTC, MIDNIGHT_UTC, HONOLULU, date(2030, 1, 15)),
        (IN_UTC, MIDNIGHT_UTC, AUCKLAND, date(2030, 1, 15)),
        # The account's zone (New York, UTC-5 in January): the same date for everyone.
        (IN_NEW_YORK, NOON_UTC, HONOLULU, date(2030, 1, 15)),
        (IN_NEW_YORK, NOON_UTC, AUCKLAND, date(2030, 1, 15)),
        (IN_NEW_YORK, MIDNIGHT_UTC, AUCKLAND, date(2030, 1, 14)),
        # DST edges of the account's zone: New York springs forward 2030-03-10 07:00Z and
        # falls back 2030-11-03 06:00Z; the date follows the local offset of the moment.
        (IN_NEW_YORK, datetime(2030, 3, 10, 4, 30, tzinfo=UTC), AUCKLAND, date(2030, 3, 9)),
        (IN_NEW_YORK, datetime(2030, 3, 10, 5, 30, tzinfo=UTC), AUCKLAND, date(2030, 3, 10)),
        (IN_NEW_YORK, datetime(2030, 3, 11, 3, 30, tzinfo=UTC), AUCKLAND, date(2030, 3, 10)),
        (IN_NEW_YORK, datetime(2030, 3, 11, 4, 30, tzinfo=UTC), AUCKLAND, date(2030, 3, 11)),
        (IN_NEW_YORK, datetime(2030, 11, 4, 3, 30, tzinfo=UTC), HONOLULU, date(2030, 11, 3)),
        (IN_NEW_YORK, datetime(2030, 11, 4, 4, 30, tzinfo=UTC), HONOLULU, date(2030, 11, 3)),
        (IN_NEW_YORK, datetime(2030, 11, 4, 5, 30, tzinfo=UTC), HONOLULU, date(2030, 11, 4)),
    ],
)
def test_each_reading_takes_the_date_in_its_zone(
    rule: DueDateRule, due_at: datetime, zone: ZoneInfo, day: date
) -> None:
    assert rule.due_date(due_at, zone) == day


def test_a_reading_is_named_by_its_stored_value() -> None:
    assert due_date_reading("utc") is DueDateReading.UTC
    assert due_date_reading("account_zone") is DueDateReading.ACCOUNT_ZONE
    with pytest.raises(InvalidDueDateRule, match="agent_zone, account_zone, utc"):
        due_date_reading("noon")


def test_the_account_zone_reading_needs_a_known_account_zone() -> None:
    with pytest.raises(InvalidDueDateRule):
        DueDateRule(DueDateReading.ACCOUNT_ZONE)
    with pytest.raises(UnknownTimeZone):
        DueDateRule(DueDateReading.ACCOUNT_ZONE, "Mars/Olympus_Mons")


@pytest.mark.parametrize(
    ("rule", "current", "day", "expected"),
    [
        # Noon UTC stays noon UTC, whoever moves it.
        (IN_UTC, NOON_UTC, date(2030, 2, 1), datetime(2030, 2, 1, 12, 0, tzinfo=UTC)),
        # The account zone's time of day is kept across its DST change (07:00 EST -> EDT).
        (IN_NEW_YORK, NOON_UTC, date(2030, 3, 20), datetime(2030, 3, 20, 11, 0, tzinfo=UTC)),
        # 02:30 New York time does not exist on 2030-03-10: RFC 5545 gives 03:30 EDT.
        (IN_NEW_YORK, datetime(2030, 3, 9, 7, 30, tzinfo=UTC), date(2030, 3, 10),
         datetime(2030, 3, 10, 7, 30, tzinfo=UTC)),
        # 01:30 happens twice on 2030-11-03: the first (EDT) is taken.
        (IN_NEW_YORK, datetime(2030, 11, 2, 5, 30, tzinfo=UTC), date(2030, 11, 3),
         datetime(2030, 11, 3, 5, 30, tzinfo=UTC)),
    ],
)
def test_a_new_date_keeps_the_time_of_day_in_the_readings_zone(
    rule: DueDateRule, current: datetime, day: date, expected: datetime
) -> None:
    moved = rule.due_at_on(day, current, AUCKLAND)
    assert moved == expected
    assert rule.due_date(moved, AUCKLAND) == day


RULES = st.sampled_from([AGENT_ZONE, IN_UTC, IN_NEW_YORK,
                         DueDateRule(DueDateReading.ACCOUNT_ZONE, "America/Havana")])
# Havana changes its clocks at midnight; Lord Howe by half an hour; Kiritimati is UTC+14.
ZONES = st.sampled_from([HONOLULU, AUCKLAND, ZoneInfo("America/Havana"),
                         ZoneInfo("Australia/Lord_Howe"), ZoneInfo("Pacific/Kiritimati")])
INSTANTS = st.datetimes(datetime(2025, 1, 1), datetime(2040, 1, 1), timezones=st.just(UTC))
DAYS = st.dates(date(2025, 1, 1), date(2040, 1, 1))


@given(rule=RULES, zone=ZONES, current=INSTANTS, day=DAYS)
def test_a_new_date_reads_back_as_that_date(
    rule: DueDateRule, zone: ZoneInfo, current: datetime, day: date
) -> None:
    assert rule.due_date(rule.due_at_on(day, current, zone), zone) == day


ACCOUNT = AccountInfo(key="abcdefgh1234", subdomain="acme")
AT_NINE = EventStyle(all_day=False, local_time=time(9, 0), duration_minutes=30)


ALL_DAY = EventStyle()


def _body(rule: DueDateRule, due_at: datetime, zone: str, style: EventStyle = ALL_DAY,
          *, pinned: bool = False) -> dict[str, object]:
    account = AccountInfo(key=ACCOUNT.key, subdomain=ACCOUNT.subdomain, due_dates=rule)
    agent = AgentTarget(agent_id=7, calendar_id="cal", time_zone=zone, style=style)
    ticket = TicketState(ticket_id=123, type="task", status="open", due_at=due_at,
                         assignee_id=7, subject="Call back", due_time_pinned=pinned)
    return event_body(account, ticket, agent)


def test_events_follow_the_accounts_reading() -> None:
    assert _body(AGENT_ZONE, NOON_UTC, "Pacific/Auckland")["start"] == "2030-01-16"
    assert _body(IN_UTC, NOON_UTC, "Pacific/Auckland")["start"] == "2030-01-15"
    assert _body(IN_UTC, NOON_UTC, "Pacific/Auckland")["end"] == "2030-01-16"


def test_timed_events_in_a_date_only_reading_are_at_the_agents_time_on_that_date() -> None:
    # 15 January (UTC reading), 09:00 in Auckland (UTC+13) = 20:00Z on the 14th.
    body = _body(IN_UTC, NOON_UTC, "Pacific/Auckland", AT_NINE)
    assert (body["start"], body["end"]) == ("2030-01-14T20:00:00Z", "2030-01-14T20:30:00Z")
    # A pinned time means nothing where due_at holds only a date.
    assert _body(IN_UTC, NOON_UTC, "Pacific/Auckland", AT_NINE, pinned=True) == body
    exact = _body(AGENT_ZONE, NOON_UTC, "Pacific/Auckland", AT_NINE, pinned=True)
    assert exact["start"] == "2030-01-15T12:00:00Z"


@pytest.mark.parametrize("rule", [AGENT_ZONE, IN_UTC, IN_NEW_YORK])
@pytest.mark.parametrize("zone", ["Pacific/Honolulu", "Pacific/Auckland", "America/New_York"])
@pytest.mark.parametrize(
    "due_at", [NOON_UTC, MIDNIGHT_UTC, datetime(2030, 3, 9, 7, 30, tzinfo=UTC)]
)
def test_an_all_day_move_round_trips_through_the_rule(
    rule: DueDateRule, zone: str, due_at: datetime
) -> None:
    shown = date.fromisoformat(str(_body(rule, due_at, zone)["start"]))
    for days in (-1, 1, 3, 200):
        target = shown + timedelta(days=days)
        new_due = moved_due_at(due_at, target.isoformat(), zone, rule)
        assert _body(rule, new_due, zone)["start"] == target.isoformat()
        if not rule.exact_moment:  # the storage convention (noon UTC...) is kept
            reading_zone = rule.zone(ZoneInfo(zone))
            kept = new_due.astimezone(reading_zone).time()
            wanted = due_at.astimezone(reading_zone).time()
            # ... or pushed forward by a DST gap (02:30 -> 03:30 in New York on 10 March).
            pushed = (datetime.combine(target, wanted) + timedelta(hours=1)).time()
            assert kept in (wanted, pushed)


def test_a_timed_move_in_a_date_only_reading_changes_only_the_date() -> None:
    # Dragged to 16:45 on 20 January in Auckland (03:45Z on the 20th): due 20 January, noon UTC.
    new_due = moved_due_at(NOON_UTC, "2030-01-20T03:45:00Z", "Pacific/Auckland", IN_UTC)
    assert new_due == datetime(2030, 1, 20, 12, 0, tzinfo=UTC)
    # Today's rule takes the exact moment.
    assert moved_due_at(NOON_UTC, "2030-01-20T03:45:00Z", "Pacific/Auckland") == datetime(
        2030, 1, 20, 3, 45, tzinfo=UTC
    )
