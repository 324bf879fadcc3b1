"""The zdcal ASGI app: receivers, health and metrics, then the pages.

Its lifespan opens the runtime, the shared services, the notification intake and the
background workers, and hands them to every request as ``request.state.services``,
``request.state.workers`` and ``request.state.intake``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from zdcal.clock import Clock
from zdcal.live.intake import NotificationIntake
from zdcal.live.services import Services
from zdcal.live.worker import Workers
from zdcal.runtime import Runtime
from zdcal.settings import Settings
from zdcal.web.cronofy_push import cronofy_push
from zdcal.web.health import healthz, metrics, readyz
from zdcal.web.pages import create_pages_app
from zdcal.web.webhooks import ZendeskWebhookReceiver


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    run_workers: bool = True,
    workers_options: dict[str, Any] | None = None,
) -> Starlette:
    """The whole app. ``run_workers=False`` serves requests only (another process works)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        runtime = await Runtime.open(settings, clock=clock)
        services = Services(runtime)
        workers = Workers(services, **(workers_options or {}))
        intake = NotificationIntake(runtime.store, on_committed=workers.notify)
        receiver = ZendeskWebhookReceiver(services, intake)
        if run_workers:
            workers.start()
        try:
            yield {"services": services, "workers": workers, "intake": intake,
                   "receiver": receiver}
        finally:
            # Order matters for a graceful stop: no new notification is accepted once the
            # server stops reading requests; the buffered ones are committed; the work in
            # flight finishes; then connections close.
            await intake.close()
            await workers.stop()
            await services.close()
            await runtime.close()

    async def zendesk_webhook(request: Request) -> Response:
        receiver: ZendeskWebhookReceiver = request.state.receiver
        return await receiver(request)

    return Starlette(
        routes=[
            Route("/webhooks/zendesk/{account_key}", zendesk_webhook, methods=["POST"]),
            Route("/webhooks/cronofy/{account_key}/{user_id}", cronofy_push, methods=["POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            Mount("/", app=create_pages_app()),
        ],
        lifespan=lifespan,
    )
