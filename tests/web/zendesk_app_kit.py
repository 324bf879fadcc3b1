"""Installing the Zendesk app in the simulated account and opening its views as Zendesk
would (the signed JWT POSTed as the form field ``token``)."""

from __future__ import annotations

import re

import httpx
from web_stack import Stack

TOKEN_META = re.compile(r'name="zdcal-app-token" content="([^"]+)"')


def install_app(stack: Stack, zdcal_url: str | None = None) -> int:
    """Install the app in the simulated account; returns the installation id."""
    answer = stack.zd.post("/_sandbox/apps", json={
        "name": "zdcal", "settings": {"zdcal_url": zdcal_url or stack.url},
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
