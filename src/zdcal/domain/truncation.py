"""How text is shortened to fit a field limit.

Cronofy limits ``summary`` to 1024 and ``description`` to 4096 characters. Text over a
limit is cut, preferably at the last whitespace within the final tenth of the budget
(so a word is not split when a boundary is near), trailing whitespace is dropped, and a
single ``…`` (U+2026, one character) marks the cut. Lengths are counted in Unicode code
points, as Python and JSON count them.
"""

from __future__ import annotations

ELLIPSIS = "\u2026"
# Give up on a word boundary that would throw away more than this share of the budget.
_BOUNDARY_WINDOW = 0.1


def truncate(text: str, limit: int) -> str:
    """Return ``text`` unchanged if it fits in ``limit`` characters, else a clean cut + ``…``."""
    if limit < 1:
        raise ValueError(f"a text limit must be at least 1, not {limit}")
    if len(text) <= limit:
        return text
    budget = limit - len(ELLIPSIS)
    cut = text[:budget]
    # A boundary right after the cut point is as good as one inside it.
    if text[budget].isspace():
        boundary = budget
    else:
        boundary = max((cut.rfind(space) for space in (" ", "\n", "\t")), default=-1)
    if boundary >= budget * (1 - _BOUNDARY_WINDOW):
        cut = cut[:boundary]
    return cut.rstrip() + ELLIPSIS
