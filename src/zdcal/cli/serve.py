"""``zdcal serve`` and ``zdcal bootstrap`` / ``teardown``: the live service."""

from __future__ import annotations

import asyncio

import click

from zdcal.cli.base import find_account, run_with_runtime, settings
from zdcal.live.bootstrap import bootstrap_account, teardown_account
from zdcal.live.logs import configure_logging
from zdcal.live.services import Services
from zdcal.runtime import Runtime
from zdcal.store import private_directory, upgrade
from zdcal.web.app import create_app
from zdcal.web.http_server import run_server
from zdcal.webhook_urls import zendesk_receiver_url


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--no-workers", is_flag=True, help="Serve requests only; another process syncs.")
def serve_command(host: str, port: int, no_workers: bool) -> None:
    """Run the receiver, the worker and the scheduler in one process.

    With --no-workers, the web tier only: receivers, pages and health; on PostgreSQL it
    defers jobs that ``zdcal worker`` processes run (docs/scale.md).
    Endpoints: /webhooks/zendesk/<account key>, /healthz, /readyz, /metrics and the
    pages. SIGTERM finishes the writes in flight; notifications not yet applied stay
    queued in the database. Slow clients and connections are limited by the ZDCAL_WEB_*
    settings (docs/configuration.md).
    """
    config = settings()
    configure_logging(config.log_level, config.log_format)
    private_directory(config.data_dir)
    asyncio.run(upgrade(config.database_url))
    app = create_app(config, run_workers=not no_workers)
    run_server(app, config, host=host, port=port)


@click.command("worker")
@click.option("--concurrency", type=click.IntRange(min=1),
              help="Jobs run at once (default ZDCAL_WORKER_CONCURRENCY).")
@click.option("--health-port", type=int,
              help="Serve /healthz, /readyz and /metrics on this port (default: none).")
@click.option("--health-host", default="127.0.0.1", show_default=True)
def worker_command(concurrency: int | None, health_port: int | None, health_host: str) -> None:
    """Run background jobs from PostgreSQL: the worker tier (run as many as needed).

    Takes jobs (drain notifications, read calendar changes, sweeps, verifies, mail, ...)
    that the web tier (``zdcal serve --no-workers``) and the periodic tick defer. SIGTERM
    or Ctrl+C lets the jobs in flight finish (up to ZDCAL_WORKER_SHUTDOWN_GRACE_SECONDS).
    Needs PostgreSQL: on SQLite, ``zdcal serve`` does all the work itself. See
    docs/scale.md.
    """
    from zdcal.jobs.queued import QueuedWork
    from zdcal.jobs.scheduler import uses_job_engine
    from zdcal.web.app import create_health_app
    from zdcal.web.http_server import serve_beside

    config = settings()
    if not uses_job_engine(config.database_url):
        raise click.ClickException(
            "zdcal worker needs PostgreSQL (ZDCAL_DATABASE_URL=postgresql://...): on SQLite, "
            "'zdcal serve' runs all the background work itself."
        )
    configure_logging(config.log_level, config.log_format)

    async def work() -> None:
        async with await Runtime.open(config) as runtime:
            services = Services(runtime, tier="worker")
            queued = QueuedWork(services, concurrency=concurrency, worker_name="worker")
            try:
                if health_port is None:
                    await queued.run()
                else:
                    await serve_beside(create_health_app(services, queued), host=health_host,
                                       port=health_port, until=queued.run())
            finally:
                await queued.stop()
                await services.close()

    asyncio.run(work())


@click.command("bootstrap")
@click.option("--account", "subdomain", help="Only this account (default: all).")
@click.option("--public-url", help="Where Zendesk reaches zdcal (default ZDCAL_PUBLIC_URL).")
def bootstrap_command(subdomain: str | None, public_url: str | None) -> None:
    """Create or repair zdcal's webhook and trigger in Zendesk (safe to run again)."""

    async def work(runtime: Runtime) -> list[str]:
        lines = []
        services = Services(runtime)
        try:
            for account in await find_account(runtime, subdomain):
                url = public_url or runtime.settings.public_url
                result = await bootstrap_account(services, account.id, url)
                done = ", ".join(
                    [f"created {x}" for x in result.created]
                    + [f"repaired {x}" for x in result.repaired]
                )
                lines.append(
                    f"{account.subdomain}: {done} (webhook {result.webhook_id}, trigger "
                    f"{result.trigger_id}) → {zendesk_receiver_url(url, account.key)}"
                )
        finally:
            await services.close()
        return lines

    for line in run_with_runtime(work):
        click.echo(line)


@click.command("teardown")
@click.option("--account", "subdomain", help="Only this account (default: all).")
def teardown_command(subdomain: str | None) -> None:
    """Remove zdcal's webhook and trigger from Zendesk."""

    async def work(runtime: Runtime) -> list[str]:
        services = Services(runtime)
        lines = []
        try:
            for account in await find_account(runtime, subdomain):
                removed = await teardown_account(services, account.id)
                lines.append(f"{account.subdomain}: removed {', '.join(removed) or 'nothing'}")
            return lines
        finally:
            await services.close()

    for line in run_with_runtime(work):
        click.echo(line)
