"""Liveness, readiness and metrics endpoints.

``/metrics`` names every connected subdomain: with ``metrics_bearer_token`` set it answers
only ``Authorization: Bearer <token>`` (what Prometheus sends with ``authorization``
configured). Health stays open: it says nothing about the accounts.
"""

from __future__ import annotations

import hmac

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


def bearer_token_matches(authorization: str, token: str) -> bool:
    """Whether an ``Authorization`` header carries ``token`` as a bearer token."""
    scheme, _, sent = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        sent.strip().encode(), token.encode()
    )


async def metrics(request: Request) -> Response:
    """Prometheus metrics; behind the bearer token when one is set."""
    services: Services = request.state.services
    token = services.settings.metrics_bearer_token.get_secret_value()
    if token and not bearer_token_matches(request.headers.get("authorization", ""), token):
        return Response("A bearer token is needed.\n", status_code=401, media_type="text/plain",
                        headers={"WWW-Authenticate": 'Bearer realm="zdcal metrics"'})
    return Response(services.metrics.render(),
                    media_type="text/plain; version=0.0.4; charset=utf-8")
