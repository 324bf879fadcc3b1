"""Who is calling: API-token basic auth or an OAuth bearer token, and what they may do."""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass

from zdcal.sandbox.zendesk.assumptions import WRITE_IMPLIES_READ
from zdcal.sandbox.zendesk.errors import Forbidden, Unauthenticated
from zdcal.sandbox.zendesk.model import User
from zdcal.sandbox.zendesk.oauth import AccessToken, OAuthService
from zdcal.sandbox.zendesk.users import UserDirectory

ROLE_FORBIDDEN_MESSAGE = (
    "You do not have access to this page. Please contact the account owner of this help "
    "desk for further help."
)


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. ``scopes`` is None for API tokens (full access of the role)."""

    user: User
    scopes: frozenset[str] | None
    token: AccessToken | None = None

    def require_role(self, *roles: str) -> None:
        """403 unless the user has one of these roles."""
        if self.user.role not in roles:
            raise Forbidden(ROLE_FORBIDDEN_MESSAGE)

    def require_scope(self, resource: str, write: bool) -> None:
        """403 unless the OAuth token's scopes allow this access to ``resource``."""
        if self.scopes is None:
            return
        access = "write" if write else "read"
        allowed = {access, f"{resource}:{access}"}
        if not write and WRITE_IMPLIES_READ:
            allowed |= {"write", f"{resource}:write"}
        if not allowed & self.scopes:
            raise Forbidden(f"The OAuth token lacks the {resource}:{access} scope.")


def identify(
    authorization: str | None, users: UserDirectory, oauth: OAuthService, now: float
) -> Principal | None:
    """The caller named by an Authorization header; None when there is none.

    Raises Unauthenticated for credentials that are present but wrong, expired or revoked.
    """
    if not authorization:
        return None
    scheme, _, credentials = authorization.strip().partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        token = oauth.access_token(credentials.strip(), now)
        if token is None:
            raise Unauthenticated()
        user = users.by_id.get(token.user_id)
        if user is None or not user.active:
            raise Unauthenticated()
        return Principal(user, frozenset(token.scopes), token)
    if scheme == "basic":
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise Unauthenticated() from exc
        login, _, secret = decoded.partition(":")
        email, marker, _ = login.partition("/token")
        if not marker:
            raise Unauthenticated()  # passwords are not simulated; only API tokens
        user = users.by_email(email)
        if (
            user is None
            or not user.active
            or not user.api_token
            or not hmac.compare_digest(user.api_token, secret)
        ):
            raise Unauthenticated()
        return Principal(user, None)
    raise Unauthenticated()
