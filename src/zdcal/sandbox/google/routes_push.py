"""events.watch and channels.stop: push channels over a calendar's events."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from zdcal.sandbox.google import assumptions
from zdcal.sandbox.google.errors import GoogleApiError, invalid, not_found
from zdcal.sandbox.google.push import Channel
from zdcal.sandbox.google.routes_api import PREFIX, json_object
from zdcal.sandbox.google.simulator import GoogleSimulator


class GooglePush:
    def __init__(self, sim: GoogleSimulator) -> None:
        self.sim = sim

    def routes(self) -> list[BaseRoute]:
        return [
            Route(PREFIX + "/calendars/{calendar_id}/events/watch", self.watch, methods=["POST"]),
            Route(PREFIX + "/channels/stop", self.stop, methods=["POST"]),
        ]

    async def watch(self, request: Request) -> Response:
        body = await json_object(request)
        with self.sim.state.lock:
            grant = self.sim.authenticate(request, assumptions.EVENT_READ_SCOPES)
            calendar = self.sim.state.calendar_of(grant.email, request.path_params["calendar_id"])
            if calendar is None:
                raise not_found()
            channel_id, address = body.get("id"), body.get("address")
            if not isinstance(channel_id, str) or not 0 < len(channel_id) <= 64:
                raise invalid("Invalid channel id.", "id")
            if body.get("type") not in assumptions.CHANNEL_TYPES:
                raise invalid("Invalid channel type.", "type")
            if not isinstance(address, str) or not address.startswith(("https://", "http://")):
                raise invalid("Invalid channel address.", "address")
            if channel_id in self.sim.state.channels:
                raise GoogleApiError(400, "channelIdNotUnique", "Channel id not unique.")
            now = self.sim.now()
            expiration = now + timedelta(seconds=assumptions.CHANNEL_TTL_SECONDS)
            wanted = body.get("expiration")
            if wanted is not None:
                try:
                    asked = datetime.fromtimestamp(int(wanted) / 1000, UTC)
                except (TypeError, ValueError, OverflowError, OSError):
                    raise invalid("Invalid expiration.", "expiration") from None
                expiration = max(min(asked, expiration), now)
            expiration = min(expiration, now + _ttl(body.get("params")))
            token = body.get("token")
            channel = Channel(
                channel_id, secrets.token_urlsafe(20),
                f"{request.base_url}calendar/v3/calendars/{calendar.calendar_id}/events"
                "?alt=json",
                calendar.calendar_id, grant.email, address,
                token if isinstance(token, str) else None, expiration,
            )
            self.sim.state.channels[channel_id] = channel
            self.sim.push.send(channel, "sync")
            answer = {
                "kind": "api#channel", "id": channel.channel_id,
                "resourceId": channel.resource_id, "resourceUri": channel.resource_uri,
                "expiration": str(int(expiration.timestamp() * 1000)),
            }
            if channel.token is not None:
                answer["token"] = channel.token
            return JSONResponse(answer)

    async def stop(self, request: Request) -> Response:
        body = await json_object(request)
        with self.sim.state.lock:
            grant = self.sim.authenticate(request, assumptions.EVENT_READ_SCOPES)
            channel = self.sim.state.channels.get(str(body.get("id")))
            if channel is None or channel.email != grant.email or (
                channel.resource_id != body.get("resourceId")
            ):
                raise GoogleApiError(404, "notFound",
                                     f"Channel '{body.get('id')}' not found for project.")
            channel.stopped = True
            del self.sim.state.channels[channel.channel_id]
        return Response(status_code=204)


def _ttl(params: object) -> timedelta:
    """``params.ttl`` (seconds, a string at Google); absent: the week-long default."""
    week = timedelta(seconds=assumptions.CHANNEL_TTL_SECONDS)
    if params is None:
        return week
    raw = params.get(assumptions.PUSH_TTL_PARAM) if isinstance(params, dict) else None
    if raw is None and isinstance(params, dict):
        return week
    try:
        seconds = int(str(raw))
    except ValueError:
        raise invalid("Invalid ttl.", "params.ttl") from None
    if seconds < 0:
        raise invalid("Invalid ttl.", "params.ttl")
    return min(timedelta(seconds=seconds), week)
