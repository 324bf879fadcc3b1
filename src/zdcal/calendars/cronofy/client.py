"""The Cronofy API calls zdcal makes for one linked account, typed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

from zdcal.calendars.cronofy.errors import BatchTooLarge, CronofyError
from zdcal.calendars.cronofy.models import (
    Account,
    BatchEntry,
    BatchEntryResult,
    Calendar,
    Channel,
    Event,
    UserInfo,
    events_path,
)
from zdcal.calendars.cronofy.transport import CronofyTransport

BATCH_LIMIT = 50
"""Cronofy accepts at most this many entries per batch request."""


def _utc_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware one")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _flag(value: bool) -> str:
    return "true" if value else "false"


class CronofyClient(CronofyTransport):
    """An async client for one linked Cronofy account. Use as ``async with``.

    ``on_tokens`` receives the new tokens after every refresh (the refresh token may
    rotate: store it). ``coordinate_refresh`` wraps every refresh, so that processes
    sharing one authorization refresh it one at a time (see zdcal.sync.token_refresh).
    Share one ``limiter`` (see ``application_rate_limiter``) across all
    accounts' clients: Cronofy's limits are per application. Without one, each client
    paces itself alone.
    """

    async def _get_json(self, path: str, params: Any = None) -> Any:
        response = await self.request(
            "GET", self.url(path), params=params, idempotent=True
        )
        return response.json()

    # Account and calendars -------------------------------------------------------------

    async def account(self) -> Account:
        data = await self._get_json("/v1/account")
        return Account.model_validate(data["account"])

    async def userinfo(self) -> UserInfo:
        return UserInfo.model_validate(await self._get_json("/v1/userinfo"))

    async def list_calendars(self) -> list[Calendar]:
        """Every calendar of the account; check ``writable`` before writing."""
        data = await self._get_json("/v1/calendars")
        return [Calendar.model_validate(c) for c in data.get("calendars", [])]

    # Managed events --------------------------------------------------------------------

    async def upsert_event(self, calendar_id: str, event: Mapping[str, Any]) -> None:
        """Create or update the event keyed by ``event["event_id"]`` (202, no body).

        Safe to retry: the (calendar_id, event_id) pair makes a repeat an update.
        """
        if not event.get("event_id"):
            raise ValueError("a managed event needs an event_id")
        await self.request(
            "POST",
            self.url(events_path(calendar_id)),
            json=dict(event),
            idempotent=True,
        )

    async def delete_event(self, calendar_id: str, event_id: str) -> None:
        """Delete our event; deleting one that does not exist is a no-op (202)."""
        await self.request(
            "DELETE",
            self.url(events_path(calendar_id)),
            json={"event_id": event_id},
            idempotent=True,
        )

    async def read_events(
        self,
        *,
        tzid: str = "Etc/UTC",
        from_date: date | None = None,
        to_date: date | None = None,
        only_managed: bool = True,
        include_deleted: bool = True,
        last_modified: datetime | None = None,
        calendar_ids: Sequence[str] | None = None,
    ) -> AsyncIterator[Event]:
        """Events across the account's calendars, following ``next_page`` to the end.

        Managed events ignore Cronofy's default date window, so without ``from_date`` and
        ``to_date`` this reads every event we manage, across all time.
        """
        params: list[tuple[str, str]] = [
            ("tzid", tzid),
            ("only_managed", _flag(only_managed)),
            ("include_deleted", _flag(include_deleted)),
        ]
        if only_managed:
            # Managed events are excluded by default; asking only for them implies them.
            params.append(("include_managed", "true"))
        if from_date is not None:
            params.append(("from", from_date.isoformat()))
        if to_date is not None:
            params.append(("to", to_date.isoformat()))
        if last_modified is not None:
            params.append(("last_modified", _utc_text(last_modified)))
        params.extend(("calendar_ids[]", cid) for cid in calendar_ids or ())

        url: str | None = self.url("/v1/events")
        query: list[tuple[str, str]] | None = params
        while url is not None:
            response = await self.request("GET", url, params=query, idempotent=True)
            data = response.json()
            for raw in data.get("events", []):
                yield Event.model_validate(raw)
            next_page = (data.get("pages") or {}).get("next_page")
            if next_page and not self.same_origin(next_page):
                raise CronofyError(f"next_page points to another host: {next_page}")
            # next_page is a complete URL with its own query.
            url, query = next_page or None, None

    async def batch(self, entries: Sequence[BatchEntry]) -> list[BatchEntryResult]:
        """Send up to 50 upserts/deletes in one request; one result per entry, in order.

        Entries succeed or fail independently (207). Resending the whole batch is safe
        because every entry is an idempotent upsert or delete.
        """
        if len(entries) > BATCH_LIMIT:
            raise BatchTooLarge(
                f"a Cronofy batch takes at most {BATCH_LIMIT} entries, got {len(entries)}; split it"
            )
        if not entries:
            return []
        response = await self.request(
            "POST",
            self.url("/v1/batch"),
            json={"batch": [entry.as_json() for entry in entries]},
            idempotent=True,
        )
        results = response.json().get("batch", [])
        if len(results) != len(entries):
            raise CronofyError(
                f"Cronofy answered {len(results)} batch results for {len(entries)} entries"
            )
        return [
            BatchEntryResult(status=int(item.get("status", 0)), data=item.get("data"))
            for item in results
        ]

    # Push notification channels --------------------------------------------------------

    async def create_channel(
        self,
        callback_url: str,
        *,
        only_managed: bool = True,
        calendar_ids: Sequence[str] | None = None,
    ) -> Channel:
        """Ask Cronofy to POST change notifications to ``callback_url``.

        Notifications carry no credentials: put the account's identity in the URL.
        """
        filters: dict[str, Any] = {"only_managed": only_managed}
        if calendar_ids:
            filters["calendar_ids"] = list(calendar_ids)
        response = await self.request(
            "POST",
            self.url("/v1/channels"),
            json={"callback_url": callback_url, "filters": filters},
            idempotent=False,
        )
        return Channel.model_validate(response.json()["channel"])

    async def list_channels(self) -> list[Channel]:
        data = await self._get_json("/v1/channels")
        return [Channel.model_validate(c) for c in data.get("channels", [])]

    async def close_channel(self, channel_id: str) -> None:
        await self.request(
            "DELETE",
            self.url(f"/v1/channels/{quote(channel_id, safe='')}"),
            idempotent=True,
        )
