"""Helpers for live tests: zdcal's whole app served over HTTP beside both simulators."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))

from world import World, open_world, zdcal_env

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


def queue_empty(live: Live) -> bool:
    """Whether zdcal has nothing waiting: no queued ticket notification, no calendar read."""

    async def depth(runtime: Runtime) -> bool:
        async with runtime.store.transaction() as tx:
            return (await tx.notifications.depth() == 0
                    and not await tx.calendar_reads.waiting())

    return live.world.run(depth)


def serve(world: World, **workers: float) -> ServerThread:
    """zdcal's whole app on a free port; its public URL (channels, bootstrap) set to it."""
    options = {"collect_window": 0.1, "tick": 0.2, "sweep_interval": 3600.0, **workers}
    server = ServerThread(create_app(world.settings, clock=world.clock, workers_options=options))
    world.settings.public_url = server.base_url
    return server




@contextmanager
def live_world(data_dir: Path, scenario: Scenario | None = None) -> Iterator[Live]:
    """A world on SQLite in ``data_dir`` with zdcal's app served and bootstrapped."""
    with (
        open_world(data_dir, f"sqlite+aiosqlite:///{data_dir / 'zdcal.db'}", scenario) as world,
        served(world) as live,
    ):
        yield live


@contextmanager
def served(world: World) -> Iterator[Live]:
    """zdcal's whole app served beside ``world`` (its public URL) and bootstrapped."""
    server = serve(world).start()
    live = Live(world, server)
    try:
        live.bootstrap()
        yield live
    finally:
        server.stop()


def serve_process(
    world: World, port: int, log: Path | None = None, *, workers: bool = True
) -> subprocess.Popen[bytes]:
    """``zdcal serve`` in a process of its own on the world's database and simulators,
    once it answers (``workers=False``: the web tier, ``--no-workers``). Its stderr goes
    to ``log`` (appended) if given, else to a pipe."""
    env = {**zdcal_env(world), "ZDCAL_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    command = [sys.executable, "-m", "zdcal.cli", "serve", "--port", str(port),
               *([] if workers else ["--no-workers"])]
    if log is None:
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
    else:
        with log.open("ab") as stderr:  # a file: a full pipe would stall a long-lived server
            process = subprocess.Popen(
                command, env=env, stdout=subprocess.DEVNULL, stderr=stderr
            )
    try:
        eventually(lambda: _answers(port), timeout=60)
    except AssertionError:
        process.kill()
        process.wait()
        raise
    return process


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
