"""Wiring zdcal into a Zendesk account: a signed webhook and a trigger that calls it.

Idempotent: zdcal finds its own objects by the ids it stored, falling back to a marker
in their names (``[zdcal <account key>]``), and repairs them in place. Nothing is ever
created twice. URL targets are dead in Zendesk (Oct 2024): webhooks only.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from zdcal.live.services import Services
from zdcal.store import Account, Trigger, Webhook
from zdcal.webhook_urls import zendesk_receiver_url
from zdcal.zendesk import ZendeskClient
from zdcal.zendesk.errors import Forbidden, Invalid, NotFound, Unauthorized
from zdcal.zendesk.models import Trigger as ZendeskTrigger
from zdcal.zendesk.models import Webhook as ZendeskWebhook

log = logging.getLogger(__name__)

# What the trigger sends: only ids (placeholders are rendered as plain text, not
# JSON-escaped, so free text such as a subject could break the JSON).
WEBHOOK_BODY = {"ticket_id": "{{ticket.id}}", "account": "{key}"}
NEEDED = (
    "creating webhooks and triggers needs a Zendesk admin (OAuth scopes webhooks:write and "
    "triggers:write, or an admin's API token)"
)


class BootstrapError(Exception):
    """Bootstrap could not be done; the message says why in plain words."""


@dataclass(frozen=True)
class BootstrapResult:
    webhook_id: str
    trigger_id: int
    created: list[str]
    repaired: list[str]


def marker(account: Account) -> str:
    return f"[zdcal {account.key}]"


def webhook_spec(account: Account, public_url: str, bearer_token: str) -> dict[str, Any]:
    return {
        "name": f"zdcal calendar sync {marker(account)}",
        "endpoint": zendesk_receiver_url(public_url, account.key),
        "http_method": "POST",
        "request_format": "json",
        "status": "active",
        "subscriptions": ["conditional_ticket_events"],
        "authentication": {
            "type": "bearer_token", "data": {"token": bearer_token}, "add_position": "header",
        },
    }


def trigger_conditions(*, only_tasks: bool) -> dict[str, Any]:
    """When the trigger fires. Preferably only for tickets that are or were tasks (a
    task retyped away must still notify); on accounts that refuse those conditions,
    every create and change."""
    if only_tasks:
        return {"all": [], "any": [
            {"field": "type", "operator": "is", "value": "task"},
            {"field": "type", "operator": "value_previous", "value": "task"},
        ]}
    return {"all": [], "any": [
        {"field": "update_type", "operator": "is", "value": "Create"},
        {"field": "update_type", "operator": "is", "value": "Change"},
    ]}


def trigger_spec(account: Account, webhook_id: str, category_id: str,
                 *, only_tasks: bool) -> dict[str, Any]:
    body = json.dumps({k: v.replace("{key}", account.key) for k, v in WEBHOOK_BODY.items()})
    return {
        "title": f"zdcal: tell zdcal a ticket changed {marker(account)}",
        "active": True,
        "category_id": category_id,
        "conditions": trigger_conditions(only_tasks=only_tasks),
        "actions": [{"field": "notification_webhook", "value": [webhook_id, body]}],
    }


async def _account_client(
    services: Services, account_id: int
) -> tuple[Account, ZendeskClient]:
    """The stored account and a Zendesk client for it; BootstrapError if there is none."""
    async with services.store.transaction() as tx:
        account = await tx.accounts.get(account_id)
    if account is None:
        raise BootstrapError(f"no account {account_id}")
    return account, services.runtime.zendesk_client(account, services.zendesk_http)


async def bootstrap_account(
    services: Services, account_id: int, public_url: str
) -> BootstrapResult:
    """Create or repair the account's webhook and trigger; store their ids and secret."""
    account, client = await _account_client(services, account_id)
    created: list[str] = []
    repaired: list[str] = []
    try:
        token = account.webhook.bearer_token if account.webhook else secrets.token_urlsafe(32)
        spec = webhook_spec(account, public_url, token)
        found_webhook = await find_webhook(client, account)
        if found_webhook is None:
            webhook_id = (await client.create_webhook(spec)).id
            created.append("webhook")
        else:
            # PUT replaces the whole webhook (an omitted authentication is dropped):
            # the spec is always the complete definition, bearer token included.
            webhook_id = found_webhook.id
            await client.update_webhook(webhook_id, spec)
            repaired.append("webhook")
        secret = (await client.webhook_signing_secret(webhook_id)).secret
        category_id = await _category(client)
        found_trigger = await find_trigger(client, account)
        existing = None if found_trigger is None else found_trigger.id
        trigger_id = await _put_trigger(client, account, webhook_id, category_id, existing)
        (created if existing is None else repaired).append("trigger")
    except (Forbidden, Unauthorized) as exc:
        raise BootstrapError(f"Zendesk refused: {NEEDED}") from exc
    async with services.store.transaction() as tx:
        await tx.accounts.set_webhook(account.id, Webhook(webhook_id, token, (secret,)))
        await tx.accounts.set_trigger(account.id, Trigger(trigger_id, category_id))
        agents = await tx.agents.for_account(account.id)
    # The calendar side: every connected agent's push channel, created where missing.
    sync = services.account_sync(account)
    sync.public_url = public_url.rstrip("/")
    for agent in agents:
        if agent.can_receive_events:
            await sync.ensure_channel(agent)
    log.info("bootstrap of %s: created %s, repaired %s", account.subdomain, created, repaired)
    return BootstrapResult(webhook_id, trigger_id, created, repaired)


