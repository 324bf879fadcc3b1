"""The Zendesk Support API calls zdcal makes, typed. Transport details live in transport.py."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from zdcal.zendesk.errors import ZendeskError
from zdcal.zendesk.models import (
    AccountLocalization,
    AppInstallation,
    IncrementalExportBody,
    IncrementalPage,
    SearchExportBody,
    SearchExportMeta,
    SearchExportPage,
    SearchPage,
    SigningSecret,
    Ticket,
    Trigger,
    TriggerCategory,
    User,
    Webhook,
)
from zdcal.zendesk.transport import ZendeskTransport

SHOW_MANY_LIMIT = 100
"""Zendesk's documented maximum of ids per show_many request."""
INCREMENTAL_PAGE_MAX = 1000
LIST_PAGE_SIZE = 100

# What a 403 most likely means, per endpoint family, for the error message.
NEEDS_TICKETS_READ = "an agent (OAuth scope read or tickets:read)"
NEEDS_TICKETS_WRITE = "an agent (OAuth scope write or tickets:write)"
NEEDS_USERS_READ = "an agent (OAuth scope read or users:read)"
NEEDS_ACCOUNT_READ = "an agent (OAuth scope read)"
NEEDS_EXPORT = "an admin (OAuth scope read or tickets:read)"
NEEDS_WEBHOOKS = "an admin (OAuth scope write or webhooks:write)"
NEEDS_TRIGGERS = "an admin (OAuth scope write or triggers:write)"
NEEDS_APPS_READ = "an agent (OAuth scope read or apps:read)"

# `type:` inside an export query is an error (the type goes in filter[type]);
# `ticket_type:` is a different, valid keyword.
_TYPE_KEYWORD = re.compile(r"(?<![\w])type:", re.IGNORECASE)


