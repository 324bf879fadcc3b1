"""Radicale and Xandikos (``caldav_server_running``, in tests/conftest.py: started once
per session each); a fresh calendar per test."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from caldav_backend.caldav_servers import CalDAVServer, make_calendar
from zdcal.calendars.caldav.client import CalDAVClient
from zdcal.http import RetryPolicy

QUICK = RetryPolicy(max_attempts=2, base_delay=0.0, max_total_wait=0.0)
"""Tests want the first failure, not minutes of backoff."""


@pytest.fixture
def server(caldav_server_running: CalDAVServer) -> CalDAVServer:
    return caldav_server_running


@pytest.fixture
def calendar_url(server: CalDAVServer) -> str:
    """A new, empty calendar in the user's calendar home, for this test alone."""
    url = f"{server.calendar_home_url}t{uuid.uuid4().hex[:10]}/"
    with server.http() as http:
        make_calendar(http, url, "Test tasks")
    return url


def client_for(server: CalDAVServer, *, password: str | None = None) -> CalDAVClient:
    return CalDAVClient(
        server.url,
        server.username,
        server.password if password is None else password,
        verify=server.verify,
        policy=QUICK,
    )


@pytest.fixture(scope="module")
def plain_web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An ordinary HTTP file server (no WebDAV) on loopback."""
    root: Path = tmp_path_factory.mktemp("www")
    (root / "index.html").write_text("<h1>Hello</h1>")
    handler = partial(SimpleHTTPRequestHandler, directory=str(root))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
