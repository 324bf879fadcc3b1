"""Ids written as text: ASCII digits only, positive, within a signed 64-bit integer."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zdcal.domain import parse_id
from zdcal.domain.ids import MAX_ID


@given(st.integers(min_value=1, max_value=MAX_ID))
def test_every_id_reads_back(value: int) -> None:
    assert parse_id(str(value)) == value


@pytest.mark.parametrize("text", [
    "", "0", "-1", "+1", "1.0", "1e3", "1_000", " 1", "1 ", "0x1",
    # Superscript two, Arabic-Indic one, fullwidth one: digits, but not ASCII ones.
    "\u00b2", "\u0661", "\uff11",
    str(MAX_ID + 1), "9" * 20,
])
def test_anything_else_is_no_id(text: str) -> None:
    assert parse_id(text) is None


@given(st.text())
def test_no_text_breaks_the_reading(text: str) -> None:
    value = parse_id(text)
    assert value is None or (0 < value <= MAX_ID and str(value) == text.lstrip("0"))
