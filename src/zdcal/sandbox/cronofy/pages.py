"""The simulator's few HTML pages (consent, OAuth error, overview), rendered by Jinja2."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse

_TEMPLATES = Environment(
    loader=PackageLoader("zdcal.sandbox.cronofy", "templates"),
    autoescape=select_autoescape(["html"]),
)


def render_page(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """An HTML response from ``templates/<template>``."""
    return HTMLResponse(_TEMPLATES.get_template(template).render(**context), status_code)
