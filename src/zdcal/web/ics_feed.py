"""``GET /ics/<token>.ics``: an agent's calendar subscription, with conditional GET.

* ``ETag`` (strong: the feed's digest, see :mod:`zdcal.calendars.ics.feed`) and
  ``Last-Modified`` (when that version was first served); ``If-None-Match`` (which wins
  when both are sent, RFC 9110 13.2.2) or ``If-Modified-Since`` answer ``304`` without
  rendering.
* A token that opens no feed (never issued, replaced or revoked) is one database miss and
  the same ``404`` with the same body: nothing tells a guesser which it was.
* The token is a secret: it is never logged. uvicorn's access log is off
  (``web/http_server.py``), nothing here logs, and :func:`zdcal.live.logs.redact` hides
  any ``/ics/<token>`` a library might still print.
* ``Cache-Control: private, no-cache``: no shared cache keeps a copy; every subscriber
  revalidates (which costs a ``304`` when nothing changed).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime

from starlette.requests import Request
from starlette.responses import Response

from zdcal.calendars.ics.feed import render_feed
from zdcal.live.services import Services
from zdcal.usecases.ics_feeds import served_feed

FEED_PATH = "/ics/{token}.ics"
FEED_FILE = "zendesk-tasks.ics"
NOT_FOUND = b"Not found\n"

# On every answer, 404s too: the URL is a credential.
_ALWAYS = {
    "Cache-Control": "private, no-cache",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
}


async def ics_feed(request: Request) -> Response:
    services: Services = request.state.services
    served = await served_feed(services.store, request.path_params["token"])
    if served is None:
        return Response(NOT_FOUND, status_code=404, media_type="text/plain", headers=_ALWAYS)
    headers = {
        **_ALWAYS,
        "ETag": entity_tag(served.digest),
        "Last-Modified": format_datetime(served.changed_at, usegmt=True),
    }
    if not_modified(request.headers, headers["ETag"], served.changed_at):
        return Response(status_code=304, headers=headers)
    # Rendering 1,000 events takes a while (bench/ics_feed.py): off the event loop.
    body = await asyncio.to_thread(render_feed, served.entries, stamp=served.changed_at)
    return Response(
        body, media_type="text/calendar; charset=utf-8",
        headers={**headers, "Content-Disposition": f'inline; filename="{FEED_FILE}"'},
    )


def entity_tag(digest: str) -> str:
    """The strong ``ETag`` of a feed version (128 bits of its digest suffice)."""
    return f'"{digest[:32]}"'


def not_modified(headers: Mapping[str, str], etag: str, changed_at: datetime) -> bool:
    """Whether the client's copy is this version (RFC 9110 13.1.2, 13.1.3)."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        # Weak comparison, as If-None-Match asks: W/"x" matches "x".
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag in tags
    if_modified_since = headers.get("if-modified-since")
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False  # an unreadable date is ignored, as RFC 9110 says
    if since.tzinfo is None:
        return False
    return changed_at <= since
