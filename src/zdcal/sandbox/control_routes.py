"""The control routes every calendar simulator has alike (``/_sandbox/faults``,
``/_sandbox/faults/failures``, ``/_sandbox/clock``), with the small helpers of their control
APIs. One copy, so the knobs, scripts and clock are steered the same way on every simulator;
what differs per vendor (how a time is written, which error names a script may use, how a body
is read) is passed in."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from zdcal.sandbox.faults import (
    CONTROL_PREFIX,
    FaultedClock,
    ScriptedFailure,
    clock_offset_from,
    knobs_from_json,
)


async def read_json(request: Request) -> Any:
    """The JSON body (an empty body is ``{}``), or None when it is not JSON: the handler then
    refuses it as the wrong shape."""
    try:
        return json.loads(await request.body() or b"{}")
    except ValueError:
        return None


def problem(message: str, status: int = 422) -> JSONResponse:
    """A control request refused: ``{"error": message}``."""
    return JSONResponse({"error": message}, status)


class FaultControl:
    """``GET``/``PUT /faults``, ``POST /clock`` and (when ``scripted``) ``/faults/failures``.

    ``render_time`` writes the clock's ``now`` as the vendor writes times; ``check_failure``
    raises ValueError for a script the vendor could not answer (an unknown reason), and
    ``reasons``, when given, are listed beside the pending scripts.
    """

    def __init__(
        self,
        sim: FaultedClock,
        render_time: Callable[[datetime], str],
        *,
        read_body: Callable[[Request], Awaitable[Any]] = read_json,
        scripted: bool = True,
        check_failure: Callable[[ScriptedFailure], object] | None = None,
        reasons: Iterable[str] | None = None,
    ) -> None:
        self.sim = sim
        self.render_time = render_time
        self.read_body = read_body
        self.scripted = scripted
        self.check_failure = check_failure
        self.reasons = sorted(reasons) if reasons is not None else None

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [
            Route(CONTROL_PREFIX + "/faults", self.faults, methods=["GET", "PUT"]),
            Route(CONTROL_PREFIX + "/clock", self.clock, methods=["POST"]),
        ]
        if self.scripted:
            routes.append(Route(CONTROL_PREFIX + "/faults/failures", self.failures,
                                methods=["GET", "POST", "DELETE"]))
        return routes

    async def faults(self, request: Request) -> Response:
        """GET or PUT the shared fault knobs (``zdcal.sandbox.faults.Faults``)."""
        if request.method == "PUT":
            try:
                self.sim.configure_faults(knobs_from_json(await self.read_body(request)))
            except (TypeError, ValueError) as exc:
                return problem(str(exc))
        return JSONResponse(self.sim.injector.faults.as_dict())

    async def failures(self, request: Request) -> Response:
        """POST ``{"status": 503, "count": 2, "method": "POST", "path": "/api/*", "reason":
        ...}`` (or a list of them): the next matching API requests fail so (``reason`` is the
        vendor's error name). GET lists what is pending; DELETE drops it all."""
        injector = self.sim.injector
        if request.method == "DELETE":
            injector.scripted.clear()
        elif request.method == "POST":
            body = await self.read_body(request)
            try:
                wanted = [ScriptedFailure.from_json(b) for b in (
                    body if isinstance(body, list) else [body])]
                for failure in wanted:
                    if self.check_failure is not None:
                        self.check_failure(failure)  # refuse what cannot be answered, now
            except ValueError as exc:
                return problem(str(exc))
            for failure in wanted:
                injector.script(failure)
        answer: dict[str, Any] = {"pending": [vars(f) for f in injector.scripted]}
        if self.reasons is not None:
            answer["reasons"] = self.reasons
        return JSONResponse(answer)

    async def clock(self, request: Request) -> Response:
        """``{"advance_seconds": n}`` or ``{"offset_seconds": n}``: shift the simulator's clock
        (tokens, windows and expiries follow)."""
        try:
            offset = clock_offset_from(await self.read_body(request),
                                       self.sim.clock.offset_seconds)
        except ValueError as exc:
            return problem(str(exc))
        self.sim.set_clock_offset(offset)
        return JSONResponse({"offset_seconds": self.sim.clock.offset_seconds,
                             "now": self.render_time(self.sim.now())})
