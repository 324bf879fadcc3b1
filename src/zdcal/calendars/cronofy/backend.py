"""Cronofy as a calendar backend: domain actions in, batch requests out."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from zdcal.calendars.base import (
    CalendarAuthorizationLost,
    CalendarInfo,
    CalendarUnavailable,
    EventObject,
    FailureKind,
    ManagedEvent,
    WriteOutcome,
    WriteStatus,
)
from zdcal.calendars.cronofy.client import BATCH_LIMIT, CronofyClient
from zdcal.calendars.cronofy.errors import (
    CronofyError,
    Forbidden,
    Locked,
    RateLimited,
    ServerError,
    TokenRefreshBusy,
    Unauthorized,
    Unreachable,
)
from zdcal.calendars.cronofy.models import BatchEntry, BatchEntryResult
from zdcal.domain import Action, Delete, Upsert

_DONE = WriteOutcome(WriteStatus.DONE)


def _describe_errors(errors: Any) -> str:
    """Cronofy's 422 ``errors`` mapping as short plain words for an admin."""
    if not isinstance(errors, dict) or not errors:
        return "rejected by the calendar"
    parts = []
    for field_name, problems in sorted(errors.items()):
        details = [
            str(p.get("description") or p.get("key") or "invalid")
            for p in (problems if isinstance(problems, list) else [])
            if isinstance(p, dict)
        ]
        parts.append(f"{field_name}: {'; '.join(details) or 'invalid'}")
    return ", ".join(parts)


def _outcome(action: Action, result: BatchEntryResult) -> WriteOutcome:
    if result.ok:
        return _DONE
    if result.status == 404:
        # The calendar is gone or no longer shared: nothing of ours can remain in it.
        if isinstance(action, Delete):
            return _DONE
        return WriteOutcome(WriteStatus.REJECTED, "the chosen calendar no longer exists",
                            FailureKind.CALENDAR_GONE)
    if result.status == 422:
        return WriteOutcome(WriteStatus.REJECTED, _describe_errors(result.errors),
                            FailureKind.REJECTED)
    if result.status == 423:
        raise CalendarAuthorizationLost("the calendar provider needs the agent to relink")
    if result.status in (401, 403):
        raise CalendarAuthorizationLost(f"the calendar refused access ({result.status})")
    return WriteOutcome(WriteStatus.RETRY, f"calendar answered {result.status}",
                        FailureKind.UNAVAILABLE)


def _entry(action: Action) -> BatchEntry:
    if isinstance(action, Upsert):
        return BatchEntry.upsert(action.entry.calendar_id, action.entry.body)
    return BatchEntry.delete(action.entry.calendar_id, action.entry.event_id)


class CronofyAgentCalendar:
    """One agent's Cronofy account, speaking the :class:`AgentCalendar` protocol."""

    def __init__(self, client: CronofyClient) -> None:
        self._client = client

    async def calendars(self) -> list[CalendarInfo]:
        try:
            found = await self._client.list_calendars()
        except CronofyError as exc:
            raise connection_error(exc) from exc
        return [
            CalendarInfo(
                calendar_id=c.calendar_id,
                name=c.calendar_name or c.calendar_id,
                writable=c.writable,
                primary=bool(getattr(c, "calendar_primary", False)),
                provider=c.provider_name or "",
                profile=c.profile_name or "",
            )
            for c in found
        ]

    async def apply(
        self,
        actions: Sequence[Action],
        stored: Mapping[tuple[str, str], EventObject] | None = None,
    ) -> list[WriteOutcome]:
        # Cronofy upserts and deletes by our own event id: nothing stored is needed.
        outcomes: list[WriteOutcome] = []
        for start in range(0, len(actions), BATCH_LIMIT):
            chunk = actions[start : start + BATCH_LIMIT]
            try:
                results = await self._client.batch([_entry(a) for a in chunk])
            except CronofyError as exc:
                raise connection_error(exc) from exc
            outcomes.extend(_outcome(a, r) for a, r in zip(chunk, results, strict=True))
        return outcomes

    async def managed_events(
        self,
        calendar_ids: Sequence[str],
        *,
        last_modified: datetime | None = None,
        recorded: Collection[tuple[str, str]] = (),  # Cronofy lists deletions itself
    ) -> AsyncIterator[ManagedEvent]:
        try:
            async for event in self._client.read_events(
                only_managed=True,
                include_deleted=True,
                last_modified=last_modified,
                calendar_ids=list(calendar_ids),
            ):
                if event.event_id is None:
                    continue
                yield ManagedEvent(
                    calendar_id=event.calendar_id,
                    event_id=event.event_id,
                    start=_time_text(event.start),
                    end=_time_text(event.end),
                    deleted=event.deleted,
                    updated=event.updated,
                )
        except CronofyError as exc:
            raise connection_error(exc) from exc


    def read_state(self) -> str | None:
        return None  # changes are read by last_modified


def _time_text(value: str | dict[str, Any]) -> str:
    return value if isinstance(value, str) else str(value.get("time", ""))


def connection_error(exc: CronofyError) -> Exception:
    """Map a whole-request failure to what the engine acts on."""
    if isinstance(exc, Unauthorized | Locked | Forbidden):
        return CalendarAuthorizationLost(str(exc))
    if isinstance(exc, RateLimited | ServerError | Unreachable | TokenRefreshBusy):
        return CalendarUnavailable(str(exc))
    return CalendarUnavailable(f"unexpected calendar error: {exc}")
