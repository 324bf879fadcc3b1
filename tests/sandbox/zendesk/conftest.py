"""Fixtures for the Zendesk simulator tests: a simulator served over real HTTP, clients
authenticated as seeded users, payload fixtures and the official OpenAPI schemas."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from openapi_schema_validator import OAS30ReadValidator
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from zdcal.sandbox.server import ServerThread
from zdcal.sandbox.zendesk import ZendeskSimConfig, create_app

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "zendesk"
OPENAPI = Path("/work/shared/reference/zendesk-support-oas.yaml")
ADMIN = ("admin@sandbox.example", "sandbox-admin-token")
AGENT = ("nia@sandbox.example", "sandbox-nia-token")
END_USER = ("erin@customer.example", "sandbox-erin-token")


def load_fixture(name: str) -> Any:
    """A JSON payload from tests/fixtures/zendesk/<name>.json."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


def basic_auth(email: str, token: str) -> str:
    """The API-token Authorization header, written out as Zendesk documents it."""
    return "Basic " + base64.b64encode(f"{email}/token:{token}".encode()).decode()


class Sim:
    """A running simulator and clients for it."""

    def __init__(self, server: ServerThread, base_url: str) -> None:
        self.server = server
        self.base_url = base_url
        self.anonymous = httpx.Client(base_url=base_url, timeout=10)
        self.admin = self.client(*ADMIN)
        self.agent = self.client(*AGENT)
        self.end_user = self.client(*END_USER)

    def client(self, email: str, token: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url, headers={"Authorization": basic_auth(email, token)}, timeout=10
        )

    def bearer(self, access_token: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=10,
        )

    def control(self, method: str, path: str, body: Any = None) -> Any:
        response = self.anonymous.request(method, f"/_sandbox{path}", json=body)
        assert response.status_code < 300, response.text
        return response.json()

    def advance(self, seconds: float) -> None:
        self.control("POST", "/clock", {"advance_seconds": seconds})

    def create_ticket(self, **fields: Any) -> dict[str, Any]:
        payload = {"comment": {"body": "created by a test"}, **fields}
        response = self.admin.post("/api/v2/tickets.json", json={"ticket": payload})
        assert response.status_code == 201, response.text
        ticket: dict[str, Any] = response.json()["ticket"]
        return ticket

    def generated_timestamp(self, ticket_id: int) -> int:
        """A ticket's generated_timestamp, which only the export (and the control API's
        state) shows: show, create and update answers leave it out."""
        tickets = self.control("GET", "/state")["tickets"]
        stamp: int = next(t["generated_timestamp"] for t in tickets if t["id"] == ticket_id)
        return stamp

    def wait_deliveries(self, count: int, timeout: float = 15.0) -> list[dict[str, Any]]:
        """The delivery log once ``count`` records reached a final status."""
        deadline = time.monotonic() + timeout
        while True:
            records = self.control("GET", "/deliveries")["deliveries"]
            final = [r for r in records if r["final_status"] != "pending"]
            if len(final) >= count or time.monotonic() > deadline:
                return list(records)
            time.sleep(0.05)

    def close(self) -> None:
        for client in (self.anonymous, self.admin, self.agent, self.end_user):
            client.close()


SimFactory = Callable[..., Sim]


@dataclass
class Receiver:
    """A webhook receiver on loopback that records requests and answers as scripted."""

    answers: list[tuple[int, dict[str, str], float]] = field(default_factory=list)
    """(status, headers, delay seconds) per request, in order; 200 when exhausted."""
    received: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: Request) -> Response:
        raw = await request.body()
        port = request.client.port if request.client else None
        self.received.append({"headers": dict(request.headers), "body": raw, "port": port})
        status, headers, delay = self.answers.pop(0) if self.answers else (200, {}, 0.0)
        if delay:
            await asyncio.sleep(delay)
        return Response(status_code=status, headers=headers)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    recorder = Receiver()
    app = Starlette(routes=[Route("/hook", recorder.handle, methods=["POST"])])
    with ServerThread(app) as server:
        recorder.url = f"{server.base_url}/hook"
        yield recorder


@pytest.fixture
def make_sim() -> Iterator[SimFactory]:
    """Start simulators with a given config; all are stopped at the end of the test."""
    started: list[tuple[ServerThread, Sim]] = []

    def start(config: ZendeskSimConfig | None = None, prefix: str = "") -> Sim:
        app = create_app(config or ZendeskSimConfig())
        served: Any = app
        if prefix:
            from starlette.applications import Starlette
            from starlette.routing import Mount

            served = Starlette(routes=[Mount(prefix, app=app)])
        server = ServerThread(served).start()
        sim = Sim(server, server.base_url + prefix)
        started.append((server, sim))
        return sim

    yield start
    for server, sim in started:
        sim.close()
        server.stop()


@pytest.fixture(scope="module")
def _shared_sim() -> Iterator[Sim]:
    server = ServerThread(create_app(ZendeskSimConfig())).start()
    shared = Sim(server, server.base_url)
    yield shared
    shared.close()
    server.stop()


@pytest.fixture
def sim(_shared_sim: Sim) -> Sim:
    """A simulator with the default seed and limits, restarted (POST /_sandbox/reset)."""
    _shared_sim.control("POST", "/reset")
    return _shared_sim


# --- OpenAPI -------------------------------------------------------------------------
class _OpenApiLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A safe loader that reads YAML 1.1's bare ``=`` (the "value" tag) as the string "="."""


_OpenApiLoader.add_constructor(
    "tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node)
)


@cache
def _openapi() -> dict[str, Any]:
    with OPENAPI.open() as handle:
        document: dict[str, Any] = yaml.load(handle, Loader=_OpenApiLoader)  # noqa: S506
    return document


def _inline(node: Any, document: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """Replace every local ``$ref`` with the schema it names (recursion cut at a cycle)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            if ref in seen:
                return {}
            target: Any = document
            for part in ref[2:].split("/"):
                target = target[part]
            return _inline(target, document, (*seen, ref))
        inlined = {key: _inline(value, document, seen) for key, value in node.items()}
        if inlined.get("nullable") and isinstance(inlined.get("enum"), list):
            # OpenAPI 3.0 leaves "nullable + enum" ambiguous; the validator wants null listed
            # in the enum, Zendesk means it (priority: null is a real value).
            inlined["enum"] = [*inlined["enum"], None]
        return inlined
    if isinstance(node, list):
        return [_inline(item, document, seen) for item in node]
    return node


@cache
def _schema(name: str) -> dict[str, Any]:
    document = _openapi()
    schema: dict[str, Any] = _inline(document["components"]["schemas"][name], document)
    return schema


def assert_matches_schema(instance: Any, schema_name: str) -> None:
    """Validate a response body against a named schema of Zendesk's OpenAPI file."""
    OAS30ReadValidator(_schema(schema_name)).validate(instance)
