"""A Graph that answers nonsense (a proxy's HTML page, a $batch answer missing requests,
a subscription without an id): a clear neutral error, never a vendor exception."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from microsoft_backend.ms_backend_support import agent, make_backend, upsert
from zdcal.calendars.base import CalendarUnavailable
from zdcal.sandbox.server import ServerThread
from zdcal.store import CalendarTokens

pytestmark = pytest.mark.anyio


async def nonsense(request: Request) -> Response:
    if request.url.path.endswith("$batch"):
        return JSONResponse({"responses": [{"id": "7", "status": 200}]})
    if request.url.path.endswith("/subscriptions"):
        return JSONResponse({"resource": "me/events"}, 201)
    if request.url.path.endswith("/delta"):
        return JSONResponse([1, 2])
    return HTMLResponse("<html>Sign in to the proxy</html>")


@pytest.fixture(scope="module")
def bad_graph() -> Iterator[str]:
    app = Starlette(routes=[Route("/{path:path}", nonsense, methods=["GET", "POST"])])
    with ServerThread(app) as server:
        yield server.base_url


async def test_nonsense_answers_are_neutral_errors(bad_graph: str) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        backend = make_backend(bad_graph, http)
        someone = agent(CalendarTokens("a", "r", None), calendar_id="c1")
        calendar = backend.for_agent(someone)
        with pytest.raises(CalendarUnavailable, match="no JSON"):
            await calendar.calendars()
        with pytest.raises(CalendarUnavailable, match="misses 1 of 1"):
            await calendar.apply([upsert(1, "c1")])
        with pytest.raises(CalendarUnavailable, match="no JSON object"):
            _ = [e async for e in calendar.managed_events(["c1"])]
        with pytest.raises(CalendarUnavailable, match="without an id"):
            await backend.ensure_channel(someone, "https://zdcal.example/webhooks/x")