def _chunks(ids: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _unix(value: int | datetime) -> int:
    return int(value.timestamp()) if isinstance(value, datetime) else int(value)


class ZendeskClient(ZendeskTransport):
    """An async client for one Zendesk account. Use as ``async with ZendeskClient(...)``.

    ``on_tokens`` receives rotated OAuth tokens after a refresh; store the refresh token.
    ``rate_limit`` holds the last account-wide rate-limit headers seen.
    """

    async def _get(
        self, path: str, *, params: Mapping[str, Any] | None = None, needs: str | None = None
    ) -> Any:
        return (await self._get_response(path, params=params, needs=needs)).json()

    async def _get_response(
        self, path: str, *, params: Mapping[str, Any] | None = None, needs: str | None = None
    ) -> httpx.Response:
        return await self.request(
            "GET", self.url(path), params=params, idempotent=True, needs=needs
        )

    # Apps -----------------------------------------------------------------------------

    async def app_installation(self, installation_id: int) -> AppInstallation:
        """An installation of an app in this account (whose app, enabled, its settings)."""
        data = await self._get(
            f"/api/v2/apps/installations/{int(installation_id)}.json", needs=NEEDS_APPS_READ
        )
        return AppInstallation.model_validate(data)

    async def app_public_key(self, app_id: int) -> str:
        """The PEM public key that verifies the app's signed-URL tokens."""
        response = await self._get_response(f"/api/v2/apps/{int(app_id)}/public_key.pem")
        return response.text

    # Users ----------------------------------------------------------------------------

    async def me(self) -> User:
        """The authenticated user. Unauthenticated, Zendesk answers an anonymous user."""
        data = await self._get("/api/v2/users/me", needs=NEEDS_USERS_READ)
        return User.model_validate(data["user"])

    async def show_user(self, user_id: int) -> User:
        data = await self._get(f"/api/v2/users/{int(user_id)}", needs=NEEDS_USERS_READ)
        return User.model_validate(data["user"])

    async def show_many_users(self, user_ids: Sequence[int]) -> list[User]:
        """Users by id, 100 per request; unknown ids are left out."""
        users: list[User] = []
        for chunk in _chunks(list(dict.fromkeys(user_ids)), SHOW_MANY_LIMIT):
            data = await self._get(
                "/api/v2/users/show_many",
                params={"ids": ",".join(str(int(i)) for i in chunk)},
                needs=NEEDS_USERS_READ,
            )
            users.extend(User.model_validate(u) for u in data.get("users", []))
        return users

    async def users_with_roles(
        self, roles: Sequence[str], *, most: int
    ) -> tuple[list[User], bool]:
        """The account's users with one of ``roles`` (List Users with ``role[]``, cursor
        pages of 100), at most ``most`` of them; the flag says whether some were left
        unread."""
        params: dict[str, Any] = {"role[]": list(roles), "page[size]": LIST_PAGE_SIZE}
        users: list[User] = []
        while True:
            data = await self._get("/api/v2/users", params=params, needs=NEEDS_USERS_READ)
            users.extend(User.model_validate(u) for u in data.get("users", []))
            meta = data.get("meta") or {}
            more = bool(meta.get("has_more") and meta.get("after_cursor"))
            if not more or len(users) >= most:
                return users[:most], more or len(users) > most
            params = {**params, "page[after]": meta["after_cursor"]}

    # Account --------------------------------------------------------------------------

    async def account_localization(self) -> AccountLocalization:
        """The account's time zone, from ``settings.localization`` of the account settings."""
        data = await self._get("/api/v2/account/settings", needs=NEEDS_ACCOUNT_READ)
        settings = data.get("settings") if isinstance(data, dict) else None
        localization = settings.get("localization") if isinstance(settings, dict) else None
        return AccountLocalization.model_validate(localization or {})

    # Tickets --------------------------------------------------------------------------

    async def show_ticket(self, ticket_id: int) -> Ticket:
        """One ticket; :class:`NotFound` if missing or deleted."""
        data = await self._get(f"/api/v2/tickets/{int(ticket_id)}", needs=NEEDS_TICKETS_READ)
        return Ticket.model_validate(data["ticket"])

    async def show_many_tickets(self, ticket_ids: Sequence[int]) -> list[Ticket]:
        """Tickets by id, ≤100 per request, concatenated; missing/deleted ids left out."""
        tickets: list[Ticket] = []
        for chunk in _chunks(list(dict.fromkeys(ticket_ids)), SHOW_MANY_LIMIT):
            data = await self._get(
                "/api/v2/tickets/show_many",
                params={"ids": ",".join(str(int(i)) for i in chunk)},
                needs=NEEDS_TICKETS_READ,
            )
            tickets.extend(Ticket.model_validate(t) for t in data.get("tickets", []))
        return tickets

    async def create_ticket(self, fields: Mapping[str, Any]) -> Ticket:
        """Create a ticket. Never retried after a possible delivery: it would duplicate."""
        response = await self.request(
            "POST",
            self.url("/api/v2/tickets"),
            json={"ticket": dict(fields)},
            idempotent=False,
            needs=NEEDS_TICKETS_WRITE,
        )
        return Ticket.model_validate(response.json()["ticket"])

    async def update_ticket(self, ticket_id: int, fields: Mapping[str, Any]) -> Ticket:
        """Update fields; a closed ticket raises :class:`Invalid` (closed prevents update)."""
        response = await self.request(
            "PUT",
            self.url(f"/api/v2/tickets/{int(ticket_id)}"),
            json={"ticket": dict(fields)},
            idempotent=True,
            needs=NEEDS_TICKETS_WRITE,
        )
        return Ticket.model_validate(response.json()["ticket"])

    async def delete_ticket(self, ticket_id: int) -> None:
        """Soft-delete a ticket (it stays restorable for 30 days)."""
        await self.request(
            "DELETE",
            self.url(f"/api/v2/tickets/{int(ticket_id)}"),
            idempotent=True,
            needs=NEEDS_TICKETS_WRITE,
        )

    async def restore_ticket(self, ticket_id: int) -> None:
        """Restore a soft-deleted ticket."""
        await self.request(
            "PUT",
            self.url(f"/api/v2/deleted_tickets/{int(ticket_id)}/restore"),
            idempotent=True,
            needs=NEEDS_TICKETS_WRITE,
        )

    async def incremental_tickets_page(
        self,
        *,
        start_time: int | datetime | None = None,
        cursor: str | None = None,
        per_page: int = INCREMENTAL_PAGE_MAX,
        exclude_deleted: bool = False,
    ) -> IncrementalPage:
        """One page of the cursor-based incremental export (admin only, 10/min).

        Give ``start_time`` (unix seconds or datetime, at least a minute old) on the first
        call and the previous page's ``after_cursor`` afterwards. Read until
        ``end_of_stream``, then keep ``after_cursor`` for the next poll.
        """
        if (start_time is None) == (cursor is None):
            raise ValueError("give exactly one of start_time and cursor")
        if not 1 <= per_page <= INCREMENTAL_PAGE_MAX:
            raise ValueError(f"per_page must be between 1 and {INCREMENTAL_PAGE_MAX}")
        params: dict[str, Any] = {"per_page": per_page}
        if cursor is not None:
            params["cursor"] = cursor
        else:
            assert start_time is not None
            params["start_time"] = _unix(start_time)
        if exclude_deleted:
            params["exclude_deleted"] = "true"
        if self._export_budget is not None:  # its own 10 a minute (INCREMENTAL_EXPORTS_...)
            await self._export_budget.acquire()
        response = await self._get_response(
            "/api/v2/incremental/tickets/cursor", params=params, needs=NEEDS_EXPORT
        )
        body = IncrementalExportBody.model_validate_json(response.content)
        return IncrementalPage(
            tickets=list(body.tickets or ()),
            after_cursor=body.after_cursor,
            end_of_stream=bool(body.end_of_stream),
        )

    # Search ---------------------------------------------------------------------------

    async def search(self, query: str, page: int = 1, *, per_page: int = 100) -> SearchPage:
        """One offset page of search results (≤100 per page, ≤1,000 results per query).

        The index lags by minutes and omits deleted tickets: never use it to track changes.
        """
        data = await self._get(
            "/api/v2/search",
            params={"query": query, "page": page, "per_page": per_page},
            needs=NEEDS_TICKETS_READ,
        )
        return SearchPage(
            results=list(data.get("results", [])),
            count=data.get("count"),
            next_page=data.get("next_page"),
        )

    async def search_export(
        self, query: str, *, page_size: int = 1000
    ) -> AsyncIterator[SearchExportPage]:
        """Every ticket matching ``query``, page by page (cursor pages, no 1,000 cap).

        ``query`` must not contain ``type:``; tickets are selected with ``filter[type]``.
        Cursors live one hour, so consume pages promptly.
        """
        if _TYPE_KEYWORD.search(query):
            raise ValueError("search export queries must not contain type:; it is filter[type]")
        params: dict[str, Any] = {
            "query": query,
            "filter[type]": "ticket",
            "page[size]": page_size,
        }
        while True:
            response = await self._get_response(
                "/api/v2/search/export", params=params, needs=NEEDS_TICKETS_READ
            )
            body = SearchExportBody.model_validate_json(response.content)
            meta = body.meta or SearchExportMeta()
            page = SearchExportPage(
                tickets=list(body.results or ()),
                after_cursor=meta.after_cursor,
                has_more=bool(meta.has_more),
            )
            yield page
            if not page.has_more or not page.after_cursor:
                return
            params = {**params, "page[after]": page.after_cursor}

    # Listing helper -------------------------------------------------------------------

    async def _list_all(
        self, path: str, key: str, *, params: Mapping[str, Any] | None = None, needs: str
    ) -> list[dict[str, Any]]:
        """Every record of a listing, following cursor (``meta``) or offset pagination."""
        query: dict[str, Any] = {"page[size]": LIST_PAGE_SIZE, **(params or {})}
        url = self.url(path)
        records: list[dict[str, Any]] = []
        while True:
            response = await self.request(
                "GET", url, params=query, idempotent=True, needs=needs
            )
            data = response.json()
            records.extend(data.get(key, []))
            meta = data.get("meta") or {}
            if meta.get("has_more") and meta.get("after_cursor"):
                query = {**query, "page[after]": meta["after_cursor"]}
                continue
            next_page = data.get("next_page")
            if next_page and not meta:
                if not self.same_origin(next_page):
                    raise ZendeskError(f"next_page points to another host: {next_page}")
                url, query = next_page, {}
                continue
            return records

    # Webhooks -------------------------------------------------------------------------

    @staticmethod
    def _webhook_path(webhook_id: str) -> str:
        return f"/api/v2/webhooks/{quote(webhook_id, safe='')}"

    async def create_webhook(self, webhook: Mapping[str, Any]) -> Webhook:
        """Create a webhook from the documented ``webhook`` object; returns it (id: ULID)."""
        response = await self.request(
            "POST",
            self.url("/api/v2/webhooks"),
            json={"webhook": dict(webhook)},
            idempotent=False,
            needs=NEEDS_WEBHOOKS,
        )
        return Webhook.model_validate(response.json()["webhook"])

    async def list_webhooks(self, name_contains: str | None = None) -> list[Webhook]:
        params = {} if name_contains is None else {"filter[name_contains]": name_contains}
        records = await self._list_all(
            "/api/v2/webhooks", "webhooks", params=params, needs=NEEDS_WEBHOOKS
        )
        return [Webhook.model_validate(r) for r in records]

    async def show_webhook(self, webhook_id: str) -> Webhook:
        data = await self._get(self._webhook_path(webhook_id), needs=NEEDS_WEBHOOKS)
        return Webhook.model_validate(data["webhook"])

    async def update_webhook(self, webhook_id: str, webhook: Mapping[str, Any]) -> None:
        """Replace a webhook (PUT answers 204 without a body; show it to read it back)."""
        await self.request(
            "PUT",
            self.url(self._webhook_path(webhook_id)),
            json={"webhook": dict(webhook)},
            idempotent=True,
            needs=NEEDS_WEBHOOKS,
        )

    async def delete_webhook(self, webhook_id: str) -> None:
        await self.request(
            "DELETE",
            self.url(self._webhook_path(webhook_id)),
            idempotent=True,
            needs=NEEDS_WEBHOOKS,
        )

    async def webhook_signing_secret(self, webhook_id: str) -> SigningSecret:
        """The secret Zendesk signs this webhook's deliveries with."""
        data = await self._get(
            self._webhook_path(webhook_id) + "/signing_secret", needs=NEEDS_WEBHOOKS
        )
        return SigningSecret.model_validate(data["signing_secret"])

    async def reset_webhook_signing_secret(self, webhook_id: str) -> SigningSecret:
        """Replace the signing secret; returns the new one.

        Marked idempotent on purpose: if a first reset's answer is lost, a second reset
        still ends with us holding the secret Zendesk uses from then on.
        """
        response = await self.request(
            "POST",
            self.url(self._webhook_path(webhook_id) + "/signing_secret"),
            idempotent=True,
            needs=NEEDS_WEBHOOKS,
        )
        return SigningSecret.model_validate(response.json()["signing_secret"])

    # Triggers -------------------------------------------------------------------------

    async def list_trigger_categories(self) -> list[TriggerCategory]:
        records = await self._list_all(
            "/api/v2/trigger_categories", "trigger_categories", needs=NEEDS_TRIGGERS
        )
        return [TriggerCategory.model_validate(r) for r in records]

    async def create_trigger_category(
        self, name: str, *, position: int | None = None
    ) -> TriggerCategory:
        body: dict[str, Any] = {"name": name}
        if position is not None:
            body["position"] = position
        response = await self.request(
            "POST",
            self.url("/api/v2/trigger_categories"),
            json={"trigger_category": body},
            idempotent=False,
            needs=NEEDS_TRIGGERS,
        )
        return TriggerCategory.model_validate(response.json()["trigger_category"])

    async def create_trigger(self, trigger: Mapping[str, Any]) -> Trigger:
        """Create a trigger (``category_id`` must name an existing category)."""
        response = await self.request(
            "POST",
            self.url("/api/v2/triggers"),
            json={"trigger": dict(trigger)},
            idempotent=False,
            needs=NEEDS_TRIGGERS,
        )
        return Trigger.model_validate(response.json()["trigger"])

    async def list_triggers(
        self, *, category_id: str | None = None, active: bool | None = None
    ) -> list[Trigger]:
        params: dict[str, Any] = {}
        if category_id is not None:
            params["category_id"] = category_id
        if active is not None:
            params["active"] = "true" if active else "false"
        records = await self._list_all(
            "/api/v2/triggers", "triggers", params=params, needs=NEEDS_TRIGGERS
        )
        return [Trigger.model_validate(r) for r in records]

    async def show_trigger(self, trigger_id: int) -> Trigger:
        data = await self._get(f"/api/v2/triggers/{int(trigger_id)}", needs=NEEDS_TRIGGERS)
        return Trigger.model_validate(data["trigger"])

    async def update_trigger(self, trigger_id: int, trigger: Mapping[str, Any]) -> Trigger:
        """Update a trigger. Conditions and actions are replaced whole: send both."""
        response = await self.request(
            "PUT",
            self.url(f"/api/v2/triggers/{int(trigger_id)}"),
            json={"trigger": dict(trigger)},
            idempotent=True,
            needs=NEEDS_TRIGGERS,
        )
        return Trigger.model_validate(response.json()["trigger"])

    async def delete_trigger(self, trigger_id: int) -> None:
        await self.request(
            "DELETE",
            self.url(f"/api/v2/triggers/{int(trigger_id)}"),
            idempotent=True,
            needs=NEEDS_TRIGGERS,
        )
