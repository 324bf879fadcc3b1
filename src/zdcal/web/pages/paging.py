"""Long lists on a page, one page of them at a time (``?page=N``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from zdcal.domain import parse_id

PAGE_SIZE = 50

Item = TypeVar("Item")


@dataclass(frozen=True)
class Page(Generic[Item]):
    """Page ``number`` (1-based) of ``pages``, holding ``items`` out of ``total``."""

    items: list[Item]
    number: int
    pages: int
    total: int


def page_of(items: Sequence[Item], requested: str | None, size: int = PAGE_SIZE) -> Page[Item]:
    """The requested page of ``items``; a page number that is not one shows the nearest."""
    pages = max(1, -(-len(items) // size))
    number = min(parse_id((requested or "1").strip()) or 1, pages)
    start = (number - 1) * size
    return Page(list(items[start : start + size]), number, pages, len(items))
