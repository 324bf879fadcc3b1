"""Zendesk search query syntax, the subset the sandbox understands, compiled to a predicate.

Supported: ``type:ticket``; ``ticket_type:`` / ``status`` / ``priority`` with ``:`` and
(status, priority) ``< > <= >=``; ``assignee:<id>|none``, ``requester:<id>``,
``group:<id>|none``, ``tags:<tag>`` / ``tag:``; ``created``/``created_at``,
``updated``/``updated_at``, ``due_date`` with ``: < > <= >=`` on a date or ISO date-time;
a leading ``-`` negates a term; bare words match subject or description (case-insensitive).
Anything else is refused with UnsupportedSearchTerm.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from zdcal.sandbox.zendesk.model import STATUS_ORDER, TICKET_PRIORITIES, Ticket
from zdcal.sandbox.zendesk.timestamps import InvalidTimestamp, parse_instant

PRIORITY_ORDER = {name: rank for rank, name in enumerate(reversed(TICKET_PRIORITIES))}
TERM = re.compile(r"^(?P<neg>-?)(?P<key>[a-z_]+)(?P<op><=|>=|:|<|>)(?P<value>.+)$")
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DAY = 86_400

TicketPredicate = Callable[[Ticket], bool]


class UnsupportedSearchTerm(ValueError):
    """A query term outside the supported subset."""


@dataclass(frozen=True)
class CompiledQuery:
    """A parsed query: the object type it names (if any) and the ticket predicate."""

    object_type: str | None
    matches: TicketPredicate


def _compare(op: str, left: float, right: float) -> bool:
    if op == ":":
        return left == right
    if op == "<":
        return left < right
    if op == ">":
        return left > right
    if op == "<=":
        return left <= right
    return left >= right


def _ordered(
    key: str, op: str, value: str, order: dict[str, int], read: Callable[[Ticket], str | None]
) -> TicketPredicate:
    if value not in order:
        raise UnsupportedSearchTerm(f"{key}{op}{value}")
    wanted = order[value]

    def match(ticket: Ticket) -> bool:
        actual = read(ticket)
        return actual is not None and _compare(op, order[actual], wanted)

    return match


def _dated(key: str, op: str, value: str, read: Callable[[Ticket], int | None]) -> TicketPredicate:
    try:
        start = parse_instant(value)
    except InvalidTimestamp as exc:
        raise UnsupportedSearchTerm(f"{key}{op}{value}") from exc
    # A bare date names the whole day (UTC, the sandbox account's zone).
    end = start + DAY if DATE_ONLY.match(value) else start + 1

    def match(ticket: Ticket) -> bool:
        actual = read(ticket)
        if actual is None:
            return False
        if op == ":":
            return start <= actual < end
        if op == "<":
            return actual < start
        if op == "<=":
            return actual < end
        if op == ">":
            return actual >= end
        return actual >= start

    return match


def _id_match(key: str, value: str, read: Callable[[Ticket], int | None]) -> TicketPredicate:
    if value == "none":
        return lambda t: read(t) is None
    if not value.isdigit():
        raise UnsupportedSearchTerm(f"{key}:{value} (the sandbox matches ids only)")
    wanted = int(value)
    return lambda t: read(t) == wanted


def _term(key: str, op: str, value: str) -> TicketPredicate:
    value = value.strip('"').lower()
    if key == "ticket_type":
        if op != ":":
            raise UnsupportedSearchTerm(f"{key}{op}{value}")
        return lambda t: t.type == value
    if key == "status":
        return _ordered(key, op, value, STATUS_ORDER, lambda t: t.status)
    if key == "priority":
        return _ordered(key, op, value, PRIORITY_ORDER, lambda t: t.priority)
    if key in ("created", "created_at"):
        return _dated(key, op, value, lambda t: t.created_at)
    if key in ("updated", "updated_at"):
        return _dated(key, op, value, lambda t: t.updated_at)
    if key in ("due_date", "due"):
        return _dated(key, op, value, lambda t: t.due_at)
    if op != ":":
        raise UnsupportedSearchTerm(f"{key}{op}{value}")
    if key == "assignee":
        return _id_match(key, value, lambda t: t.assignee_id)
    if key == "requester":
        return _id_match(key, value, lambda t: t.requester_id)
    if key == "group":
        return _id_match(key, value, lambda t: t.group_id)
    if key in ("tags", "tag"):
        return lambda t: value in t.tags
    raise UnsupportedSearchTerm(f"{key}{op}{value}")


def _text(word: str) -> TicketPredicate:
    needle = word.strip('"').lower()
    return lambda t: needle in (t.subject or "").lower() or needle in t.description.lower()


def compile_query(query: str) -> CompiledQuery:
    """Parse a query string; all terms must hold (Zendesk joins terms with AND)."""
    object_type: str | None = None
    predicates: list[TicketPredicate] = []
    for token in query.split():
        parsed = TERM.match(token)
        if parsed is None:
            predicates.append(_text(token))
            continue
        key, op, value = parsed["key"], parsed["op"], parsed["value"]
        if key == "type":
            if op != ":" or parsed["neg"]:
                raise UnsupportedSearchTerm(token)
            object_type = value.lower()
            continue
        predicate = _term(key, op, value)
        if parsed["neg"]:
            predicate = (lambda inner: lambda t: not inner(t))(predicate)
        predicates.append(predicate)

    def matches(ticket: Ticket) -> bool:
        return all(p(ticket) for p in predicates)

    return CompiledQuery(object_type, matches)
