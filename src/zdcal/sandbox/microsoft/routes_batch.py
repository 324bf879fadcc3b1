"""``$batch``: up to 20 Graph requests in one JSON POST, each run through this same app (so auth,
throttling, faults and notifications behave as for single calls), ``dependsOn`` honoured."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from zdcal.sandbox.batch_inner import InnerClient
from zdcal.sandbox.microsoft import assumptions
from zdcal.sandbox.microsoft.errors import GraphError
from zdcal.sandbox.microsoft.odata import json_object
from zdcal.sandbox.microsoft.routes_api import PREFIX

METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")
BATCH_PATH = PREFIX + "/$batch"
_PASSED_HEADERS = ("retry-after", "location", "content-type", "preference-applied")


def _bad(message: str) -> GraphError:
    return GraphError(400, "BadRequest", message)


def _check(requests: object) -> list[dict[str, Any]]:
    """The batch's requests, or the 400 that refuses the whole batch."""
    if not isinstance(requests, list) or not requests:
        raise _bad("Invalid batch payload format: 'requests' must be a non-empty array.")
    if len(requests) > assumptions.BATCH_MAX_REQUESTS:
        raise _bad(f"The number of batch requests exceeds the maximum of "
                   f"{assumptions.BATCH_MAX_REQUESTS}.")
    ids: set[str] = set()
    for item in requests:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
            raise _bad("Each batch request needs a string 'id'.")
        if item["id"] in ids:
            raise _bad(f"Batch request id '{item['id']}' is not unique.")
        ids.add(item["id"])
        if str(item.get("method", "")).upper() not in METHODS:
            raise _bad(f"Invalid method in batch request '{item['id']}'.")
        url = item.get("url")
        if not isinstance(url, str) or not url or url.lower().startswith(("http:", "https:")):
            raise _bad(f"Batch request '{item['id']}' needs a relative 'url'.")
        if "body" in item and not isinstance(item.get("headers"), dict):
            raise _bad(f"Batch request '{item['id']}' has a body but no 'headers' "
                       "(Content-Type is required).")
    for item in requests:
        depends = item.get("dependsOn", [])
        if not isinstance(depends, list) or not all(d in ids and d != item["id"]
                                                    for d in depends):
            raise _bad(f"Batch request '{item['id']}' depends on an unknown request.")
    _check_acyclic({item["id"]: list(item.get("dependsOn", [])) for item in requests})
    return requests


def _check_acyclic(depends: dict[str, list[str]]) -> None:
    placed: set[str] = set()
    while len(placed) < len(depends):
        ready = {i for i, needs in depends.items() if i not in placed and set(needs) <= placed}
        if not ready:
            raise _bad("The dependsOn of the batch requests form a cycle.")
        placed |= ready


class GraphBatch:
    def __init__(self, now: Callable[[], datetime]) -> None:
        self.now = now
        self.inner = InnerClient()

    def routes(self) -> list[BaseRoute]:
        return [Route(BATCH_PATH, self.batch, methods=["POST"])]

    async def batch(self, request: Request) -> Response:
        requests = _check((await json_object(request)).get("requests"))
        client = self.inner.of(request.scope["app"])
        outer_auth = request.headers.get("authorization")
        gate = asyncio.Semaphore(assumptions.BATCH_CONCURRENCY)
        done: dict[str, asyncio.Future[int]] = {
            item["id"]: asyncio.get_running_loop().create_future() for item in requests
        }
        answers: list[dict[str, Any]] = []

        async def run(item: dict[str, Any]) -> None:
            statuses = [await done[d] for d in item.get("dependsOn", [])]
            if any(s >= 400 for s in statuses):
                failed = GraphError(424, "FailedDependency",
                                    "A request this one depends on failed.")
                answer = {"id": item["id"], "status": 424,
                          "headers": {"Content-Type": "application/json"},
                          "body": failed.body(self.now())}
            else:
                async with gate:
                    answer = await self._one(client, item, outer_auth)
            answers.append(answer)
            done[item["id"]].set_result(int(answer["status"]))

        await asyncio.gather(*(run(item) for item in requests))
        return JSONResponse({"responses": answers})

    async def _one(self, client: httpx.AsyncClient, item: dict[str, Any],
                   outer_auth: str | None) -> dict[str, Any]:
        headers = {str(k): str(v) for k, v in (item.get("headers") or {}).items()}
        if outer_auth:
            headers["Authorization"] = outer_auth
        body = item.get("body")
        content = None if body is None else (
            body.encode() if isinstance(body, str) else json.dumps(body).encode())
        url = item["url"] if item["url"].startswith("/") else "/" + item["url"]
        response = await client.request(str(item["method"]).upper(), PREFIX + url,
                                        headers=headers, content=content)
        answer: dict[str, Any] = {
            "id": item["id"],
            "status": response.status_code,
            "headers": {k.title(): v for k, v in response.headers.items()
                        if k in _PASSED_HEADERS},
        }
        if response.content:
            try:
                answer["body"] = response.json()
            except ValueError:
                answer["body"] = response.text
        return answer
