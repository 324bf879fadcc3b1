"""Failure kinds in plain words, and retry times in the reader's own time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from zdcal.calendars.base import FailureKind
from zdcal.web.pages.failure_words import FAILURE_SENTENCES, failure_sentence, retry_words

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2030, 12, 31, 14, 0, tzinfo=UTC)  # 23:00 on 31 December in Tokyo


def test_every_kind_has_a_sentence_and_no_developer_words() -> None:
    assert set(FAILURE_SENTENCES) == set(FailureKind)
    for sentence in FAILURE_SENTENCES.values():
        assert not any(word in sentence for word in ("Cronofy", "HTTP", "POST", "4", "5"))
    assert failure_sentence("unavailable") == "Your calendar service did not answer."
    assert failure_sentence("something new") == failure_sentence(None)


@pytest.mark.parametrize(("later", "words"), [
    (timedelta(minutes=30), "zdcal tries again at 23:30."),
    (timedelta(hours=2), "zdcal tries again tomorrow at 01:00."),  # a new day (and year)
    (timedelta(days=2), "zdcal tries again on Thu 2 Jan 2031 at 23:00."),
    (timedelta(0), "zdcal is trying again now."),
])
def test_retry_times_are_in_the_readers_zone(later: timedelta, words: str) -> None:
    assert retry_words(NOW + later, TOKYO, NOW) == words
