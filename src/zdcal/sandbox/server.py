"""Run an ASGI app with uvicorn on loopback in a background thread (tests, bench, demo)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Self

import uvicorn
from starlette.types import ASGIApp

from zdcal.sandbox.background import Background

KEEP_ALIVE_SECONDS = 75
"""How long an idle connection stays open: longer than any client here keeps one (httpx
5 s, browsers and proxies up to a minute), so the client always closes it first. A server
that closes first races the client's next request on it, which then fails with
"connection reset" (uvicorn's default, 5 s, equals httpx's, and a loaded machine loses
that race now and then)."""


class ServerThread(Background):
    """An ASGI app served over real HTTP on 127.0.0.1 until stopped.

    ``port=0`` picks a free port; ``base_url`` tells which after ``start()``.
    """

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # asyncio enables TCP_NODELAY only for sockets created with an explicit TCP
        # protocol; without it every loopback response waits ~40 ms on Nagle + delayed ACK.
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock.bind((host, port))
        self.port: int = self._sock.getsockname()[1]
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=5,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> Self:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on {self.base_url} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()
