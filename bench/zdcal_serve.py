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
from simulators import STARTUP_TIMEOUT_SECONDS, stop_child
from zdcal.live.bootstrap import bootstrap_account
from zdcal.live.services import Services
from zdcal.runtime import Runtime
from zdcal.sandbox.background import Background
from zdcal.settings import Settings


class ServerStartError(RuntimeError):
    """``zdcal serve`` did not answer /healthz in time (its output is in the message)."""


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
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def start(self) -> Self:
        command = [sys.executable, "-m", "zdcal.cli", "serve", "--port", str(self.port)]
        if not self.workers:
            command.append("--no-workers")
        log_file = self.work_dir / "zdcal-serve.log"
        own_cores = os.sched_getaffinity(0)
        try:
            if self.cores:
                os.sched_setaffinity(0, self.cores)
            with log_file.open("wb") as log:
                self._process = subprocess.Popen(  # noqa: S603 (our interpreter and CLI)
                    command, stdout=log, stderr=subprocess.STDOUT, cwd=self.work_dir,
                    env=serve_environment(self.settings),
                )
        finally:
            os.sched_setaffinity(0, own_cores)
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline and self._process.poll() is None:
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise ServerStartError(log_file.read_text(encoding="utf-8", errors="replace"))

    def stop(self) -> None:
        """SIGTERM (graceful: buffered notifications are committed), then wait."""
        stop_child(self._process, timeout=40)


async def bootstrap(settings: Settings, public_url: str) -> None:
    """zdcal's webhook and trigger in the Zendesk simulator, pointing at ``public_url``."""
    async with await Runtime.open(settings) as runtime:
        services = Services(runtime)
        try:
            async with runtime.store.transaction() as tx:
                (account,) = await tx.accounts.all()
            await bootstrap_account(services, account.id, public_url)
        finally:
            await services.close()
