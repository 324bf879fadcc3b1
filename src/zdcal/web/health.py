"""Liveness, readiness and metrics endpoints."""

from __future__ import annotations

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from zdcal.live.services import Services


async def healthz(request: Request) -> Response:
    """Liveness: the process answers."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Readiness: the database answers and the background workers are alive."""
    services: Services = request.state.services
    problems = []
    try:
        async with services.store.transaction() as tx:
            await tx.session.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means not ready; say which
        problems.append(f"database: {type(exc).__name__}")
    workers = getattr(request.state, "workers", None)
    if workers is not None:
        problems.extend(f"{name} stopped" for name in workers.stopped())
    status = 503 if problems else 200
    return JSONResponse({"status": "ready" if not problems else "not ready",
                         "problems": problems}, status_code=status)


async def metrics(request: Request) -> Response:
    services: Services = request.state.services
    return Response(services.metrics.render(),
                    media_type="text/plain; version=0.0.4; charset=utf-8")
