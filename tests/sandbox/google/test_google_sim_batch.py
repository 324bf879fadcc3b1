"""The batch endpoint through google-api-python-client's BatchHttpRequest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from google_sim_support import RecordingHttp, Tokens, batch_parts, reason_of
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from zdcal.sandbox.server import ServerThread


def test_batch_runs_each_call_and_answers_each_part(
    calendar_client: Callable[[Tokens], Any], agent_tokens: Tokens, google_server: ServerThread,
    recorder: RecordingHttp,
) -> None:
    service = calendar_client(agent_tokens)
    answers: dict[str, Any] = {}
    failures: dict[str, HttpError] = {}

    def collect(request_id: str, response: Any, exception: HttpError | None) -> None:
        if exception is not None:
            failures[request_id] = exception
        else:
            answers[request_id] = response

    batch = BatchHttpRequest(callback=collect,
                             batch_uri=google_server.base_url + "/batch/calendar/v3")
    for n in range(3):
        batch.add(service.events().insert(calendarId="primary", body={
            "id": f"batch{n:04d}", "start": {"date": "2030-02-01"}, "end": {"date": "2030-02-02"},
        }), request_id=f"insert-{n}")
    batch.add(service.events().insert(calendarId="primary", body={
        "id": "batch0000", "start": {"date": "2030-02-01"}, "end": {"date": "2030-02-02"},
    }), request_id="again")
    batch.add(service.events().get(calendarId="primary", eventId="nothere1"),
              request_id="missing")
    batch.execute()

    batches = [e for e in recorder.log if e.uri.endswith("/batch/calendar/v3")]
    assert [status for status, _ in batch_parts(batches[0].body)] == [200, 200, 200, 409, 404]
    assert sorted(answers) == ["insert-0", "insert-1", "insert-2"]
    assert answers["insert-1"]["id"] == "batch0001"
    assert failures["again"].status_code == 409
    assert reason_of(failures["again"].content) == "duplicate"
    assert failures["missing"].status_code == 404
    listed = service.events().list(calendarId="primary").execute()
    assert sorted(item["id"] for item in listed["items"]) == [
        "batch0000", "batch0001", "batch0002"
    ]
