"""How a simulator's batch endpoint runs its inner calls: through the same ASGI app, addressed
to a host no HTTP client uses, so the app's gate can count and fault them one by one (as Google
and Graph treat batch entries) yet tell them from outer requests."""

from __future__ import annotations

import httpx
from starlette.types import ASGIApp, Scope

INNER_HOST = "batch.inner"
"""The host inner calls are addressed to: tells them apart from requests over HTTP."""


def is_inner(scope: Scope) -> bool:
    """Whether the request is a batch's inner call (its server is :data:`INNER_HOST`)."""
    return bool((scope.get("server") or ("",))[0] == INNER_HOST)


class InnerClient:
    """One client over the app, made on the first batch (the app is only known then) and
    closed with the app (``aclose`` in its lifespan)."""

    def __init__(self) -> None:
        self._client: httpx.AsyncClient | None = None

    def of(self, app: ASGIApp) -> httpx.AsyncClient:
        if self._client is None:
            transport = httpx.ASGITransport(app=app)
            self._client = httpx.AsyncClient(transport=transport, base_url=f"http://{INNER_HOST}")
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
