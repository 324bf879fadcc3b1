"""Google simulator tests: the app on real loopback HTTP, driven by Google's own client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from google_sim_support import (
    AGENT,
    CLIENT_ID,
    CLIENT_SECRET,
    DISCOVERY,
    RecordingHttp,
    Tokens,
    connect,
    schema_problems,
)
from googleapiclient.discovery import build_from_document

from zdcal.sandbox.google import create_app
from zdcal.sandbox.server import ServerThread


@pytest.fixture(scope="module")
def google_server() -> Iterator[ServerThread]:
    with ServerThread(create_app()) as server:
        yield server


@pytest.fixture
def http(google_server: ServerThread) -> Iterator[httpx.Client]:
    """A plain client on the simulator, after a reset (users and calendars only)."""
    with httpx.Client(base_url=google_server.base_url, timeout=10) as client:
        assert client.post("/_sandbox/reset").status_code == 200
        yield client


@pytest.fixture
def agent_tokens(http: httpx.Client) -> Tokens:
    return connect(http, AGENT)


@pytest.fixture
def recorder() -> Iterator[RecordingHttp]:
    """Every exchange of the test's Google clients; their bodies must match the schemas."""
    recording = RecordingHttp()
    yield recording
    assert recording.log, "the test made no API call"
    assert schema_problems(recording.log) == []


@pytest.fixture
def calendar_client(
    google_server: ServerThread, recorder: RecordingHttp
) -> Callable[[Tokens], Any]:
    """google-api-python-client's Calendar v3, built from its shipped discovery document."""

    def build(tokens: Tokens) -> Any:
        credentials = Credentials(
            tokens.access_token, refresh_token=tokens.refresh_token,
            token_uri=google_server.base_url + "/token",
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
        )
        return build_from_document(
            DISCOVERY,
            http=AuthorizedHttp(credentials, http=recorder),
            client_options={"api_endpoint": google_server.base_url + "/calendar/v3/"},
        )

    return build
