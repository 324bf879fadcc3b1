"""What the web tier and the CLI ask of the background work, whoever schedules it."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.engine import make_url

from zdcal.jobs.inprocess import Workers
from zdcal.live.services import Services


class Scheduler(Protocol):
    """The background work as the pages see it (:class:`zdcal.jobs.inprocess.Workers` on
    SQLite, :class:`zdcal.jobs.queued.QueuedWork` on PostgreSQL)."""

    def start(self) -> None: ...

    async def stop(self, grace: float = 30.0) -> None: ...

    def stopped(self) -> list[str]: ...

    def notify(self) -> None: ...

    def notify_calendar(self) -> None: ...

    async def progress(self, account_id: int) -> dict[str, Any]: ...

    def request_backfill(self, account_id: int) -> None: ...

    def request_verify(self, account_id: int) -> None: ...

    def request_agent_sync(self, account_id: int, zendesk_user_id: int) -> None: ...

    def request_bootstrap(self, account_id: int) -> None: ...


def uses_job_engine(database_url: str) -> bool:
    """Whether this database runs the background work as procrastinate jobs (PostgreSQL)
    rather than in-process loops (SQLite)."""
    return make_url(database_url).get_backend_name() == "postgresql"


def scheduler_for(
    services: Services, *, run_workers: bool, options: dict[str, Any] | None = None
) -> Scheduler:
    """The scheduler for this process: on PostgreSQL the job engine (``run_workers``: this
    process also runs a job worker), on SQLite the in-process loops (``options`` tune
    them; ``run_workers=False``: none run, another process does the work)."""
    if uses_job_engine(services.settings.database_url):
        from zdcal.jobs.queued import QueuedWork

        return QueuedWork(services, run_worker=run_workers)
    return Workers(services, run=run_workers, **(options or {}))
