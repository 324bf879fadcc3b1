"""The agent page's CalDAV form over real HTTP, against a real CalDAV server (Radicale
over HTTP, Xandikos over TLS): a refusal is a message and stores nothing; a working
account leads to the calendar choice, then the tasks are on the server. The password is
never shown back nor logged."""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import closing
from pathlib import Path

from web_stack import NIA, csrf_of, open_stack, signed_in_client

from caldav_backend.caldav_servers import CalDAVServer, make_calendar


def test_an_agent_connects_caldav_on_their_page(
    tmp_path: Path, caldav_server_running: CalDAVServer
) -> None:
    server = caldav_server_running
    url = f"{server.calendar_home_url}web{uuid.uuid4().hex[:8]}/"
    with server.http() as http:
        make_calendar(http, url, "Zendesk tasks from the web")
    overrides = {"caldav_ca_file": server.ca_file}
    with (
        open_stack(tmp_path, overrides=overrides,
                   tasks=[(NIA, "2030-05-01T17:00:00Z", "Renew the contract")]) as stack,
        closing(signed_in_client(stack, NIA)) as client,
    ):
        page = client.get("/agent").text
        assert 'id="caldav-connect"' in page
        form = {"csrf_token": csrf_of(page), "provider": "generic", "url": server.url,
                "username": server.username}
        refused = client.post("/calendar/caldav", data={**form, "password": "wrong-pass"})
        assert refused.headers["location"] == "/agent"
        page = client.get("/agent").text
        assert "Not connected: the server refused that username or password" in page
        assert 'id="connect-card"' in page  # nothing stored
        linked = client.post("/calendar/caldav", data={**form, "password": server.password})
        assert linked.headers["location"] == "/agent"
        choice = client.get("/agent").text
        assert 'id="choose-card"' in choice
        assert "Zendesk tasks from the web" in choice
        confirmed = client.post("/calendar/confirm", data={
            "csrf_token": csrf_of(choice), "calendar_id": url,
        })
        assert confirmed.status_code == 303, confirmed.text
        page = client.get("/agent").text
        assert "Your tasks are in" in page
        assert "through:\n   <strong>CalDAV</strong>" in page
        # CalDAV cannot push: its receiver path takes nothing for this very agent.
        with closing(sqlite3.connect(stack.database_file)) as db:
            (key,) = db.execute("SELECT key FROM accounts").fetchone()
        pushed = client.post(f"/webhooks/caldav/{key}/{NIA}", content=b"{}")
        assert pushed.status_code == 404
        assert any("does not push" in line for line in stack.logs.lines)
        with server.http() as http:
            listing = http.request("PROPFIND", url, headers={"Depth": "1"})
        assert listing.text.count(".ics</") == 1
        assert server.password not in choice
        assert not [line for line in stack.logs.lines if server.password in line]
