"""A small checker of JSON bodies against the schemas of a Google API discovery document.

Strict on purpose: a property the schema does not declare is a failure, as is a wrong type,
a malformed date-time/date/int64 string, or a list item of the wrong shape.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from importlib import resources
from typing import Any

_INT64 = re.compile(r"-?[0-9]+")


def calendar_discovery() -> dict[str, Any]:
    """The Calendar v3 discovery document shipped inside google-api-python-client."""
    documents = resources.files("googleapiclient") / "discovery_cache" / "documents"
    loaded: dict[str, Any] = json.loads((documents / "calendar.v3.json").read_text("utf-8"))
    return loaded


class SchemaChecker:
    def __init__(self, discovery: dict[str, Any]) -> None:
        self.schemas: dict[str, Any] = discovery["schemas"]

    def problems(self, value: Any, schema_name: str) -> list[str]:
        """Everything wrong with ``value`` as an instance of ``schema_name``; [] when valid."""
        found: list[str] = []
        self._check(value, {"$ref": schema_name}, schema_name, found)
        return found

    def _check(self, value: Any, schema: dict[str, Any], where: str, found: list[str]) -> None:
        if "$ref" in schema:
            schema = self.schemas[schema["$ref"]]
        kind = schema.get("type")
        if kind == "any":
            return
        if kind == "object":
            if not isinstance(value, dict):
                found.append(f"{where}: expected an object, got {value!r}")
                return
            properties = schema.get("properties", {})
            extra = schema.get("additionalProperties")
            for key, item in value.items():
                if key in properties:
                    self._check(item, properties[key], f"{where}.{key}", found)
                elif extra is not None:
                    self._check(item, extra, f"{where}[{key!r}]", found)
                else:
                    found.append(f"{where}.{key}: not a property of the schema")
        elif kind == "array":
            if not isinstance(value, list):
                found.append(f"{where}: expected an array, got {value!r}")
                return
            for index, item in enumerate(value):
                self._check(item, schema["items"], f"{where}[{index}]", found)
        elif kind == "string":
            self._check_string(value, schema.get("format"), where, found)
        elif kind == "integer":
            if not isinstance(value, int) or isinstance(value, bool):
                found.append(f"{where}: expected an integer, got {value!r}")
        elif kind == "number":
            if not isinstance(value, int | float) or isinstance(value, bool):
                found.append(f"{where}: expected a number, got {value!r}")
        elif kind == "boolean":
            if not isinstance(value, bool):
                found.append(f"{where}: expected a boolean, got {value!r}")
        else:
            found.append(f"{where}: the checker does not know type {kind!r}")

    def _check_string(self, value: Any, fmt: str | None, where: str, found: list[str]) -> None:
        if not isinstance(value, str):
            found.append(f"{where}: expected a string, got {value!r}")
            return
        try:
            if fmt == "date-time":
                if not value.endswith("Z") and not re.search(r"[+-]\d\d:\d\d$", value):
                    raise ValueError("no offset")
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            elif fmt == "date":
                date.fromisoformat(value)
            elif fmt in ("int64", "uint64") and not _INT64.fullmatch(value):
                raise ValueError("not an integer")
        except ValueError as exc:
            found.append(f"{where}: {value!r} is not a valid {fmt} ({exc})")
