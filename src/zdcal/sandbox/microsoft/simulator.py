"""One running simulator: config, clock, memory, limits, notifications and the token check."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from zdcal.sandbox.faults import FaultedClock
from zdcal.sandbox.microsoft import assumptions
from zdcal.sandbox.microsoft.config import MicrosoftSimConfig
from zdcal.sandbox.microsoft.errors import GraphError
from zdcal.sandbox.microsoft.model import Grant, StoredEvent, User
from zdcal.sandbox.microsoft.push import NotificationSender
from zdcal.sandbox.microsoft.rendering import etag, graph_time
from zdcal.sandbox.microsoft.store import MicrosoftState
from zdcal.sandbox.microsoft.throttle import MailboxThrottle
from zdcal.sandbox.request_stats import FaultedRequestStats


class MicrosoftSimulator(FaultedClock):
    """Shared by the Graph, identity-platform and control routes of one app."""

    def __init__(self, config: MicrosoftSimConfig) -> None:
        super().__init__(replace(config.faults))
        self.config = config
        self.state = MicrosoftState(config.users)
        self.throttle = self._new_throttle()
        self.stats = FaultedRequestStats()
        self.sender = NotificationSender(config.notification_timeout_seconds,
                                         config.notification_retry_delays, self.injector)

    def _new_throttle(self) -> MailboxThrottle:
        c = self.config
        return MailboxThrottle(c.requests_per_window, c.window_seconds, c.concurrent_requests,
                               self.clock)

    def reset(self) -> None:
        """Back to the start: the configured users and calendars only (tokens, subscriptions
        and users added at run time gone), fault knobs and clock as configured, scripted
        failures, counters and the delivery log cleared."""
        with self.state.lock:
            self.state = MicrosoftState(self.config.users)
            self.throttle = self._new_throttle()
            self.stats.reset()
            self.sender.delivered.clear()
            self.injector.scripted.clear()
            self.configure_faults(replace(self.config.faults).as_dict())

    def error_response(self, request: Request, error: GraphError) -> Response:
        return error.response(request, self.now())

    def stats_snapshot(self) -> dict[str, Any]:
        return {**self.stats.snapshot(), "mailboxes": self.throttle.as_dict()}

    # --- auth ----------------------------------------------------------------------------
    def mailbox_of(self, request: Request) -> str | None:
        """The mailbox a request's bearer token acts on (for throttling); no checks."""
        token = _bearer(request)
        with self.state.lock:
            grant = self.state.grants.get(self.state.access_tokens.get(token or "", ""))
            return grant.user_id if grant is not None else None

    def authenticate(self, request: Request, scopes: tuple[str, ...]) -> tuple[Grant, User]:
        """The grant and user behind the bearer token, which must carry one of ``scopes``.

        Call with ``self.state.lock`` held.
        """
        token = _bearer(request)
        code, empty, expired = assumptions.UNAUTHENTICATED
        if not token:
            raise GraphError(401, code, empty, {"WWW-Authenticate": "Bearer"})
        grant = self.state.grant_for_access_token(token, self.now())
        if grant is None:
            raise GraphError(401, code, expired, {"WWW-Authenticate": "Bearer"})
        if not grant.scopes.intersection(scopes):
            raise GraphError(403, "ErrorAccessDenied",
                             "Access is denied. Check credentials and try again.")
        return grant, self.state.users[grant.user_id]

    # --- change notifications --------------------------------------------------------------
    def notify(self, event: StoredEvent, change_type: str) -> None:
        """Tell every live subscription watching the event's calendar what happened.

        Call with ``self.state.lock`` held, from a request handler (deliveries use its loop).
        """
        now = self.now()
        for subscription in list(self.state.subscriptions.values()):
            if subscription.expiration <= now:
                del self.state.subscriptions[subscription.subscription_id]
                continue
            if subscription.user_id != event.user_id or change_type not in (
                subscription.change_types
            ) or subscription.calendar_id != event.calendar_id:
                continue
            resource = f"Users/{event.user_id}/Events/{event.event_id}"
            item: dict[str, Any] = {
                "subscriptionId": subscription.subscription_id,
                "subscriptionExpirationDateTime": graph_time(subscription.expiration),
                "changeType": change_type,
                "resource": resource,
                "resourceData": {
                    "@odata.type": "#Microsoft.Graph.Event",
                    "@odata.id": resource,
                    "@odata.etag": etag(event.change_key),
                    "id": event.event_id,
                },
                "tenantId": self.config.tenant_id,
            }
            if subscription.client_state is not None:
                item["clientState"] = subscription.client_state
            self.sender.send(subscription.notification_url, "change", [item])


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
