"""Slow and idle clients cannot hold a real ``zdcal serve`` open: a bounded slowloris run
(a few hundred loopback sockets that send nothing, trickle headers or trickle bodies) is
closed by the read deadlines while health checks stay fast; and connections beyond the
limit are answered 503 instead of piling up."""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
import statistics
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from served_process import ZdcalServeProcess, served_process

HEADER_TIMEOUT = 1.5
BODY_TIMEOUT = 2.0
SLACK = 2.0  # the server's loop and this test share two busy cores
RUN_SECONDS = BODY_TIMEOUT + SLACK + 2.0
DRIP_EVERY = 0.25
PER_KIND = 75

FORM_HEAD = (b"POST /signout HTTP/1.1\r\nHost: zdcal\r\nContent-Length: 4000\r\n"
             b"Content-Type: application/x-www-form-urlencoded\r\n\r\n")


@dataclass(frozen=True)
class SlowKind:
    name: str
    opening: bytes
    drip: bytes
    deadline: float
    answer: bytes  # how the server's answer starts (b"": closed without one)


KINDS = [
    SlowKind("idle", b"", b"", HEADER_TIMEOUT, b""),
    SlowKind("headers", b"POST /signout HTTP/1.1\r\nHost: zdcal\r\n", b"X-Drip: 1\r\n",
             HEADER_TIMEOUT, b"HTTP/1.1 408 "),
    SlowKind("body read by zdcal", FORM_HEAD, b"a", BODY_TIMEOUT, b"HTTP/1.1 408 "),
    # Answered at once without reading the body; the rest must not keep the socket open.
    SlowKind("body nobody reads", FORM_HEAD.replace(b"/signout", b"/healthz"), b"a",
             BODY_TIMEOUT, b"HTTP/1.1 404 "),
]


@dataclass
class SlowResult:
    kind: SlowKind
    answer: bytes = b""
    closed_after: float | None = None


async def _slow_client(port: int, kind: SlowKind) -> SlowResult:
    result = SlowResult(kind)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    writer.write(kind.opening)

    async def drip() -> None:
        while kind.drip:
            await asyncio.sleep(DRIP_EVERY)
            writer.write(kind.drip)
            await writer.drain()

    dripping = asyncio.create_task(drip())
    try:
        async with asyncio.timeout(RUN_SECONDS):
            while chunk := await reader.read(4096):
                result.answer += chunk
        result.closed_after = time.monotonic() - started
    except ConnectionError:
        result.closed_after = time.monotonic() - started
    except TimeoutError:
        pass  # still open: the server never closed it
    finally:
        dripping.cancel()
        writer.close()
    return result


def _slowloris(port: int) -> list[SlowResult]:
    async def all_clients() -> list[SlowResult]:
        clients = [_slow_client(port, kind) for kind in KINDS for _ in range(PER_KIND)]
        return list(await asyncio.gather(*clients))

    return asyncio.run(all_clients())


def _probe_health(url: str, until: Future[list[SlowResult]]) -> list[tuple[int, float]]:
    """(status, seconds) of /healthz, asked every 10 ms until the slow clients are done."""
    probes = []
    with httpx.Client(timeout=5) as client:
        while not until.done():
            started = time.monotonic()
            status = client.get(f"{url}/healthz").status_code
            probes.append((status, time.monotonic() - started))
            time.sleep(0.01)
    return probes


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ZdcalServeProcess]:
    with served_process(tmp_path, web_header_timeout_seconds=HEADER_TIMEOUT,
                        web_body_timeout_seconds=BODY_TIMEOUT) as served:
        yield served


@pytest.mark.alone  # the health checks' latency is measured: no other worker's load
def test_slow_clients_are_closed_and_health_stays_fast(served: ZdcalServeProcess) -> None:
    # The slow clients run in a process of their own, so that their work in this
    # interpreter cannot delay (and inflate) the health checks measured here.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        slowloris = pool.submit(_slowloris, served.port)
        probes = _probe_health(served.base_url, slowloris)
        results = slowloris.result()

    for kind in KINDS:
        mine = [r for r in results if r.kind == kind]
        still_open = [r for r in mine if r.closed_after is None]
        assert not still_open, f"{len(still_open)} '{kind.name}' connections never closed"
        slowest = max(r.closed_after or 0.0 for r in mine)
        assert slowest < kind.deadline + SLACK, f"'{kind.name}' closed after {slowest:.1f} s"
        assert all(r.answer.startswith(kind.answer) for r in mine), (
            kind.name, {r.answer[:40] for r in mine})
    assert {status for status, _ in probes} == {200}
    p99 = statistics.quantiles([seconds for _, seconds in probes], n=100, method="inclusive")[98]
    assert p99 < 0.2, f"/healthz p99 {p99 * 1000:.0f} ms over {len(probes)} checks"


def test_connections_beyond_the_limit_are_answered_503(tmp_path: Path) -> None:
    with served_process(tmp_path, web_max_connections=20) as served:
        idle = [socket.create_connection(("127.0.0.1", served.port)) for _ in range(25)]
        try:
            time.sleep(0.2)
            assert httpx.get(f"{served.base_url}/healthz").status_code == 503
        finally:
            for sock in idle:
                sock.close()
        time.sleep(0.2)
        assert httpx.get(f"{served.base_url}/healthz").status_code == 200
