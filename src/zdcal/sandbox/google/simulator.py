"""One running simulator: its config, clock, memory, quotas, faults, counters and push sender,
and the bearer-token check."""

from __future__ import annotations

import copy
from typing import Any

from starlette.requests import Request

from zdcal.sandbox.faults import FaultedClock
from zdcal.sandbox.google import assumptions
from zdcal.sandbox.google.config import GoogleSimConfig, check_quota_status
from zdcal.sandbox.google.errors import GoogleApiError
from zdcal.sandbox.google.model import Grant
from zdcal.sandbox.google.push import PushSender, RetryPolicy
from zdcal.sandbox.google.quota import Quotas
from zdcal.sandbox.google.request_stats import GoogleRequestStats
from zdcal.sandbox.google.store import GoogleState


class GoogleSimulator(FaultedClock):
    """Shared by the API, OAuth and control routes of one app."""

    def __init__(self, config: GoogleSimConfig) -> None:
        super().__init__(copy.deepcopy(config.faults))
        self.config = config
        self.state = GoogleState(config.users)
        self.quota_figures = self._configured_quota_figures()
        self.quotas = self._new_quotas()
        self.stats = GoogleRequestStats()
        self.push = PushSender(
            self.injector, self.clock,
            RetryPolicy(config.push_retries, config.push_retry_base_seconds),
            config.push_timeout_seconds,
        )

    def _configured_quota_figures(self) -> dict[str, int]:
        config = self.config
        return {
            "requests_per_minute_per_user": config.requests_per_minute_per_user,
            "requests_per_minute_per_project": config.requests_per_minute_per_project,
            "quota_status": config.quota_status,
        }

    def _new_quotas(self) -> Quotas:
        figures = self.quota_figures
        return Quotas(figures["requests_per_minute_per_user"],
                      figures["requests_per_minute_per_project"], figures["quota_status"],
                      self.clock)

    def reset(self) -> None:
        """Back to the start: the configured users and calendars only (users added at run time
        are gone), old tokens and channels dead, quotas, fault knobs and counters as configured,
        scripted failures and the push log cleared."""
        for channel in self.state.channels.values():
            channel.stopped = True
        self.state = GoogleState(self.config.users)
        self.quota_figures = self._configured_quota_figures()
        self.quotas = self._new_quotas()
        self.stats.reset()
        self.injector.scripted.clear()
        self.configure_faults(copy.deepcopy(self.config.faults).as_dict())
        self.push.log.clear()

    def set_quotas(self, values: dict[str, Any]) -> dict[str, int]:
        """Change quota figures at run time (windows start afresh); unknown names refused."""
        unknown = set(values) - set(self.quota_figures)
        if unknown:
            raise ValueError(f"unknown quota figures {sorted(unknown)}; "
                             f"known: {sorted(self.quota_figures)}")
        figures = dict(self.quota_figures)
        for name, value in values.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive whole number")
            figures[name] = value
        check_quota_status(figures["quota_status"])
        self.quota_figures = figures
        self.quotas = self._new_quotas()
        return figures

    def notify(self, calendar_id: str) -> None:
        """Tell every live channel watching the calendar's events that something changed.

        Call with ``self.state.lock`` held, from a request handler (deliveries run on its loop).
        """
        now = self.now()
        for channel in list(self.state.channels.values()):
            if not channel.live(now):
                channel.stopped = True
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
        try:
            self.quotas.admit(grant.email)
        except GoogleApiError as refusal:
            self.stats.record_quota_refusal(grant.email, refusal.reason)
            raise
        self.stats.record_call(grant.email)
        return grant
