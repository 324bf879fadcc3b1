"""Two-way with Google Calendar agents: the user moves or deletes a task's event in Google
Calendar (the simulator's control routes), zdcal reads the calendar's changes by sync
token (what a push notice leads to) and the same planner decides as with the other
backends (two_way_cases.py); then the cases of the services zdcal hears from by push (a
move read before zdcal heard of Zendesk's change is put back; an expired sync token means
one full read, with the same result)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from google_world import GoogleWorld
from two_way_cases import ON_DIRECT_BACKENDS, ON_EVERY_TWO_WAY_BACKEND


@pytest.mark.parametrize("case", [*ON_EVERY_TWO_WAY_BACKEND, *ON_DIRECT_BACKENDS],
                         ids=lambda case: case.__name__)
def test_two_way_on_google(google_world: GoogleWorld, case: Callable[[GoogleWorld], None]
                           ) -> None:
    case(google_world)
