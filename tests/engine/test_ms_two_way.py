"""Two-way with Microsoft 365 agents: the user moves or deletes a task's event in Outlook
(the simulator's control routes), zdcal reads the calendar's changes by delta link (what
a change notification leads to) and the same planner decides as with the other backends
(two_way_cases.py); then the cases of the services zdcal hears from by push (a move read
before Zendesk's change is put back; an expired delta link means one full read)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from microsoft_world import MicrosoftWorld
from two_way_cases import ON_DIRECT_BACKENDS, ON_EVERY_TWO_WAY_BACKEND


@pytest.mark.parametrize("case", [*ON_EVERY_TWO_WAY_BACKEND, *ON_DIRECT_BACKENDS],
                         ids=lambda case: case.__name__)
def test_two_way_on_microsoft(
    microsoft_world: MicrosoftWorld, case: Callable[[MicrosoftWorld], None]
) -> None:
    case(microsoft_world)
