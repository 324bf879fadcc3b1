"""A live world: both simulators, zdcal's whole app served over HTTP, bootstrapped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from live_support import Live, serve
from world import open_world


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    with open_world(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'zdcal.db'}") as world:
        server = serve(world).start()
        live = Live(world, server)
        try:
            live.bootstrap()
            yield live
        finally:
            server.stop()
