"""Paging of the lists (users, triggers, trigger categories, webhooks).

Two families answer differently (see docs/sandbox-zendesk.md):

* Support API lists (triggers, trigger categories) use offset pages unless the request
  has ``page[size]``; cursor pages always carry ``meta.has_more``, both cursors and both
  links, even on the last page.
* The Webhooks API always uses cursor pages; ``after_cursor``/``links.next`` appear only
  while ``has_more``, ``before_cursor``/``links.prev`` only past the first page, and
  the links carry nothing but the cursor.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from zdcal.sandbox.zendesk.errors import ZendeskApiError
from zdcal.sandbox.zendesk.http_common import account_of, base_url, int_param, json_response

Item = TypeVar("Item")
SortKey = tuple[Any, ...]


class InvalidCursor(ValueError):
    """``page[after]`` / ``page[before]`` is not a cursor this list issued."""


def encode_cursor(key: SortKey) -> str:
    """An opaque cursor naming one item's place in the list order."""
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode()


def decode_cursor(cursor: str) -> SortKey:
    """The sort key inside a cursor (:class:`InvalidCursor` when it is not one)."""
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor(cursor) from exc
    if not isinstance(value, list) or not value:
        raise InvalidCursor(cursor)
    return tuple(value)


@dataclass(frozen=True)
class CursorPage(Generic[Item]):
    """One cursor page of an ordered list."""

    items: list[Item]
    has_more: bool
    first_page: bool
    before_cursor: str | None
    after_cursor: str | None

    def rendered(self, render: Callable[[Item], dict[str, Any]]) -> CursorPage[dict[str, Any]]:
        """The same page with each item turned into its JSON form."""
        return CursorPage(
            [render(item) for item in self.items],
            self.has_more,
            self.first_page,
            self.before_cursor,
            self.after_cursor,
        )


def cursor_page(
    ordered: Sequence[Item],
    key: Callable[[Item], SortKey],
    size: int,
    *,
    after: str | None,
    before: str | None,
) -> CursorPage[Item]:
    """The page after ``after`` (or before ``before``, or the first) of ``ordered``."""
    keys = [key(item) for item in ordered]
    if after:
        mark = decode_cursor(after)
        start = next((i for i, k in enumerate(keys) if _after(k, mark)), len(keys))
        end = start + size
    elif before:
        mark = decode_cursor(before)
        end = next((i for i, k in enumerate(keys) if not _after(mark, k)), len(keys))
        start = max(0, end - size)
    else:
        start, end = 0, size
    items = list(ordered[start:end])
    return CursorPage(
        items=items,
        has_more=end < len(ordered),
        first_page=start == 0,
        before_cursor=encode_cursor(keys[start]) if items else None,
        after_cursor=encode_cursor(keys[start + len(items) - 1]) if items else None,
    )


def _after(key: SortKey, mark: SortKey) -> bool:
    # Cursors hold JSON lists; compare as lists so ints and strings keep their order.
    try:
        return list(key) > list(mark)
    except TypeError as exc:  # a cursor of another list, or forged
        raise InvalidCursor(str(mark)) from exc


def requested_cursor_page(
    request: Request, ordered: Sequence[Item], key: Callable[[Item], SortKey]
) -> CursorPage[Item]:
    """The cursor page the request asks for; the caller maps a bad cursor to its API's 400."""
    params = request.query_params
    return cursor_page(
        ordered,
        key,
        page_size(request),
        after=params.get("page[after]"),
        before=params.get("page[before]"),
    )


def support_list(
    request: Request,
    key: str,
    ordered: Sequence[Item],
    sort_key: Callable[[Item], SortKey],
    render: Callable[[Item], dict[str, Any]],
    bad_cursor: Callable[[], ZendeskApiError],
) -> Response:
    """Offset pages without ``page[size]``, cursor pages with it (Support API lists)."""
    if "page[size]" not in request.query_params:
        return json_response(offset_body(request, key, [render(item) for item in ordered]))
    try:
        page = requested_cursor_page(request, ordered, sort_key)
    except InvalidCursor as exc:
        raise bad_cursor() from exc
    return json_response(support_cursor_body(request, key, page.rendered(render)))


def page_size(request: Request, name: str = "page[size]") -> int:
    """The requested page size, capped at the account's list maximum (which is also the
    default)."""
    largest = account_of(request).config.max_list_page_size
    return min(int_param(request, name, largest), largest)


def _list_url(request: Request, params: dict[str, Any]) -> str:
    path = request.url.path.removeprefix(request.scope.get("root_path", ""))
    return f"{base_url(request)}{path}?{urlencode(params)}"


def support_cursor_body(request: Request, key: str, page: CursorPage[Any]) -> dict[str, Any]:
    """A Support API cursor page: meta and links complete on every page."""
    kept = {k: v for k, v in request.query_params.items() if not k.startswith("page[")}
    size = request.query_params.get("page[size]", "")

    def link(direction: str, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        return _list_url(request, {**kept, f"page[{direction}]": cursor, "page[size]": size})

    return {
        key: page.items,
        "meta": {
            "has_more": page.has_more,
            "after_cursor": page.after_cursor,
            "before_cursor": page.before_cursor,
        },
        "links": {
            "next": link("after", page.after_cursor),
            "prev": link("before", page.before_cursor),
        },
    }


def webhooks_cursor_body(request: Request, key: str, page: CursorPage[Any]) -> dict[str, Any]:
    """A Webhooks API cursor page: only the cursors and links that lead somewhere."""
    meta: dict[str, Any] = {"has_more": page.has_more}
    links: dict[str, str] = {}
    if not page.first_page and page.before_cursor:
        meta["before_cursor"] = page.before_cursor
        links["prev"] = _list_url(request, {"page[before]": page.before_cursor})
    if page.has_more and page.after_cursor:
        meta["after_cursor"] = page.after_cursor
        links["next"] = _list_url(request, {"page[after]": page.after_cursor})
    body: dict[str, Any] = {key: page.items, "meta": meta}
    if links:
        body["links"] = links
    return body


def offset_body(request: Request, key: str, records: Sequence[Any]) -> dict[str, Any]:
    """An offset page (``page``, ``per_page``): ``next_page``/``previous_page`` URLs, ``count``."""
    per_page = page_size(request, "per_page")
    number = int_param(request, "page", 1)
    start = (number - 1) * per_page
    kept = {k: v for k, v in request.query_params.items() if k not in ("page", "per_page")}

    def link(target: int) -> str:
        return _list_url(request, {**kept, "page": target, "per_page": per_page})

    return {
        key: list(records[start : start + per_page]),
        "next_page": link(number + 1) if start + per_page < len(records) else None,
        "previous_page": link(number - 1) if number > 1 else None,
        "count": len(records),
    }

