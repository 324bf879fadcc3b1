"""How many genuinely signed Zendesk webhooks one core of ``zdcal serve`` accepts per second.

zdcal runs as ``zdcal serve --no-workers`` in a child process pinned to one core, so the
figure covers accepting only: bearer token, HMAC signature, replay window, body shape and
the durable group commit to the SQLite queue table, then 202. This process, pinned to
another core, is the load generator: every request is signed ahead of time (the documented
formula, written out here) with its own invocation id and ticket id, and sent over many
keep-alive connections by a small raw-socket HTTP/1.1 client, which keeps the generator
far from being the bottleneck. Afterwards the queue table must hold exactly as many rows
as requests were accepted.

    .venv/bin/python bench/webhook_throughput.py [--requests 60000] [--connections 128]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import functools
import hashlib
import hmac
import json
import os
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import distinct, func, select

from population import zdcal_settings
from report_table import percentile
from simulators import free_port
from zdcal.runtime import Runtime
from zdcal.settings import Settings
from zdcal.store import Webhook, ZendeskApiToken
from zdcal.store.tables import PendingNotificationRow
from zdcal_serve import ZdcalServeProcess

TARGET_PER_SECOND = 3_000
WEBHOOK_ID = "01HBENCHWEBHOOK"
BEARER_TOKEN = "bench-bearer-token-0123456789abcdef"
SIGNING_SECRET = "YmVuY2gtc2lnbmluZy1zZWNyZXQtMDEyMzQ1Njc4OQ=="


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime 14 and stime 15 (1-based, man proc).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class QueueContents:
    """What the queue table holds after the run."""

    rows: int
    commits: int  # every row of one group commit shares its received_at


async def queue_contents(settings: Settings) -> QueueContents:
    """Rows in the notification queue table (through zdcal's own store) and how many
    group commits wrote them."""
    async with await Runtime.open(settings) as runtime, runtime.store.transaction() as tx:
        rows = await tx.notifications.depth()
        commits = await tx.session.scalar(
            select(func.count(distinct(PendingNotificationRow.received_at)))
        )
        return QueueContents(rows, int(commits or 0))


# The signed requests --------------------------------------------------------------------


async def add_receiving_account(settings: Settings) -> str:
    """An account whose webhook is already registered (as bootstrap leaves it); its key."""
    async with await Runtime.open(settings) as runtime, runtime.store.transaction() as tx:
        account = await tx.accounts.add(
            subdomain="bench", base_url="http://127.0.0.1:9", admin_email="admin@bench.example",
            credentials=ZendeskApiToken("admin@bench.example", "unused"),
        )
        await tx.accounts.set_webhook(
            account.id, Webhook(WEBHOOK_ID, BEARER_TOKEN, (SIGNING_SECRET,))
        )
        return str(account.key)


def signed_requests(port: int, account_key: str, first_ticket: int, count: int) -> list[bytes]:
    """``count`` raw HTTP/1.1 requests as Zendesk's trigger would send them, each for its
    own ticket with its own invocation id, signed now."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    requests = []
    for n in range(count):
        ticket = first_ticket + n
        body = json.dumps({"ticket_id": str(ticket), "account": account_key}).encode()
        # base64(HMAC-SHA256(secret, timestamp + body)), as Zendesk documents it.
        digest = hmac.new(SIGNING_SECRET.encode(), stamp.encode() + body, hashlib.sha256)
        head = (
            f"POST /webhooks/zendesk/{account_key} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n"
            "User-Agent: Zendesk Webhook\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"Authorization: Bearer {BEARER_TOKEN}\r\n"
            "X-Zendesk-Account-Id: 9000001\r\n"
            f"X-Zendesk-Webhook-Id: {WEBHOOK_ID}\r\n"
            f"X-Zendesk-Webhook-Invocation-Id: {8_000_000_000 + ticket}\r\n"
            f"X-Zendesk-Webhook-Signature-Timestamp: {stamp}\r\n"
            f"X-Zendesk-Webhook-Signature: {base64.b64encode(digest.digest()).decode()}\r\n"
            "\r\n"
        )
        requests.append(head.encode() + body)
    return requests


# The load generator ----------------------------------------------------------------------


@dataclass
class LoadResult:
    """What came back: status per request, response times, wall time."""

    statuses: Counter[int] = field(default_factory=Counter)
    response_times: list[float] = field(default_factory=list)
    transport_errors: int = 0
    seconds: float = 0.0

    @property
    def accepted(self) -> int:
        return self.statuses[202]

    @property
    def errors(self) -> int:
        return self.transport_errors + sum(n for s, n in self.statuses.items() if s != 202)


class KeepAliveConnection(asyncio.Protocol):
    """One keep-alive connection sending the next request as soon as the last is answered.

    Responses are parsed just enough: status line and ``Content-Length`` (uvicorn always
    sends it for these JSON answers).
    """

    def __init__(
        self, requests: Iterator[bytes], result: LoadResult, deadline: float,
        closed: asyncio.Future[None],
    ) -> None:
        self._requests = requests
        self._result = result
        self._deadline = deadline
        self._closed = closed
        self._buffer = b""
        self._sent_at = 0.0
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._send_next()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        head_end = self._buffer.find(b"\r\n\r\n")
        if head_end < 0:
            return
        head = self._buffer[:head_end].decode("latin-1")
        length = 0
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        if len(self._buffer) < head_end + 4 + length:
            return
        self._buffer = self._buffer[head_end + 4 + length:]
        self._result.response_times.append(time.perf_counter() - self._sent_at)
        self._result.statuses[int(head.split(" ", 2)[1])] += 1
        self._send_next()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._sent_at and exc is not None:
            self._result.transport_errors += 1
        if not self._closed.done():
            self._closed.set_result(None)

    def _send_next(self) -> None:
        assert self._transport is not None
        request = next(self._requests, None) if time.perf_counter() < self._deadline else None
        if request is None:
            self._sent_at = 0.0
            self._transport.close()
            return
        self._sent_at = time.perf_counter()
        self._transport.write(request)


async def send_all(
    port: int, requests: Sequence[bytes], connections: int, max_seconds: float
) -> LoadResult:
    """Send ``requests`` over ``connections`` keep-alive connections, at most for
    ``max_seconds`` (requests not sent by then are left out)."""
    loop = asyncio.get_running_loop()
    result = LoadResult()
    pending = iter(requests)
    started = time.perf_counter()
    deadline = started + max_seconds
    closed: list[asyncio.Future[None]] = []
    for _ in range(connections):
        done: asyncio.Future[None] = loop.create_future()
        closed.append(done)
        await loop.create_connection(
            functools.partial(KeepAliveConnection, pending, result, deadline, done),
            "127.0.0.1", port,
        )
    await asyncio.gather(*closed)
    result.seconds = time.perf_counter() - started
    return result


# Report -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CpuUse:
    """CPU seconds each side spent during the measured phase."""

    server: float
    load_generator: float


def report(
    result: LoadResult, cpu: CpuUse, queue: QueueContents, expected_rows: int, connections: int
) -> str:
    """The figures, one per line."""
    rate = result.accepted / result.seconds if result.seconds else 0.0
    times = result.response_times or [0.0]
    busy = cpu.server / result.seconds if result.seconds else 0.0
    lines = [
        f"requests answered   {sum(result.statuses.values()):,} in {result.seconds:.2f} s "
        f"over {connections} keep-alive connections",
        f"accepted (202)/s    {rate:,.0f}   (target >= {TARGET_PER_SECOND:,}/s: "
        f"{'met' if rate >= TARGET_PER_SECOND else 'MISSED'})",
        f"errors              {result.errors} (statuses {dict(result.statuses)}, "
        f"transport {result.transport_errors})",
        f"response time       p50 {statistics.median(times) * 1000:.1f} ms, "
        f"p99 {percentile(times, 0.99) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms",
        f"zdcal CPU           {cpu.server:.2f} s = {busy:.0%} of its core; "
        f"{cpu.server / max(1, result.accepted) * 1e6:.0f} us per accepted webhook",
        f"load generator CPU  {cpu.load_generator:.2f} s = "
        f"{cpu.load_generator / max(result.seconds, 1e-9):.0%} of its core",
        f"queue table rows    {queue.rows:,} (accepted in all: {expected_rows:,}: "
        f"{'exact' if queue.rows == expected_rows else 'MISMATCH'}), written by "
        f"{queue.commits:,} group commits ({queue.rows / max(1, queue.commits):.1f} rows each)",
    ]
    return "\n".join(lines)


def pick_cores() -> tuple[int, int]:
    """Two distinct cores this process may run on: zdcal's and the load generator's."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        raise SystemExit("this benchmark needs two CPU cores (one for zdcal, one for load)")
    return cores[0], cores[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=60_000, help="measured requests")
    parser.add_argument("--warmup", type=int, default=2_000, help="requests sent first")
    parser.add_argument("--connections", type=int, default=128)
    parser.add_argument("--max-seconds", type=float, default=90.0, help="measured phase cap")
    args = parser.parse_args()
    server_core, load_core = pick_cores()
    with tempfile.TemporaryDirectory(prefix="zdcal-throughput-") as tmp:
        work_dir = Path(tmp)
        # No Cronofy here: nothing calls it with the workers off.
        settings = zdcal_settings(work_dir, cronofy_url="http://127.0.0.1:9")
        key = asyncio.run(add_receiving_account(settings))
        port = free_port()
        with ZdcalServeProcess(
            settings, work_dir, port, workers=False, cores={server_core}
        ) as server:
            os.sched_setaffinity(0, {load_core})
            warmup = signed_requests(port, key, 1, args.warmup)
            measured = signed_requests(port, key, 1 + args.warmup, args.requests)
            print(f"zdcal serve --no-workers on core {server_core}; load on core {load_core}; "
                  f"{len(measured):,} signed requests ready")
            first = asyncio.run(send_all(port, warmup, args.connections, 30.0))
            server_before, client_before = process_cpu_seconds(server.pid), time.process_time()
            result = asyncio.run(send_all(port, measured, args.connections, args.max_seconds))
            cpu = CpuUse(process_cpu_seconds(server.pid) - server_before,
                         time.process_time() - client_before)
            queue = asyncio.run(queue_contents(settings))
        print(report(result, cpu, queue, first.accepted + result.accepted, args.connections))

if __name__ == "__main__":
    main()
