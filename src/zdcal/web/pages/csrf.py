"""CSRF protection: a random token per session, required in every form posted.

The token is compared in constant time; it lives in the encrypted session, so a page of
another origin can neither read nor forge it. Needed also because the session cookie is
``SameSite=None`` over https (the Zendesk iframe).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from zdcal.web.pages.errors import CsrfRejected

FIELD = "csrf_token"
_SESSION_KEY = "csrf"

Endpoint = Callable[[Request], Awaitable[Response]]


def csrf_token(session: dict[str, Any]) -> str:
    """The session's CSRF token, created on first use."""
    token = session.get(_SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = session[_SESSION_KEY] = secrets.token_urlsafe(32)
    return token


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token matched the session's; else :class:`CsrfRejected`."""
    form = await request.form()
    sent = form.get(FIELD)
    expected = request.session.get(_SESSION_KEY)
    if (
        not isinstance(sent, str)
        or not isinstance(expected, str)
        or not expected
        or not hmac.compare_digest(sent.encode(), expected.encode())
    ):
        raise CsrfRejected("The form was stale or not sent from zdcal's page. Reload and retry.")
    return form


def csrf_protected(endpoint: Endpoint) -> Endpoint:
    """Wrap a POST endpoint so it runs only after :func:`checked_form` passed."""

    @wraps(endpoint)
    async def guarded(request: Request) -> Response:
        await checked_form(request)  # Starlette caches the parsed form for the endpoint
        return await endpoint(request)

    return guarded
