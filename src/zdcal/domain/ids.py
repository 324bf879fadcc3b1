"""Ids written as text: path segments, form fields, query parameters, event ids.

An id is a positive integer in ASCII digits that fits a signed 64-bit integer (Zendesk's
ids and the database's keys). ``str.isdigit`` is not the test: ``"²"`` passes it and then
breaks ``int``, and Arabic-Indic digits pass both, so one id would have many spellings.
"""

from __future__ import annotations

import re

MAX_ID = 2**63 - 1
"""Zendesk ids (tickets, users) and zdcal's own keys are signed 64-bit integers."""

_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


def ascii_digits(text: str) -> bool:
    """``text`` is 1 to 19 ASCII digits, and nothing else."""
    return _ASCII_DIGITS.fullmatch(text) is not None


def parse_id(text: str) -> int | None:
    """The id ``text`` spells, else None (white space too: strip it first if allowed)."""
    if not ascii_digits(text):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None
