"""The control API (``/_sandbox``): seed, inspect and steer the simulator. No auth, no faults."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from zdcal.sandbox.control_routes import FaultControl, problem
from zdcal.sandbox.cronofy.errors import ResourceNotFound, SeedError
from zdcal.sandbox.cronofy.event_query import render_event
from zdcal.sandbox.cronofy.event_times import format_instant
from zdcal.sandbox.cronofy.managed_events import apply_user_change
from zdcal.sandbox.cronofy.model import Account, StoredEvent
from zdcal.sandbox.cronofy.pages import render_page
from zdcal.sandbox.cronofy.request_bodies import json_body
from zdcal.sandbox.cronofy.seeding import describe_account
from zdcal.sandbox.cronofy.simulator import CronofySimulator
from zdcal.sandbox.faults import CONTROL_PREFIX


def stored_event_json(event: StoredEvent) -> dict[str, Any]:
    """An event as the control API shows it: what was sent, plus the simulator's fields."""
    return {
        "calendar_id": event.calendar_id,
        "event_uid": event.event_uid,
        "event_id": event.event_id,
        "managed": event.managed,
        "sent": event.body,
        "start": event.start.to_json(),
        "end": event.end.to_json(),
        "deleted": event.deleted,
        "created": format_instant(event.created),
        "updated": format_instant(event.updated),
        "user_modified": format_instant(event.user_modified) if event.user_modified else None,
    }


class SandboxControl:
    """Route handlers for the control API."""

    def __init__(self, sim: CronofySimulator) -> None:
        self.sim = sim

    def routes(self) -> list[BaseRoute]:
        p = CONTROL_PREFIX
        return [
            Route(f"{p}/", self.overview, methods=["GET"]),
            Route(f"{p}/seed", self.seed, methods=["POST"]),
            Route(f"{p}/reset", self.reset, methods=["POST"]),
            Route(f"{p}/accounts", self.accounts, methods=["GET"]),
            Route(f"{p}/accounts/{{account_id}}/revoke", self.revoke_account, methods=["POST"]),
            Route(f"{p}/accounts/{{account_id}}/lock", self.lock_account, methods=["POST"]),
            Route(f"{p}/accounts/{{account_id}}/unlock", self.unlock_account, methods=["POST"]),
            Route(f"{p}/accounts/{{account_id}}/notify", self.notify_account, methods=["POST"]),
            Route(f"{p}/calendars/{{calendar_id}}/events", self.calendar_events, methods=["GET"]),
            Route(f"{p}/events/change", self.change_event, methods=["POST"]),
            Route(f"{p}/behaviour", self.behaviour, methods=["GET", "PUT"]),
            *FaultControl(self.sim, format_instant, read_body=json_body, scripted=False).routes(),
            Route(f"{p}/stats", self.stats, methods=["GET"]),
            Route(f"{p}/stats/reset", self.reset_stats, methods=["POST"]),
            Route(f"{p}/notifications", self.notifications, methods=["GET"]),
        ]

    def _accounts_json(self, accounts: list[Account]) -> JSONResponse:
        now = self.sim.now()
        return JSONResponse(
            {"accounts": [describe_account(self.sim.state, a, now) for a in accounts]}
        )

    def _account(self, request: Request) -> Account:
        account = self.sim.state.accounts.get(request.path_params["account_id"])
        if account is None:
            raise ResourceNotFound(f"no account {request.path_params['account_id']}")
        return account

    async def overview(self, request: Request) -> Response:
        state = self.sim.state
        accounts = []
        for account in state.accounts.values():
            zone = ZoneInfo(account.default_tzid)
            calendars = []
            for calendar in state.calendars_of(account):
                events = sorted(
                    state.events_in({calendar.calendar_id}), key=lambda e: e.start.instant(zone)
                )
                calendars.append(
                    {"calendar": calendar, "events": [render_event(e, account) for e in events]}
                )
            channels = len(state.channels_of(account.account_id))
            accounts.append({"account": account, "calendars": calendars, "channels": channels})
        return render_page("overview.html", accounts=accounts, now=format_instant(self.sim.now()))

    async def seed(self, request: Request) -> Response:
        try:
            accounts = self.sim.seed(await json_body(request))
        except SeedError as exc:
            return problem(str(exc))
        return self._accounts_json(accounts)

    async def reset(self, request: Request) -> Response:
        body = await json_body(request)
        empty = bool(body.get("empty")) if isinstance(body, dict) else False
        try:
            accounts = self.sim.reset(empty=empty)
        except SeedError as exc:
            return problem(str(exc))
        return self._accounts_json(accounts)

    async def accounts(self, request: Request) -> Response:
        return self._accounts_json(list(self.sim.state.accounts.values()))

    async def revoke_account(self, request: Request) -> Response:
        account = self._account(request)
        for grant in self.sim.state.grants_of(account.account_id):
            self.sim.state.revoke_grant(grant)
        return self._accounts_json([account])

    async def lock_account(self, request: Request) -> Response:
        account = self._account(request)
        if not account.locked:
            account.locked = True
            self.sim.notify_profile_disconnected(account)
        return self._accounts_json([account])

    async def unlock_account(self, request: Request) -> Response:
        account = self._account(request)
        account.locked = False
        return self._accounts_json([account])

    async def notify_account(self, request: Request) -> Response:
        """Push any notification (``{"type": ..., ...}``) to the account's channels: the
        documented types zdcal does not act on, and types Cronofy may add later."""
        account = self._account(request)
        body = await json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("type"), str) or not body["type"]:
            return problem('give the notification as {"type": "<type>", ...}')
        return JSONResponse({"channels": self.sim.notify_account(account, body)})

    async def calendar_events(self, request: Request) -> Response:
        calendar_id = request.path_params["calendar_id"]
        if calendar_id not in self.sim.state.calendars:
            raise ResourceNotFound(f"no calendar {calendar_id}")
        include_deleted = request.query_params.get("include_deleted", "").lower() == "true"
        events = [
            stored_event_json(e)
            for e in self.sim.state.events_in({calendar_id})
            if include_deleted or not e.deleted
        ]
        return JSONResponse({"events": events})

    async def change_event(self, request: Request) -> Response:
        body = await json_body(request)
        event = apply_user_change(
            self.sim.state, body if isinstance(body, dict) else {}, self.sim.now()
        )
        self.sim.notify_change(event)
        return JSONResponse({"event": stored_event_json(event)})

    async def behaviour(self, request: Request) -> Response:
        if request.method == "PUT":
            values = await json_body(request)
            if not isinstance(values, dict):
                return problem("behaviour is a JSON object of knob names to values")
            try:
                self.sim.behaviour.update(values)
            except (TypeError, ValueError) as exc:
                return problem(str(exc))
        return JSONResponse(self.sim.behaviour.as_dict())

    async def stats(self, request: Request) -> Response:
        return JSONResponse(self.sim.stats.snapshot())

    async def reset_stats(self, request: Request) -> Response:
        self.sim.stats.reset()
        return JSONResponse(self.sim.stats.snapshot())

    async def notifications(self, request: Request) -> Response:
        return JSONResponse(
            {"pending": self.sim.notifier.pending, "deliveries": self.sim.notifier.entries()}
        )
