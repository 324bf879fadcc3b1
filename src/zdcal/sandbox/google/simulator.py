"""One running simulator: its config, clock and memory, and the bearer-token check."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request

from zdcal.clock import SystemClock
from zdcal.sandbox.google import assumptions
from zdcal.sandbox.google.config import GoogleSimConfig
from zdcal.sandbox.google.errors import GoogleApiError
from zdcal.sandbox.google.model import Grant
from zdcal.sandbox.google.push import PushSender
from zdcal.sandbox.google.quota import Quotas
from zdcal.sandbox.google.store import GoogleState


class GoogleSimulator:
    """Shared by the API, OAuth and control routes of one app."""

    def __init__(self, config: GoogleSimConfig) -> None:
        self.config = config
        self.clock = SystemClock()
        self.state = GoogleState(config.users)
        self.quotas = self._new_quotas()
        self.push = PushSender()

    def _new_quotas(self) -> Quotas:
        config = self.config
        return Quotas(config.requests_per_minute_per_user, config.requests_per_minute_per_project,
                      config.quota_status, self.clock)

    def now(self) -> datetime:
        return self.clock.now()

    def reset(self) -> None:
        """Forget everything but the configured users and calendars; old tokens stop working."""
        self.state = GoogleState(self.config.users)
        self.quotas = self._new_quotas()

    def notify(self, calendar_id: str) -> None:
        """Tell every live channel watching the calendar's events that something changed.

        Call with ``self.state.lock`` held, from a request handler (deliveries run on its loop).
        """
        now = self.now()
        for channel in list(self.state.channels.values()):
            if channel.expiration <= now:
                del self.state.channels[channel.channel_id]
            elif channel.calendar_id == calendar_id:
                self.push.send(channel, "exists")

    def authenticate(self, request: Request, scopes: tuple[str, ...]) -> Grant:
        """The grant behind the request's bearer token, which must carry one of ``scopes``;
        the call is counted against the user's and the project's quotas.

        Call with ``self.state.lock`` held.
        """
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        grant = None
        if scheme.lower() == "bearer" and token:
            grant = self.state.grant_for_access_token(token.strip(), self.now())
        if grant is None:
            raise GoogleApiError(
                401, "authError", "Invalid Credentials", location="Authorization",
                location_type="header",
            )
        if not grant.scopes.intersection(scopes):
            raise GoogleApiError(403, "insufficientPermissions",
                                 assumptions.INSUFFICIENT_SCOPE_MESSAGE)
        self.quotas.admit(grant.email)
        return grant
