"""``/subscriptions``: create (with the validation handshake), read, renew, delete, reauthorize."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from zdcal.sandbox.microsoft import assumptions
from zdcal.sandbox.microsoft.errors import GraphError, invalid, new_guid
from zdcal.sandbox.microsoft.model import Subscription, User
from zdcal.sandbox.microsoft.odata import json_object
from zdcal.sandbox.microsoft.rendering import GRAPH, render_subscription
from zdcal.sandbox.microsoft.routes_api import PREFIX
from zdcal.sandbox.microsoft.simulator import MicrosoftSimulator

CHANGE_TYPES = ("created", "updated", "deleted")
_RESOURCES = [re.compile(pattern, re.IGNORECASE) for pattern in
              assumptions.SUBSCRIPTION_RESOURCES]


def _extension_error(status: int, message: str) -> GraphError:
    return GraphError(status, "ExtensionError", message)


class GraphSubscriptions:
    def __init__(self, sim: MicrosoftSimulator) -> None:
        self.sim = sim

    def routes(self) -> list[BaseRoute]:
        one = PREFIX + "/subscriptions/{subscription_id}"
        return [
            Route(PREFIX + "/subscriptions", self.create, methods=["POST"]),
            Route(PREFIX + "/subscriptions", self.list, methods=["GET"]),
            Route(one, self.get, methods=["GET"]),
            Route(one, self.renew, methods=["PATCH"]),
            Route(one, self.delete, methods=["DELETE"]),
            Route(one + "/reauthorize", self.reauthorize, methods=["POST"]),
        ]

    def _expiration(self, raw: object) -> datetime:
        try:
            moment = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        except ValueError:
            raise invalid("expirationDateTime is not a valid date and time.",
                          "InvalidRequest") from None
        if moment.tzinfo is None:
            raise invalid("expirationDateTime must be in UTC.", "InvalidRequest")
        now, limit = self.sim.now(), self.sim.config.subscription_max_minutes
        if moment <= now or moment > now + timedelta(minutes=limit):
            raise _extension_error(400, f"Subscription expiration can only be {limit} minutes "
                                        "in the future.")
        return moment

    def _target(self, user: User, resource: object) -> str:
        """The calendar a resource watches (``me/events``: the default one, see assumptions)."""
        text = str(resource) if isinstance(resource, str) else ""
        for pattern in _RESOURCES:
            match = pattern.fullmatch(text)
            if match is None:
                continue
            groups = {k: v for k, v in match.groupdict().items() if v}
            who = groups.get("user") or groups.get("user2")
            if who is not None and who.lower() not in (user.user_id, user.email.lower()):
                raise _extension_error(403, "Operation: Create; Exception: [Status Code: "
                                            "Forbidden; Reason: Access is denied.]")
            calendar_id = groups.get("calendar") or groups.get("calendar2")
            if calendar_id is not None:
                calendar = self.sim.state.calendars.get(calendar_id)
                if calendar is None or calendar.user_id != user.user_id:
                    raise GraphError(404, *assumptions.ITEM_NOT_FOUND)
                return calendar_id
            return self.sim.state.default_calendar(user.user_id).calendar_id
        raise invalid(f"Resource '{text}' is not supported by the simulator.", "InvalidRequest")

    async def create(self, request: Request) -> Response:
        body = await json_object(request)
        with self.sim.state.lock:
            _, user = self.sim.authenticate(request, assumptions.READ_SCOPES)
            change_types = tuple(str(body.get("changeType", "")).split(","))
            if not change_types or not set(change_types) <= set(CHANGE_TYPES):
                raise invalid("changeType must be created, updated and/or deleted.",
                              "InvalidRequest")
            url, lifecycle = body.get("notificationUrl"), body.get("lifecycleNotificationUrl")
            for name, value in (("notificationUrl", url), ("lifecycleNotificationUrl",
                                                           lifecycle)):
                if (value is not None or name == "notificationUrl") and not (
                    isinstance(value, str) and value.startswith(("https://", "http://"))
                ):
                    raise invalid(f"Invalid {name}.", "InvalidRequest")
            client_state = body.get("clientState")
            if client_state is not None and (
                not isinstance(client_state, str) or len(client_state) >
                assumptions.CLIENT_STATE_MAX
            ):
                raise invalid("clientState is limited to 128 characters.", "InvalidRequest")
            calendar_id = self._target(user, body.get("resource"))
            expiration = self._expiration(body.get("expirationDateTime"))
            mine = [s for s in self.sim.state.subscriptions.values()
                    if s.user_id == user.user_id]
            if len(mine) >= assumptions.MAX_SUBSCRIPTIONS_PER_MAILBOX:
                raise _extension_error(403, "The maximum number of subscriptions for this "
                                            "mailbox has been reached.")
        assert isinstance(url, str)
        timeout = self.sim.config.validation_timeout_seconds
        for target in (url, lifecycle):
            if isinstance(target, str) and not await self.sim.sender.validate(
                target, secrets.token_urlsafe(24), timeout
            ):
                raise GraphError(400, *assumptions.SUBSCRIPTION_VALIDATION_FAILED)
        subscription = Subscription(
            new_guid(), user.user_id, str(body["resource"]), calendar_id, change_types, url,
            lifecycle if isinstance(lifecycle, str) else None,
            client_state if isinstance(client_state, str) else None, expiration,
            str(body.get("latestSupportedTlsVersion") or "v1_2"),
        )
        with self.sim.state.lock:
            self.sim.state.subscriptions[subscription.subscription_id] = subscription
        return JSONResponse(self._render(subscription), 201)

    def _render(self, subscription: Subscription) -> dict[str, Any]:
        return render_subscription(subscription, self.sim.config.client_id)

    def _mine(self, request: Request) -> Subscription:
        """The request's subscription: live and created by the token's user; else 404."""
        _, user = self.sim.authenticate(request, assumptions.READ_SCOPES)
        found = self.sim.state.subscriptions.get(request.path_params["subscription_id"])
        if found is not None and found.expiration <= self.sim.now():
            del self.sim.state.subscriptions[found.subscription_id]
            found = None
        if found is None or found.user_id != user.user_id:
            raise GraphError(404, *assumptions.SUBSCRIPTION_NOT_FOUND)
        return found

    async def list(self, request: Request) -> Response:
        with self.sim.state.lock:
            _, user = self.sim.authenticate(request, assumptions.READ_SCOPES)
            now = self.sim.now()
            value = [self._render(s) for s in self.sim.state.subscriptions.values()
                     if s.user_id == user.user_id and s.expiration > now]
            for item in value:
                item.pop("@odata.context")
            return JSONResponse({"@odata.context": f"{GRAPH}/$metadata#subscriptions",
                                 "value": value})

    async def get(self, request: Request) -> Response:
        with self.sim.state.lock:
            return JSONResponse(self._render(self._mine(request)))

    async def renew(self, request: Request) -> Response:
        body = await json_object(request)
        with self.sim.state.lock:
            subscription = self._mine(request)
            subscription.expiration = self._expiration(body.get("expirationDateTime"))
            return JSONResponse(self._render(subscription))

    async def delete(self, request: Request) -> Response:
        with self.sim.state.lock:
            subscription = self._mine(request)
            del self.sim.state.subscriptions[subscription.subscription_id]
        return Response(status_code=204)

    async def reauthorize(self, request: Request) -> Response:
        with self.sim.state.lock:
            self._mine(request)
        return Response(status_code=assumptions.REAUTHORIZE_STATUS)
