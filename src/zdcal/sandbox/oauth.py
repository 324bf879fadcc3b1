"""Pieces of the OAuth 2.0 authorization-code flow that the calendar simulators' identity
endpoints share (Google's and Microsoft's): the redirect-URI check, the hidden fields that carry
the request through the consent form, and PKCE (RFC 7636). What each vendor answers on a
failure stays in the vendor's package; these only decide."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
from collections.abc import Iterable
from enum import Enum
from urllib.parse import urlsplit


def pkce_challenge(verifier: str, method: str) -> str:
    """The code challenge a verifier stands for (RFC 7636 §4.2): ``plain`` or ``S256``."""
    if method == "plain":
        return verifier
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class PkceFailure(Enum):
    """Why a code redemption fails PKCE; each vendor words its own error for it."""

    MISSING = "missing"
    MISMATCH = "mismatch"


def pkce_failure(challenge: str | None, method: str, verifier: str | None) -> PkceFailure | None:
    """None when the code had no challenge or ``verifier`` answers it (compared in constant
    time); otherwise why not."""
    if challenge is None:
        return None
    if not verifier:
        return PkceFailure.MISSING
    if not hmac.compare_digest(pkce_challenge(verifier, method), challenge):
        return PkceFailure.MISMATCH
    return None


def redirect_allowed(redirect: str, registered: Iterable[str]) -> bool:
    """An http(s) URI, and one of the registered ones when any are configured."""
    allowed = tuple(registered)
    return (not allowed or redirect in allowed) and urlsplit(redirect).scheme in ("http", "https")


def hidden_inputs(params: dict[str, str], names: Iterable[str]) -> str:
    """The authorization request's parameters as hidden form fields, so the consent form's
    POST carries them back (escaped: they are the caller's text)."""
    return "".join(
        f'<input type="hidden" name="{k}" value="{html.escape(params[k])}">'
        for k in names if k in params
    )
