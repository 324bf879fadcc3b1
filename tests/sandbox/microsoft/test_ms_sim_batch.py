"""$batch: up to 20 requests, dependsOn, per-request status, malformed batches refused."""

from __future__ import annotations

from ms_sim_support import Graph, error_code, timed_event

JSON = {"Content-Type": "application/json"}


def test_batch_runs_each_request_and_honours_depends_on(graph: Graph) -> None:
    answer = graph.post("/$batch", json={"requests": [
        {"id": "1", "method": "POST", "url": "/me/events", "headers": JSON,
         "body": timed_event(subject="from batch")},
        {"id": "2", "method": "GET", "url": "/me/events/AAMkAGnothere=", "dependsOn": ["1"]},
        {"id": "3", "method": "GET", "url": "me/calendars", "dependsOn": ["2"]},
        {"id": "4", "method": "GET", "url": "/me"},
    ]})
    assert answer.status_code == 200
    by_id = {r["id"]: r for r in answer.json()["responses"]}
    assert by_id["1"]["status"] == 201
    assert by_id["1"]["body"]["subject"] == "from batch"
    assert by_id["2"]["status"] == 404
    assert by_id["3"]["status"] == 424  # its prerequisite failed
    assert by_id["4"]["status"] == 200
    assert len(graph.get("/me/events").json()["value"]) == 1


def test_malformed_batches_are_400(graph: Graph) -> None:
    one = {"id": "1", "method": "GET", "url": "/me"}
    too_many = [{**one, "id": str(n)} for n in range(21)]
    for requests in (too_many, [one, one],
                     [{"id": "1", "method": "POST", "url": "/me/events", "body": {}}],
                     [{**one, "url": "https://graph.microsoft.com/v1.0/me"}],
                     [{**one, "dependsOn": ["9"]}],
                     [{**one, "dependsOn": ["2"]}, {**one, "id": "2", "dependsOn": ["1"]}]):
        refused = graph.post("/$batch", json={"requests": requests})
        assert refused.status_code == 400, requests
        assert error_code(refused) == "BadRequest"
    twenty = [{**one, "id": str(n)} for n in range(20)]
    assert graph.post("/$batch", json={"requests": twenty}).status_code == 200
