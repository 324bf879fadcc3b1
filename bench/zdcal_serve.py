"""``zdcal serve`` in a child process, and the bootstrap that points Zendesk's webhook at
it, for the benchmarks of the live service."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import httpx

from population import zdcal_settings
from simulators import STARTUP_TIMEOUT_SECONDS, free_port, stop_child
from zdcal.live.bootstrap import bootstrap_account
from zdcal.live.services import Services
from zdcal.runtime import Runtime
from zdcal.sandbox.background import Background
from zdcal.settings import Settings


class ServerStartError(RuntimeError):
    """``zdcal serve`` or ``zdcal worker`` did not answer its health check in time (its
    output is in the message)."""


def served_settings(work_dir: Path, cronofy_url: str, port: int) -> Settings:
    """zdcal's settings for ``zdcal serve`` on ``port``, its public URL there. Webhooks
    and calendar pushes alone drive it: no periodic sweep during the run."""
    return zdcal_settings(work_dir, cronofy_url).model_copy(
        update={"public_url": f"http://127.0.0.1:{port}", "sweep_interval_seconds": 3600}
    )


def serve_environment(settings: Settings) -> dict[str, str]:
    """The ``ZDCAL_*`` variables that make ``zdcal serve`` use ``settings``."""
    secret = settings.secret_key.get_secret_value() if settings.secret_key else ""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("ZDCAL_")},
        "ZDCAL_DATA_DIR": str(settings.data_dir),
        "ZDCAL_DATABASE_URL": settings.database_url,
        "ZDCAL_SECRET_KEY": secret,
        "ZDCAL_PUBLIC_URL": settings.public_url,
        "ZDCAL_CRONOFY_API_URL": settings.cronofy_api_url,
        "ZDCAL_CRONOFY_APP_URL": settings.cronofy_app_url,
        "ZDCAL_CRONOFY_CLIENT_ID": settings.cronofy_client_id,
        "ZDCAL_CRONOFY_CLIENT_SECRET": settings.cronofy_client_secret.get_secret_value(),
        "ZDCAL_GOOGLE_API_URL": settings.google_api_url,
        "ZDCAL_GOOGLE_OAUTH_URL": settings.google_oauth_url,
        "ZDCAL_GOOGLE_TOKEN_URL": settings.google_token_url,
        "ZDCAL_GOOGLE_REVOKE_URL": settings.google_revoke_url,
        "ZDCAL_CRONOFY_REQUESTS_PER_SECOND": str(settings.cronofy_requests_per_second),
        "ZDCAL_CRONOFY_REQUESTS_PER_MINUTE": str(settings.cronofy_requests_per_minute),
        "ZDCAL_GOOGLE_CLIENT_ID": settings.google_client_id,
        "ZDCAL_GOOGLE_CLIENT_SECRET": settings.google_client_secret.get_secret_value(),
        "ZDCAL_GOOGLE_REQUESTS_PER_MINUTE_PER_USER":
            str(settings.google_requests_per_minute_per_user),
        "ZDCAL_GOOGLE_REQUESTS_PER_MINUTE_PER_PROJECT":
            str(settings.google_requests_per_minute_per_project),
        "ZDCAL_MICROSOFT_CLIENT_ID": settings.microsoft_client_id,
        "ZDCAL_MICROSOFT_CLIENT_SECRET": settings.microsoft_client_secret.get_secret_value(),
        "ZDCAL_MICROSOFT_TENANT": settings.microsoft_tenant,
        "ZDCAL_MICROSOFT_LOGIN_URL": settings.microsoft_login_url,
        "ZDCAL_MICROSOFT_GRAPH_URL": settings.microsoft_graph_url,
        "ZDCAL_MICROSOFT_REQUESTS_PER_10_MINUTES_PER_MAILBOX":
            str(settings.microsoft_requests_per_10_minutes_per_mailbox),
        "ZDCAL_SWEEP_INTERVAL_SECONDS": str(settings.sweep_interval_seconds),
        "ZDCAL_WEB_MAX_CONNECTIONS": str(settings.web_max_connections),
        "ZDCAL_WEB_HEADER_TIMEOUT_SECONDS": str(settings.web_header_timeout_seconds),
        "ZDCAL_WEB_BODY_TIMEOUT_SECONDS": str(settings.web_body_timeout_seconds),
        "ZDCAL_LOG_LEVEL": "WARNING",
        "ZDCAL_LOG_FORMAT": "text",
    }


@dataclass
class ZdcalServeProcess(Background):
    """``zdcal serve`` as a child process, on a free port. Use as a context manager.

    ``cores`` pins it (and every thread it starts) to those CPU cores: the child inherits
    the affinity this process has at the moment of the fork, so it is pinned from its
    first instruction, before any of its threads exist.
    """

    settings: Settings
    work_dir: Path
    port: int
    workers: bool = True
    cores: set[int] | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def start(self) -> Self:
        command = ["serve", "--port", str(self.port)]
        if not self.workers:
            command.append("--no-workers")
        self._process = start_zdcal(
            command, self.settings, self.work_dir / "zdcal-serve.log",
            f"{self.base_url}/healthz", self.cores, self.extra_env,
        )
        return self

    def stop(self) -> None:
        """SIGTERM (graceful: buffered notifications are committed), then wait."""
        stop_child(self._process, timeout=40)


@dataclass
class ZdcalWorkerProcess(Background):
    """``zdcal worker`` (the worker tier on PostgreSQL) as a child process, its health
    endpoints on a free port; started once ``/readyz`` answers. Use as a context manager."""

    settings: Settings
    work_dir: Path
    name: str
    concurrency: int | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    health_port: int = field(default_factory=free_port)
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def health_url(self) -> str:
        return f"http://127.0.0.1:{self.health_port}"

    def start(self) -> Self:
        command = ["worker", "--health-port", str(self.health_port)]
        if self.concurrency is not None:
            command += ["--concurrency", str(self.concurrency)]
        self._process = start_zdcal(
            command, self.settings, self.work_dir / f"zdcal-{self.name}.log",
            f"{self.health_url}/readyz", extra_env=self.extra_env,
        )
        return self

    def metrics(self) -> str:
        """Its Prometheus text (``/metrics``): the worker's API and event counters."""
        return httpx.get(f"{self.health_url}/metrics", timeout=10).text

    def stop(self) -> None:
        """SIGTERM (graceful: the jobs in flight finish), then wait."""
        stop_child(self._process, timeout=60)


