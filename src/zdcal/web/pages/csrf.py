"""CSRF protection: a random token per session, required in every form posted.

The token is compared in constant time; it lives in the encrypted session, so a page of
another origin can neither read nor forge it. Needed also because the session cookie is
``SameSite=None`` over https (the Zendesk iframe).

Before any of that, a posted body is read with a cap and parsed with limits, so an
anonymous post cannot make the process hold more than :data:`MAX_FORM_BYTES`.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message

from zdcal.web.bodies import BodyRefused, read_capped_body
from zdcal.web.pages.errors import CsrfRejected, FormRefused

FIELD = "csrf_token"
_SESSION_KEY = "csrf"
# zdcal's largest form (connect: five short fields) is well under 1 KiB.
MAX_FORM_BYTES = 8 * 1024
MAX_FORM_FIELDS = 16

Endpoint = Callable[[Request], Awaitable[Response]]


def csrf_token(session: dict[str, Any]) -> str:
    """The session's CSRF token, created on first use."""
    token = session.get(_SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = session[_SESSION_KEY] = secrets.token_urlsafe(32)
    return token


async def capped_form(request: Request) -> FormData:
    """The posted form, refused unparsed (:class:`FormRefused`) when its body is larger
    than any of zdcal's forms, and refused by the parser when it has too many fields or
    any file."""
    try:
        body = await read_capped_body(request, MAX_FORM_BYTES)
    except BodyRefused as refused:
        message = ("This form is larger than any of zdcal's forms." if refused.status == 413
                   else "The form did not arrive whole. Reload and retry.")
        raise FormRefused(refused.status, message) from refused

    async def replay() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        return await Request(request.scope, replay).form(
            max_files=0, max_fields=MAX_FORM_FIELDS, max_part_size=MAX_FORM_BYTES)
    except HTTPException as exc:  # how Starlette reports the parser's refusals
        raise FormRefused(400, "This is not one of zdcal's forms.") from exc


async def checked_form(request: Request) -> FormData:
    """The posted form (:func:`capped_form`), once its CSRF token matched the session's;
    else :class:`CsrfRejected`."""
    form = await capped_form(request)
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
        await checked_form(request)
        return await endpoint(request)

    return guarded
