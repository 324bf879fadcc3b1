"""The pages people see: agent onboarding and the admin page."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route


async def home(request: Request) -> Response:
    return HTMLResponse("<!doctype html><title>zdcal</title><h1>zdcal is running</h1>")


def create_pages_app() -> Starlette:
    """The pages sub-app, mounted at "/" by :func:`zdcal.web.app.create_app`."""
    return Starlette(routes=[Route("/", home)])
