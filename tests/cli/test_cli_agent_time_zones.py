"""An agent's events follow Zendesk's ``iana_time_zone``, whichever form the account
shows ``time_zone`` in: a Rails name ("Eastern Time (US & Canada)") or an IANA id (both
recorded in real traffic; see tests/sandbox/zendesk/test_fidelity_tickets.py)."""

from __future__ import annotations

import pytest
from cli_harness import ADA_WORK, NIA, CliHarness

LENA = 1004  # the default seed shows her time_zone IANA-style, Nia's as a Rails name


@pytest.mark.parametrize(
    ("user_id", "time_zone", "due_at", "local_day"),
    [
        (NIA, "Eastern Time (US & Canada)", "2030-05-01T02:30:00Z", "2030-04-30"),
        (LENA, "Europe/Berlin", "2030-05-01T22:30:00Z", "2030-05-02"),
    ],
    ids=["rails-name", "iana-id"],
)
def test_all_day_events_land_on_the_local_day_of_iana_time_zone(
    cli: CliHarness, user_id: int, time_zone: str, due_at: str, local_day: str
) -> None:
    shown = cli.zd.get(f"/api/v2/users/{user_id}").json()["user"]
    assert shown["time_zone"] == time_zone
    cli.add_account()
    cli.create_task(user_id, due_at, "Renew the contract")
    cli.ok("sync")

    cli.add_agent(user_id)

    (event,) = cli.managed_events(ADA_WORK).values()
    assert event["start"] == local_day
    assert event["tzid"] == shown["iana_time_zone"]
