"""A live world: both simulators, zdcal's whole app served over HTTP, bootstrapped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from live_support import Live, live_world


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    with live_world(tmp_path) as live:
        yield live
