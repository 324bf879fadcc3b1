"""Bad input never gets a 5xx or changes anything: random event bodies, query options and
tokens are answered 2xx or 4xx in Graph's error shape."""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ms_sim_support import Graph, mint

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.text(max_size=30))
JSON = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=12), inner, max_size=3)),
    max_leaves=8)
DATE_TIMES = st.one_of(st.text(max_size=25), st.sampled_from([
    "2030-05-01T09:00:00", "2030-05-01", "2030-05-01T00:00:00.1234567", "2030-02-30T00:00:00",
    "2030-05-01T09:00:00+02:00", "2030-05-01T09:00:00Z"]))
ZONES = st.one_of(st.text(max_size=20), st.sampled_from(
    ["UTC", "Europe/Berlin", "Pacific Standard Time", ""]))
FIELDS = st.sampled_from(["subject", "body", "isAllDay", "isReminderOn", "sensitivity",
                          "showAs", "categories", "location", "locations", "attendees",
                          "reminderMinutesBeforeStart", "transactionId", "importance",
                          "singleValueExtendedProperties", "recurrence", "nonsense"])
BODIES = st.fixed_dictionaries(
    {"start": st.fixed_dictionaries({"dateTime": DATE_TIMES, "timeZone": ZONES}),
     "end": st.fixed_dictionaries({"dateTime": DATE_TIMES, "timeZone": ZONES})},
    optional={"extra": st.dictionaries(FIELDS, JSON, min_size=1, max_size=6)},
)


def _flat(body: dict[str, Any]) -> dict[str, Any]:
    return {**body.get("extra", {}), **{k: v for k, v in body.items() if k != "extra"}}


@settings(max_examples=150, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture])
@given(body=BODIES)
def test_random_event_bodies_get_201_or_a_graph_400(http: httpx.Client,
                                                    body: dict[str, Any]) -> None:
    graph = Graph(http, _token(http))
    answer = graph.post("/me/events", json=_flat(body))
    assert answer.status_code in (201, 400), answer.text
    if answer.status_code == 201:
        patched = graph.patch(f"/me/events/{answer.json()['id']}", json=_flat(body))
        assert patched.status_code in (200, 400), patched.text
    assert graph.problems == []


_TOKENS: dict[int, str] = {}


def _token(http: httpx.Client) -> str:
    """One token per client (the fixture resets the simulator once per test, not per example)."""
    if id(http) not in _TOKENS:
        _TOKENS[id(http)] = mint(http)
    return _TOKENS[id(http)]


@settings(max_examples=60, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(["$top", "$skip", "$filter", "$expand", "$select", "$orderby",
                             "startDateTime", "$deltatoken", "$skiptoken"]),
       value=st.text(max_size=60))
def test_random_query_options_get_a_graph_answer(http: httpx.Client, name: str,
                                                 value: str) -> None:
    graph = Graph(http, _token(http))
    for path in ("/me/events", "/me/calendarView/delta", "/me/calendars"):
        answer = graph.get(path, params={name: value})
        assert answer.status_code < 500, answer.text
    assert graph.problems == []