def start_zdcal(
    arguments: list[str], settings: Settings, log_file: Path, ready_url: str,
    cores: set[int] | None = None, extra_env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """``zdcal ARGUMENTS`` as a child process with ``settings`` as ZDCAL_* variables (and
    ``extra_env``), pinned to ``cores`` if given; returns once ``ready_url`` answers 200."""
    command = [sys.executable, "-m", "zdcal.cli", *arguments]
    own_cores = os.sched_getaffinity(0)
    try:
        if cores:
            os.sched_setaffinity(0, cores)
        with log_file.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 (our interpreter and CLI)
                command, stdout=log, stderr=subprocess.STDOUT, cwd=log_file.parent,
                env={**serve_environment(settings), **(extra_env or {})},
            )
    finally:
        os.sched_setaffinity(0, own_cores)
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(ready_url, timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    stop_child(process, timeout=40)
    raise ServerStartError(log_file.read_text(encoding="utf-8", errors="replace"))


async def bootstrap(settings: Settings, public_url: str, account_id: int | None = None) -> None:
    """zdcal's webhook and trigger in the Zendesk simulator, pointing at ``public_url``:
    for ``account_id``, or the only account."""
    async with await Runtime.open(settings) as runtime:
        services = Services(runtime)
        try:
            if account_id is None:
                async with runtime.store.transaction() as tx:
                    (account,) = await tx.accounts.all()
                account_id = account.id
            await bootstrap_account(services, account_id, public_url)
        finally:
            await services.close()
