"""The zdcal ASGI app: receivers, health and metrics, then the pages.

Its lifespan opens the runtime, the shared services, the notification intake and the
background workers, and hands them to every request as ``request.state.services``,
``request.state.workers`` and ``request.state.intake``.

Everything under ``/webhooks/`` answers JSON, never a page: a receiver path with another
method than POST is 405 (with ``Allow``), any other path there 404.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from zdcal.calendars import registry
from zdcal.clock import Clock
from zdcal.jobs.scheduler import Scheduler, scheduler_for
from zdcal.live.intake import NotificationIntake
from zdcal.live.services import Services
from zdcal.runtime import Runtime
from zdcal.settings import Settings
from zdcal.web.calendar_push import DisconnectionChecks, calendar_push
from zdcal.web.health import healthz, metrics, readyz
from zdcal.web.ics_feed import FEED_PATH, ics_feed
from zdcal.web.pages import create_pages_app
from zdcal.web.refusals import WebhookRefusals
from zdcal.web.webhooks import ZendeskWebhookReceiver
from zdcal.webhook_urls import (
    WEBHOOKS_PREFIX,
    ZENDESK_RECEIVER,
    calendar_lifecycle_path,
    calendar_receiver_path,
)


def create_health_app(services: Services, workers: Scheduler) -> Starlette:
    """``/healthz``, ``/readyz`` and ``/metrics`` of a process that serves nothing else
    (``zdcal worker --health-port``): the same endpoints as the web tier's."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        yield {"services": services, "workers": workers}

    return Starlette(
        routes=[Route("/healthz", healthz), Route("/readyz", readyz),
                Route("/metrics", metrics)],
        lifespan=lifespan,
    )


class AnyMethod:
    """``endpoint`` as an ASGI app, which a Route serves for every method (given a
    function, a Route answers only the methods it lists, GET by default)."""

    def __init__(self, endpoint: Callable[[Request], Awaitable[Response]]) -> None:
        self._endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self._endpoint(Request(scope, receive))
        await response(scope, receive, send)


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    run_workers: bool = True,
    workers_options: dict[str, Any] | None = None,
) -> Starlette:
    """The whole app. ``run_workers=False`` serves requests only (the web tier: another
    process works; on PostgreSQL, the ``zdcal worker`` processes). ``workers_options``
    tune the in-process loops of SQLite."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        runtime = await Runtime.open(settings, clock=clock)
        services = Services(runtime, tier="all" if run_workers else "web")
        workers = scheduler_for(services, run_workers=run_workers, options=workers_options)
        intake = NotificationIntake(
            runtime.store, runtime.clock, on_committed=workers.notify,
            # A delivery can pass the timestamp check from one window before its
            # timestamp to one window after: that long its copies must be recognised.
            remember_for=2 * timedelta(seconds=settings.webhook_replay_window_seconds),
        )
        refusals = WebhookRefusals(services.metrics)
        receiver = ZendeskWebhookReceiver(services, intake, refusals)
        workers.start()
        try:
            yield {"services": services, "workers": workers, "intake": intake,
                   "receiver": receiver, "refusals": refusals,
                   "disconnection_checks": DisconnectionChecks()}
        finally:
            # Order matters for a graceful stop: no new notification is accepted once the
            # server stops reading requests; the buffered ones are committed; the work in
            # flight finishes; then connections close.
            await intake.close()
            await workers.stop()
            await services.close()
            await runtime.aclose()

    async def zendesk_webhook(request: Request) -> Response:
        receiver: ZendeskWebhookReceiver = request.state.receiver
        return await receiver(request)

    async def post_only(request: Request) -> Response:
        refusals: WebhookRefusals = request.state.refusals
        receiver = request.url.path.split("/")[2]
        return refusals.refuse(receiver, 405, "method not allowed", {"Allow": "POST"})

    async def no_receiver(request: Request) -> Response:
        return JSONResponse({"error": "no such receiver"}, status_code=404)

    calendar_receivers = [
        route
        for backend in registry.names()
        for path in (calendar_receiver_path(backend), calendar_lifecycle_path(backend))
        for route in (
            Route(path, calendar_push(backend), methods=["POST"]),
            Route(path, AnyMethod(post_only)),
        )
    ]
    return Starlette(
        routes=[
            Route(ZENDESK_RECEIVER, zendesk_webhook, methods=["POST"]),
            Route(ZENDESK_RECEIVER, AnyMethod(post_only)),
            *calendar_receivers,
            Route(WEBHOOKS_PREFIX + "{rest:path}", AnyMethod(no_receiver)),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            Route(FEED_PATH, ics_feed),
            Mount("/", app=create_pages_app()),
        ],
        lifespan=lifespan,
    )