async def find_webhook(client: ZendeskClient, account: Account) -> ZendeskWebhook | None:
    """zdcal's webhook in Zendesk: by the stored id, else by the marker in its name
    (every page of the list is read: accounts can hold hundreds of webhooks)."""
    if account.webhook is not None:
        try:
            return await client.show_webhook(account.webhook.id)
        except NotFound:
            pass
    for webhook in await client.list_webhooks(name_contains=marker(account)):
        if marker(account) in (webhook.name or ""):
            return webhook
    return None


async def find_trigger(client: ZendeskClient, account: Account) -> ZendeskTrigger | None:
    """zdcal's trigger in Zendesk: by the stored id, else by the marker in its title."""
    if account.trigger is not None:
        try:
            return await client.show_trigger(account.trigger.id)
        except NotFound:
            pass
    for trigger in await client.list_triggers():
        if marker(account) in (trigger.title or ""):
            return trigger
    return None


async def _category(client: ZendeskClient) -> str:
    """A valid trigger category: zdcal's own if present, else the first, else a new one."""
    categories = await client.list_trigger_categories()
    for category in categories:
        if (category.name or "").lower() == "zdcal":
            return category.id
    if categories:
        return categories[0].id
    return (await client.create_trigger_category("zdcal")).id


async def _put_trigger(
    client: ZendeskClient, account: Account, webhook_id: str, category_id: str,
    trigger_id: int | None,
) -> int:
    for only_tasks in (True, False):
        spec = trigger_spec(account, webhook_id, category_id, only_tasks=only_tasks)
        try:
            if trigger_id is None:
                return (await client.create_trigger(spec)).id
            return (await client.update_trigger(trigger_id, spec)).id
        except Invalid:
            if not only_tasks:
                raise
            log.warning("Zendesk refused task-only trigger conditions; using create/change")
    raise AssertionError("unreachable")


async def teardown_account(services: Services, account_id: int) -> list[str]:
    """Remove the account's trigger and webhook from Zendesk; returns what was removed."""
    account, client = await _account_client(services, account_id)
    removed: list[str] = []
    try:
        trigger = await find_trigger(client, account)
        if trigger is not None:
            await client.delete_trigger(trigger.id)
            removed.append("trigger")
        webhook = await find_webhook(client, account)
        if webhook is not None:
            await client.delete_webhook(webhook.id)
            removed.append("webhook")
    except (Forbidden, Unauthorized) as exc:
        raise BootstrapError(f"Zendesk refused: {NEEDED}") from exc
    async with services.store.transaction() as tx:
        await tx.accounts.set_trigger(account.id, None)
        await tx.accounts.set_webhook(account.id, None)
    return removed
