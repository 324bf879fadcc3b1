"""The status an ASGI app answered, for the simulators' request counters."""

from __future__ import annotations

from starlette.types import Message, Send


class SentStatus:
    """An ASGI ``send`` that passes every message on and remembers the response status
    (500 until a response starts: an app that raised answered nothing better)."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.status = 500

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        await self.send(message)
