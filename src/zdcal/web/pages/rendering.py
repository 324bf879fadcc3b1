"""Server-rendered pages: the Jinja2 environment (autoescaped) and its helpers."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from zdcal.live.services import Services
from zdcal.web.pages.csrf import FIELD, csrf_token
from zdcal.web.pages.identity import current_user

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
_FLASH_KEY = "flash"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def thousands(count: int) -> str:
    """A count as pages show every count: with thousands separators ("12,345")."""
    return f"{count:,}"


templates.env.filters["thousands"] = thousands


def time_ago(then: datetime | None, now: datetime) -> str:
    """``then`` in words relative to ``now``: "just now", "5 minutes ago", "never"."""
    if then is None:
        return "never"
    seconds = int((now - then).total_seconds())
    if seconds < 45:
        return "just now"
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = round(seconds / size) if unit == "minute" else seconds // size
            return f"{thousands(count)} {unit}{'s' if count != 1 else ''} ago"
    return "just now"  # unreachable: seconds >= 45 is at least a minute once rounded


def flash(request: Request, message: str, *, error: bool = False) -> None:
    """Show ``message`` once, on the next page rendered for this session."""
    request.session[_FLASH_KEY] = {"message": message, "error": error}


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a page with the helpers every template may use."""
    services: Services = request.state.services
    now = services.clock.now()
    response: HTMLResponse = templates.TemplateResponse(
        request,
        template,
        {
            "user": current_user(request),
            "csrf_field": FIELD,
            "csrf_token": csrf_token(request.session),
            "flash": request.session.pop(_FLASH_KEY, None),
            "now": now,
            "ago": lambda then: time_ago(then, now),
            **context,
        },
        status_code=status,
    )
    return response
