"""Helpers for live tests: zdcal's whole app served over HTTP beside both simulators."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))

from world import World, open_world

from zdcal.live.bootstrap import BootstrapResult, bootstrap_account
from zdcal.live.services import Services
from zdcal.runtime import Runtime
from zdcal.sandbox.scenario import Scenario
from zdcal.sandbox.server import ServerThread
from zdcal.web.app import create_app


@dataclass
class Live:
    world: World
    server: ServerThread

    @property
    def url(self) -> str:
        return self.server.base_url

    def bootstrap(self) -> BootstrapResult:
        return bootstrap(self.world, self.url)


def bootstrap(world: World, public_url: str) -> BootstrapResult:
    """Run zdcal's bootstrap for the world's account against the Zendesk simulator."""

    async def work(runtime: Runtime) -> BootstrapResult:
        services = Services(runtime)
        try:
            account = await world._account(runtime)
            return await bootstrap_account(services, account.id, public_url)
        finally:
            await services.close()

    return world.run(work)


def eventually(check: Callable[[], bool], timeout: float = 15.0, every: float = 0.1) -> None:
    """Wait until ``check()`` holds; fail with its last state otherwise."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(every)


def serve(world: World, **workers: float) -> ServerThread:
    """zdcal's whole app on a free port; its public URL (channels, bootstrap) set to it."""
    options = {"collect_window": 0.1, "tick": 0.2, "sweep_interval": 3600.0, **workers}
    server = ServerThread(create_app(world.settings, workers_options=options))
    world.settings.public_url = server.base_url
    return server




@contextmanager
def live_world(data_dir: Path, scenario: Scenario | None = None) -> Iterator[Live]:
    """A world on SQLite in ``data_dir`` with zdcal's app served and bootstrapped."""
    with open_world(data_dir, f"sqlite+aiosqlite:///{data_dir / 'zdcal.db'}", scenario) as world:
        server = serve(world).start()
        live = Live(world, server)
        try:
            live.bootstrap()
            yield live
        finally:
            server.stop()
