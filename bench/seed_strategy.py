"""The seed write-up's strategy, as the baseline zdcal is compared with.

On every change notification, each connected agent searches Zendesk for the tickets
changed since its last search (``type:ticket updated_at>=<last search>``), then sends
Cronofy one upsert or one delete per ticket found: an upsert when the ticket is an open
task of theirs with a due date, a delete otherwise (Cronofy's idempotency makes a
needless delete harmless, as the write-up says).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from population import ADMIN_EMAIL, ADMIN_TOKEN, BenchAgent

OPEN_STATUSES = ("new", "open", "pending", "hold")
EVENT_MINUTES = 30


class SeedStrategyAgent:
    """One agent following the write-up: its own last-search time, its own calendar."""

    def __init__(
        self, agent: BenchAgent, zendesk: httpx.Client, cronofy: httpx.Client
    ) -> None:
        self.agent = agent
        self.zendesk = zendesk
        self.cronofy = cronofy
        self.last_search: datetime | None = None
        self.searches = 0
        self.writes = 0

    def on_change(self, now: datetime) -> None:
        """A notification came: search for changed tickets, write each one's event."""
        query = "type:ticket"
        if self.last_search is not None:
            query += f" updated_at>={self.last_search.strftime('%Y-%m-%dT%H:%M:%SZ')}"
        self.last_search = now
        for ticket in self._search(query):
            self._write(ticket)

    def _search(self, query: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        url: str | None = "/api/v2/search.json"
        params: dict[str, Any] | None = {"query": query, "per_page": 100}
        while url:
            response = self.zendesk.get(url, params=params)
            response.raise_for_status()
            self.searches += 1
            body = response.json()
            found += [r for r in body["results"] if r.get("result_type") == "ticket"]
            url, params = body.get("next_page"), None
        return found

    def _write(self, ticket: dict[str, Any]) -> None:
        path = f"/v1/calendars/{self.agent.calendar_id}/events"
        event_id = f"zendesk-ticket-{ticket['id']}"
        wanted = (
            ticket.get("type") == "task"
            and ticket.get("status") in OPEN_STATUSES
            and ticket.get("assignee_id") == self.agent.zendesk_user_id
            and ticket.get("due_at")
        )
        if wanted:
            start = datetime.fromisoformat(ticket["due_at"].replace("Z", "+00:00"))
            end = start + timedelta(minutes=EVENT_MINUTES)
            response = self.cronofy.post(path, json={
                "event_id": event_id,
                "summary": ticket.get("subject") or f"Ticket {ticket['id']}",
                "start": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "end": end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            })
        else:
            response = self.cronofy.request("DELETE", path, json={"event_id": event_id})
        response.raise_for_status()
        self.writes += 1


def zendesk_client(base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, auth=(f"{ADMIN_EMAIL}/token", ADMIN_TOKEN),
                        timeout=60)


def cronofy_client(base_url: str, agent: BenchAgent) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=60,
                        headers={"Authorization": f"Bearer {agent.access_token}"})
