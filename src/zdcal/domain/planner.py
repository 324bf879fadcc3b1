"""The planner: desired entries vs recorded entries -> the actions that reconcile them.

Pure and cheap (dict lookups, no copies), in the manner of vdirsyncer's sync planner.
Entries are grouped by ``event_id`` (one per ticket per Zendesk account). For each one:

* a recorded entry in the desired *target* (same agent and same calendar) is kept; it is
  upserted again only when its content hash differs from the desired one;
* every other recorded entry is stale and deleted: the ticket wants no event any more,
  was reassigned, or its agent switched calendars. A ticket may carry any number of
  stale entries (an old agent's delete may have failed because their authorization
  broke); each is deleted exactly once;
* a desired entry without a recorded entry in its target is upserted.

Output order is deterministic: all deletes first (one ``event_id`` may move between two
calendars of the same calendar account, and the provider must see the old copy go
before the new one arrives), then upserts; each group sorted by ticket id, event id,
calendar id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeAlias

from zdcal.domain.entries import DesiredEntry, RecordedEntry
from zdcal.domain.errors import DuplicateDesiredEntry


@dataclass(frozen=True, slots=True)
class Upsert:
    """Create or update ``entry.body`` in ``entry.calendar_id``, then record ``entry``."""

    entry: DesiredEntry


@dataclass(frozen=True, slots=True)
class Delete:
    """Delete ``entry.event_id`` from ``entry.calendar_id``, then forget ``entry``."""

    entry: RecordedEntry


Action: TypeAlias = Upsert | Delete


def _delete_order(action: Delete) -> tuple[int, str, str, int]:
    entry = action.entry
    return (entry.ticket_id, entry.event_id, entry.calendar_id, entry.agent_id)


def _upsert_order(action: Upsert) -> tuple[int, str]:
    return (action.entry.ticket_id, action.entry.event_id)


def plan(desired: Iterable[DesiredEntry], recorded: Iterable[RecordedEntry]) -> list[Action]:
    """Actions that turn the ``recorded`` entries into exactly the ``desired`` ones.

    ``desired`` must be complete for every ticket that has recorded entries (else those
    entries are deleted); use :func:`plan_for_tickets` when only some tickets are known.
    Raises :class:`DuplicateDesiredEntry` when two desired entries share an ``event_id``.
    """
    wanted: dict[str, DesiredEntry] = {}
    for entry in desired:
        if entry.event_id in wanted:
            raise DuplicateDesiredEntry(f"two desired entries for event {entry.event_id!r}")
        wanted[entry.event_id] = entry

    deletes: list[Delete] = []
    up_to_date: set[str] = set()
    for record in recorded:
        target = wanted.get(record.event_id)
        if (
            target is not None
            and record.calendar_id == target.calendar_id
            and record.agent_id == target.agent_id
        ):
            if record.content_hash == target.content_hash:
                up_to_date.add(record.event_id)
        else:
            deletes.append(Delete(record))

    upserts = [Upsert(entry) for event_id, entry in wanted.items() if event_id not in up_to_date]
    deletes.sort(key=_delete_order)
    upserts.sort(key=_upsert_order)
    return [*deletes, *upserts]


def plan_for_tickets(
    ticket_ids: Iterable[int],
    desired: Iterable[DesiredEntry],
    recorded: Iterable[RecordedEntry],
) -> list[Action]:
    """:func:`plan` restricted to ``ticket_ids``: entries of other tickets are left alone.

    For a page of changed tickets: ``ticket_ids`` lists every ticket on the page,
    including those that now want nothing (their recorded entries are deleted).
    """
    scope = frozenset(ticket_ids)
    return plan(
        (entry for entry in desired if entry.ticket_id in scope),
        (entry for entry in recorded if entry.ticket_id in scope),
    )
