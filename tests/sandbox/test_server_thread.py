"""The loopback server of the simulators and of the test harness keeps an idle connection
open for longer than HTTP clients keep one, so a client never reuses a connection the
server is closing (which fails with "connection reset")."""

from __future__ import annotations

import socket
import time

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from zdcal.sandbox.server import ServerThread


async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello")


def ask(connection: socket.socket) -> bytes:
    """One keep-alive request over ``connection``; the whole answer (or b"" once closed)."""
    connection.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    answer = b""
    while not answer.endswith(b"hello"):
        chunk = connection.recv(4096)
        if not chunk:
            break
        answer += chunk
    return answer


def test_an_idle_connection_outlives_the_clients_keep_alive() -> None:
    client_keeps_idle = httpx.Limits().keepalive_expiry  # httpx's default: 5 s
    assert client_keeps_idle is not None
    server = ServerThread(Starlette(routes=[Route("/", hello)]))
    with server, socket.create_connection((server.host, server.port), timeout=5) as connection:
        assert ask(connection).startswith(b"HTTP/1.1 200")
        time.sleep(client_keeps_idle + 1)  # a client would have dropped it by now

        again = ask(connection)

    assert again.startswith(b"HTTP/1.1 200"), again
