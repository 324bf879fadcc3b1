"""The schema checker itself: it must fail on what the discovery document does not allow."""

from __future__ import annotations

from google_sim_support import CHECKER


def test_valid_event_passes() -> None:
    event = {
        "kind": "calendar#event", "id": "abcde", "start": {"date": "2030-01-01"},
        "reminders": {"useDefault": False, "overrides": [{"method": "popup", "minutes": 5}]},
        "extendedProperties": {"private": {"k": "v"}}, "sequence": 1,
        "updated": "2030-01-01T00:00:00.000Z",
    }
    assert CHECKER.problems(event, "Event") == []


def test_unknown_property_wrong_type_and_bad_format_fail() -> None:
    assert CHECKER.problems({"kind": "calendar#event", "colour": "red"}, "Event") == [
        "Event.colour: not a property of the schema"
    ]
    assert CHECKER.problems({"sequence": "1"}, "Event") != []
    assert CHECKER.problems({"start": {"dateTime": "2030-01-01T10:00:00"}}, "Event") != []
    assert CHECKER.problems({"extendedProperties": {"private": {"k": 1}}}, "Event") != []
    assert CHECKER.problems({"items": [{"id": 3}]}, "Events") != []
    assert CHECKER.problems({"reminders": {"overrides": [{"minute": 5}]}}, "Event") != []
