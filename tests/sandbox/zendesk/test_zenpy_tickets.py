"""Fidelity: zenpy, a widely used Zendesk client, unchanged, drives the simulator's
tickets, searches, exports, deleted tickets and users.

zenpy builds every URL as ``<scheme>://<subdomain>.<domain>/api/v2/...``; its own
environment overrides ``ZENPY_FORCE_SCHEME`` and ``ZENPY_FORCE_NETLOC`` (read when each
URL is built, zenpy/lib/api.py ``_build_url``) point it at the simulator on loopback.
Pages after the first are fetched from the URLs the simulator returns. zenpy is a test
dependency only; the product never imports it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from zenpy import Zenpy
from zenpy.lib.api_objects import Ticket
from zenpy.lib.exception import RecordNotFoundException

from .conftest import ADMIN, Sim


@pytest.fixture
def zenpy(sim: Sim, monkeypatch: pytest.MonkeyPatch) -> Iterator[Zenpy]:
    """zenpy as the seeded admin (API token), aimed at the simulator."""
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", sim.base_url.removeprefix("http://"))
    email, token = ADMIN
    client = Zenpy(subdomain="sandbox", email=email, token=token, disable_cache=True, timeout=10)
    yield client
    client.tickets.session.close()  # one requests session, shared by every zenpy API


def new_task(zenpy: Zenpy, subject: str, due_at: str = "2030-04-01T17:00:00Z") -> Ticket:
    audit = zenpy.tickets.create(Ticket(subject=subject, description=f"About {subject}",
                                        type="task", assignee_id=1002, due_at=due_at))
    ticket: Ticket = audit.ticket
    return ticket


def test_create_show_update_and_delete(zenpy: Zenpy, sim: Sim) -> None:
    created = new_task(zenpy, "Call back")
    assert created.status == "open"  # assigned on create: Zendesk opens it

    shown = zenpy.tickets(id=created.id)
    assert (shown.subject, shown.type, shown.assignee_id) == ("Call back", "task", 1002)
    assert shown.due_at == "2030-04-01T17:00:00Z"

    shown.due_at = "2030-04-05T17:00:00Z"
    shown.priority = "high"
    audit = zenpy.tickets.update(shown)
    assert audit.ticket.due_at == "2030-04-05T17:00:00Z"
    assert zenpy.tickets(id=created.id).priority == "high"

    zenpy.tickets.delete(shown)
    with pytest.raises(RecordNotFoundException):
        zenpy.tickets(id=created.id)


def test_show_many(zenpy: Zenpy) -> None:
    made = [new_task(zenpy, f"Task {n}").id for n in range(3)]
    zenpy.tickets.delete(zenpy.tickets(id=made[1]))
    found = [t.id for t in zenpy.tickets(ids=[*made, 999_999])]
    assert found == [made[0], made[2]]


def test_search_and_search_export(zenpy: Zenpy, sim: Sim) -> None:
    first = new_task(zenpy, "Older task")
    sim.advance(5)
    second = new_task(zenpy, "Newer task")
    zenpy.tickets.create(Ticket(subject="A question", description="?", type="question"))

    found = zenpy.search(type="ticket", ticket_type="task", status="open",
                         sort_by="created_at", sort_order="asc")
    assert [t.id for t in found] == [first.id, second.id]

    # zenpy puts type:ticket in the query AND sends filter[type]=ticket (real Zendesk
    # answers that with 200, recorded); the export sends the newest first.
    exported = zenpy.search_export(type="ticket", ticket_type="task", cursor_pagination=1)
    assert [t.id for t in exported] == [second.id, first.id]


def test_incremental_ticket_export_by_cursor(zenpy: Zenpy, sim: Sim) -> None:
    made = [new_task(zenpy, f"Export {n}").id for n in range(3)]
    sim.advance(61)  # the newest minute is never exported

    everything = zenpy.tickets.incremental(start_time=0, per_page=1)  # one ticket a page
    assert [t.id for t in everything] == made
    # zenpy keeps the last page's JSON; its after_cursor resumes the export later.
    cursor = everything._response_json["after_cursor"]

    changed = zenpy.tickets(id=made[1])
    changed.status = "pending"
    zenpy.tickets.update(changed)
    sim.advance(61)
    later = zenpy.tickets.incremental(cursor=cursor)
    assert [(t.id, t.status) for t in later] == [(made[1], "pending")]
    assert all(isinstance(t.generated_timestamp, int) for t in later)


def test_deleted_tickets_listed_restored_and_permanently_deleted(
    zenpy: Zenpy, sim: Sim
) -> None:
    restored, purged = new_task(zenpy, "Comes back"), new_task(zenpy, "Goes for good")
    zenpy.tickets.delete(zenpy.tickets(id=restored.id))
    zenpy.tickets.delete(zenpy.tickets(id=purged.id))
    assert sorted(t.id for t in zenpy.tickets.deleted()) == sorted([restored.id, purged.id])

    zenpy.tickets.restore(restored.id)  # real Zendesk answers {} (recorded)
    assert zenpy.tickets(id=restored.id).subject == "Comes back"

    (still_deleted,) = list(zenpy.tickets.deleted())
    assert still_deleted.id == purged.id
    job = zenpy.tickets.permanently_delete(still_deleted)
    assert job.status == "queued"
    assert zenpy.job_status(id=job.id).status == "completed"
    assert list(zenpy.tickets.deleted()) == []
    with pytest.raises(RecordNotFoundException):
        zenpy.tickets.restore(purged.id)
    sim.advance(61)
    scrubbed = [t for t in zenpy.tickets.incremental(start_time=0) if t.id == purged.id]
    assert [(t.subject, t.status) for t in scrubbed] == [("SCRUBBED", "deleted")]


def test_users(zenpy: Zenpy) -> None:
    me = zenpy.users.me()
    assert (me.id, me.role) == (1001, "admin")
    nia = zenpy.users(id=1002)
    assert (nia.name, nia.time_zone, nia.iana_time_zone) == (
        "Nia Agent", "Eastern Time (US & Canada)", "America/New_York"
    )
    lena = zenpy.users(id=1004)  # the default seed shows her time_zone IANA-style
    assert (lena.time_zone, lena.iana_time_zone) == ("Europe/Berlin", "Europe/Berlin")
    assert sorted(u.id for u in zenpy.users(ids=[1002, 1003, 424242])) == [1002, 1003]
