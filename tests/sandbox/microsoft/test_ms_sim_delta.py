"""calendarView/delta: the first round in pages, then changes and @removed entries, and the
410 that sends a client back to a full sync."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
from ms_sim_support import Graph, error_code, timed_event

WINDOW = {"startDateTime": "2030-01-01T00:00:00Z", "endDateTime": "2031-01-01T00:00:00Z"}


def _round(graph: Graph, first: str, **params: str) -> tuple[list[dict[str, object]], str, int]:
    """Follow nextLinks to the deltaLink; (items, deltaLink, pages)."""
    page = graph.get(first, params=params or None,
                     headers={"Prefer": "odata.maxpagesize=2"}).json()
    items, pages = list(page["value"]), 1
    while "@odata.nextLink" in page:
        assert "$skiptoken" in parse_qs(urlsplit(page["@odata.nextLink"]).query)
        page = graph.get(page["@odata.nextLink"], headers={"Prefer": "odata.maxpagesize=2"}).json()
        items += page["value"]
        pages += 1
    assert "$deltatoken" in parse_qs(urlsplit(page["@odata.deltaLink"]).query)
    return items, page["@odata.deltaLink"], pages


def test_rounds_pages_changes_and_removals(graph: Graph, http: httpx.Client) -> None:
    ids = [graph.post("/me/events", json=timed_event(subject=f"#{n}")).json()["id"]
           for n in range(5)]
    outside = graph.post("/me/events", json=timed_event(
        start="2035-01-01T09:00:00", end="2035-01-01T10:00:00")).json()["id"]
    items, delta_link, pages = _round(graph, "/me/calendarView/delta", **WINDOW)
    assert sorted(i["id"] for i in items) == sorted(ids)  # the 2035 event is outside
    assert pages == 3
    nothing, delta_link, _ = _round(graph, delta_link)
    assert nothing == []

    graph.patch(f"/me/events/{ids[0]}", json={"subject": "renamed"})
    graph.delete(f"/me/events/{ids[1]}")
    http.patch(f"/_sandbox/events/{ids[2]}", json={   # the user moves it out of the window
        "start": {"dateTime": "2036-01-01T09:00:00", "timeZone": "UTC"},
        "end": {"dateTime": "2036-01-01T10:00:00", "timeZone": "UTC"}})
    graph.patch(f"/me/events/{outside}", json={"subject": "still outside"})
    changes, _, _ = _round(graph, delta_link)
    by_id = {c["id"]: c for c in changes}
    assert by_id[ids[0]]["subject"] == "renamed"
    for gone in (ids[1], ids[2], outside):
        assert by_id[gone]["@removed"] == {"reason": "deleted"}
    assert set(by_id) == {ids[0], ids[1], ids[2], outside}


def test_other_calendar_and_window_required(graph: Graph) -> None:
    calendars = graph.get("/me/calendars").json()["value"]
    graph.post(f"/me/calendars/{calendars[1]['id']}/events", json=timed_event())
    assert _round(graph, "/me/calendarView/delta", **WINDOW)[0] == []
    items, _, _ = _round(graph, f"/me/calendars/{calendars[1]['id']}/calendarView/delta",
                         **WINDOW)
    assert len(items) == 1
    missing = graph.get("/me/calendarView/delta")
    assert (missing.status_code, error_code(missing)) == (400, "ErrorInvalidParameter")
    select = graph.get("/me/calendarView/delta", params={**WINDOW, "$select": "subject"})
    assert select.status_code == 400


def test_expired_token_answers_410_with_a_fresh_start(graph: Graph, http: httpx.Client) -> None:
    _, delta_link, _ = _round(graph, "/me/calendarView/delta", **WINDOW)
    assert http.post("/_sandbox/delta-tokens/expire").status_code == 200
    expired = graph.get(delta_link)
    assert expired.status_code == 410
    assert error_code(expired) == "syncStateNotFound"
    restart = expired.headers["location"]
    assert parse_qs(urlsplit(restart).query)["startDateTime"] == ["2030-01-01T00:00:00+00:00"]
    assert graph.get(restart).status_code == 200
    assert graph.get("/me/calendarView/delta", params={"$deltatoken": "garbage"}).status_code == 410


def test_calendar_view_lists_the_window(graph: Graph) -> None:
    graph.post("/me/events", json=timed_event())
    graph.post("/me/events", json=timed_event(start="2035-01-01T09:00:00",
                                              end="2035-01-01T10:00:00"))
    view = graph.get("/me/calendarView", params=WINDOW).json()["value"]
    assert len(view) == 1
