"""Installing the Zendesk app in the simulated account and opening its views as Zendesk
would (the signed JWT POSTed as the form field ``token``)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from web_stack import Stack

from zdcal.runtime import Runtime

TOKEN_META = re.compile(r'name="zdcal-app-token" content="([^"]+)"')


def install_app(stack: Stack, zdcal_url: str | None = None) -> int:
    """Install the app in the simulated account (its locations as the built manifest
    names them); returns the installation id."""
    answer = stack.zd.post("/_sandbox/apps", json={
        "name": "zdcal", "settings": {"zdcal_url": zdcal_url or stack.url},
        "locations": {"ticket_sidebar": stack.url + "/zendesk-app/sidebar",
                      "nav_bar": stack.url + "/zendesk-app/settings"},
    })
    assert answer.status_code == 201, answer.text
    installation: int = answer.json()["installation_id"]
    return installation


def signed_token(stack: Stack, installation: int, user_id: int,
                 location: str = "ticket_sidebar") -> str:
    """The JWT Zendesk would POST when ``user_id`` opens ``location``."""
    answer = stack.zd.post(f"/_sandbox/apps/installations/{installation}/signed_token",
                           json={"user_id": user_id, "location": location})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["token"]
    return token


def open_view(stack: Stack, token: str, view: str = "sidebar") -> httpx.Response:
    with httpx.Client(base_url=stack.url, timeout=30) as browser:
        return browser.post(f"/zendesk-app/{view}", data={"token": token})


def app_token(page: httpx.Response) -> str:
    match = TOKEN_META.search(page.text)
    assert match, page.text[:500]
    return match.group(1)


def app_api(stack: Stack, token: str) -> httpx.Client:
    """A client calling the app's API as the app's JavaScript does (bearer header)."""
    return httpx.Client(base_url=stack.url + "/zendesk-app/api", timeout=30,
                        headers={"Authorization": f"Bearer {token}"})


def in_store(stack: Stack, work: Callable[[Any, int], Awaitable[None]]) -> None:
    """Record, through zdcal's store, what a sync would have recorded (``work`` gets the
    transaction and the account id)."""

    async def run() -> None:
        async with (await Runtime.open(stack.settings) as runtime,
                    runtime.store.transaction() as tx):
            assert stack.account_id is not None
            await work(tx, stack.account_id)

    # A thread of its own: Playwright's sync API keeps an event loop on the main thread.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


async def keep_off_and_fail(tx: Any, account_id: int, *, kept: int, failed: int,
                            agent: int) -> None:
    """Ticket ``kept`` deleted from the agent's calendar, ticket ``failed`` refused by it."""
    from datetime import UTC, datetime

    await tx.suppressions.add(account_id, kept, agent,
                              due_at=datetime(2030, 5, 1, 15, tzinfo=UTC),
                              assignee_id=agent, type="task")
    await tx.failures.record(account_id, failed, "422: too long", agent_id=agent,
                             kind="rejected")
