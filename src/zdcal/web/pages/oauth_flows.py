"""OAuth flows in progress, bound to the browser's session.

Starting a flow stores a random ``state`` (and whatever the callback needs, e.g. the
PKCE verifier) in the session; the callback must bring back the same ``state`` for the
same purpose, once. A flow is forgotten after its callback, good or bad. The provider's
``error`` is shown only when it is one of OAuth's own codes, never as sent.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Any

from starlette.requests import Request

from zdcal.web.pages.errors import OAuthDenied, OAuthStateMismatch

log = logging.getLogger(__name__)

_KEY = "oauth"
# The authorization endpoint's error codes (RFC 6749, section 4.1.2.1).
OAUTH_ERRORS = frozenset({
    "invalid_request", "unauthorized_client", "access_denied", "unsupported_response_type",
    "invalid_scope", "server_error", "temporarily_unavailable",
})


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
        known = error if error in OAUTH_ERRORS else None
        log.info("%s flow answered with OAuth error %s", purpose, known or "(not a known code)")
        raise OAuthDenied(
            "You did not allow access (or the provider refused it), so nothing was changed."
            if known == "access_denied"
            else f"The provider refused the request ({known or 'unknown error'}). "
            "Nothing was changed."
        )
    code = request.query_params.get("code", "")
    if not code:
        raise OAuthStateMismatch("The answer carried no authorization code. Start again.")
    return flow, code
