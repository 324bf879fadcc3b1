"""OAuth flows in progress, bound to the browser's session.

Starting a flow stores a random ``state`` (and whatever the callback needs, e.g. the
PKCE verifier) in the session; the callback must bring back the same ``state`` for the
same purpose, once. A flow is forgotten after its callback, good or bad.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from starlette.requests import Request

from zdcal.web.pages.errors import OAuthDenied, OAuthStateMismatch

_KEY = "oauth"


def begin_flow(session: dict[str, Any], purpose: str, **data: Any) -> str:
    """Remember a new flow for ``purpose``; returns the ``state`` to send."""
    state = secrets.token_urlsafe(32)
    session[_KEY] = {"purpose": purpose, "state": state, **data}
    return state


def finish_flow(request: Request, purpose: str) -> tuple[dict[str, Any], str]:
    """The flow's data and the authorization code of a callback.

    Raises :class:`OAuthStateMismatch` for a missing, forged or replayed ``state``, and
    :class:`OAuthDenied` when the provider answered with an error.
    """
    flow = request.session.pop(_KEY, None)
    sent = request.query_params.get("state", "")
    if (
        not isinstance(flow, dict)
        or flow.get("purpose") != purpose
        or not sent
        or not hmac.compare_digest(sent.encode(), str(flow.get("state", "")).encode())
    ):
        raise OAuthStateMismatch(
            "This answer does not belong to a sign-in started in this browser. Start again."
        )
    error = request.query_params.get("error")
    if error:
        raise OAuthDenied(
            "You did not allow access (or the provider refused it), so nothing was changed."
            if error == "access_denied"
            else f"The provider refused the request ({error[:60]}). Nothing was changed."
        )
    code = request.query_params.get("code", "")
    if not code:
        raise OAuthStateMismatch("The answer carried no authorization code. Start again.")
    return flow, code
