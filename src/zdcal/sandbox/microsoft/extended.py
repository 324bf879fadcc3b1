"""Single-value extended properties: their ids, ``$expand`` and the ``$filter`` on them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from zdcal.sandbox.microsoft import assumptions
from zdcal.sandbox.microsoft.errors import GraphError, invalid
from zdcal.sandbox.microsoft.model import StoredEvent

_ID = re.compile(assumptions.EXTENDED_PROPERTY_ID)
_ANY = re.compile(
    r"singleValueExtendedProperties/any\(\s*(\w+)\s*:\s*(?P<body>.*)\)\s*", re.IGNORECASE
)
_ID_EQ = re.compile(r"(\w+)/id\s+eq\s+'(?P<id>(?:[^']|'')*)'", re.IGNORECASE)
_VALUE_OP = re.compile(r"(\w+)/value\s+(?P<op>eq|ne)\s+'(?P<v>(?:[^']|'')*)'", re.IGNORECASE)
_VALUE_FN = re.compile(r"(?P<op>startswith|contains)\(\s*(\w+)/value\s*,\s*'(?P<v>(?:[^']|'')*)'"
                       r"\s*\)", re.IGNORECASE)
_EXPAND = re.compile(r"singleValueExtendedProperties(?:\(\s*\$filter\s*=\s*(?P<f>.*)\))?",
                     re.IGNORECASE)


def property_key(property_id: object) -> str:
    """The comparable form of a property id (type and GUID case-insensitive, name as is);
    400 when the id is not one of the documented forms."""
    match = _ID.fullmatch(property_id) if isinstance(property_id, str) else None
    if match is None:
        raise GraphError(400, "ErrorInvalidProperty",
                         f"The extended property id '{property_id}' is not valid.")
    kind, guid, name, number, tag = match.group("type", "guid", "name", "id", "tag")
    if tag:
        return f"{kind.lower()} {tag.lower()}"
    if name:
        return f"{kind.lower()} {{{guid.lower()}}} name {name}"
    return f"{kind.lower()} {{{guid.lower()}}} id {int(number, 16):#x}"


def apply_properties(current: dict[str, tuple[str, str]], sent: object) -> dict[str, tuple[str,
                                                                                          str]]:
    """Add or replace the sent ``singleValueExtendedProperties`` (a create or a PATCH)."""
    if sent is None:
        return current
    if not isinstance(sent, list):
        raise invalid("singleValueExtendedProperties must be an array.", "RequestBodyRead")
    kept = dict(current)
    for item in sent:
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            raise invalid("An extended property needs an id and a string value.",
                          "RequestBodyRead")
        kept[property_key(item.get("id"))] = (str(item["id"]), item["value"])
    return kept


def _unquote(text: str) -> str:
    return text.replace("''", "'")


@dataclass(frozen=True)
class PropertyFilter:
    """``singleValueExtendedProperties/Any(ep: ep/id eq '<id>' and ep/value <op> '<v>')``."""

    key: str
    op: str | None
    value: str | None

    @classmethod
    def parse(cls, text: str | None) -> PropertyFilter | None:
        if text is None:
            return None
        whole = _ANY.fullmatch(text.strip())
        if whole is None:
            raise GraphError(400, "ErrorInvalidUrlQueryFilter",
                             "The query filter contains one or more invalid nodes.")
        body = whole.group("body")
        id_match = _ID_EQ.search(body)
        if id_match is None:
            raise GraphError(400, "ErrorInvalidUrlQueryFilter",
                             "The query filter contains one or more invalid nodes.")
        key = property_key(_unquote(id_match.group("id")))
        rest = (body[:id_match.start()] + body[id_match.end():]).strip()
        if not rest:
            return cls(key, None, None)
        rest = re.sub(r"^and\s+|\s+and$", "", rest, flags=re.IGNORECASE).strip()
        value = _VALUE_OP.fullmatch(rest) or _VALUE_FN.fullmatch(rest)
        if value is None:
            raise GraphError(400, "ErrorInvalidUrlQueryFilter",
                             "The query filter contains one or more invalid nodes.")
        return cls(key, value.group("op").lower(), _unquote(value.group("v")))

    def keeps(self, event: StoredEvent) -> bool:
        found = event.extended.get(self.key)
        if found is None:
            return False
        if self.op is None or self.value is None:
            return True
        have, want = found[1].lower(), self.value.lower()
        return {
            "eq": have == want, "ne": have != want,
            "startswith": have.startswith(want), "contains": want in have,
        }[self.op]


def expanded(event: StoredEvent, expand: str | None) -> list[dict[str, Any]] | None:
    """The ``singleValueExtendedProperties`` an ``$expand`` asks for; None to leave it out."""
    if expand is None:
        return None
    match = _EXPAND.fullmatch(expand.strip())
    if match is None:
        raise invalid(f"Parsing OData Select and Expand failed: Could not find a property named "
                      f"'{expand}' on type 'microsoft.graph.event'.", "BadRequest")
    wanted = PropertyFilter.parse(
        f"singleValueExtendedProperties/Any(ep: {match.group('f').replace('id eq', 'ep/id eq')})"
    ) if match.group("f") else None
    found = [
        {"id": sent_id, "value": value} for key, (sent_id, value) in event.extended.items()
        if wanted is None or key == wanted.key
    ]
    return found or None
