"""Per-user and per-project minute quotas, answered in Google's usage-limits error form."""

from __future__ import annotations

import httpx
from google_sim_support import AGENT, connect, error_shape_problems

from zdcal.sandbox.google import GoogleSimConfig, create_app
from zdcal.sandbox.server import ServerThread


def test_user_then_project_quota() -> None:
    config = GoogleSimConfig(requests_per_minute_per_user=3, requests_per_minute_per_project=5)
    with ServerThread(create_app(config)) as server, httpx.Client(
        base_url=server.base_url, timeout=10
    ) as http:
        agent = {"Authorization": f"Bearer {connect(http, AGENT).access_token}"}
        other = {"Authorization": f"Bearer {connect(http, 'other@example.com').access_token}"}
        path = "/calendar/v3/calendars/primary/events"
        assert [http.get(path, headers=agent).status_code for _ in range(3)] == [200] * 3
        refused = http.get(path, headers=agent)
        assert refused.status_code == 403
        assert error_shape_problems(refused.json()) == []
        detail = refused.json()["error"]["errors"][0]
        assert (detail["domain"], detail["reason"]) == ("usageLimits", "userRateLimitExceeded")

        assert [http.get(path, headers=other).status_code for _ in range(2)] == [200] * 2
        project = http.get(path, headers=other)
        assert project.status_code == 403
        assert project.json()["error"]["errors"][0]["reason"] == "rateLimitExceeded"
        assert http.get(path).status_code == 401  # no token: refused before any quota
