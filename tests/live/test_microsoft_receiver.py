"""zdcal's real push receiver for Microsoft Graph: the validation handshake answered in
plain text on both the change and the lifecycle path, forged or garbled notifications
refused, genuine ones for an agent Microsoft does not serve refused as unknown."""

from __future__ import annotations

import json

import httpx
from live_support import Live
from world import NIA

from zdcal.calendars.microsoft.push import client_state
from zdcal.runtime import Runtime


def _path(live: Live, user_id: int, suffix: str = "") -> str:
    async def key(runtime: Runtime) -> str:
        return (await live.world._account(runtime)).key

    return f"/webhooks/microsoft/{live.world.run(key)}/{user_id}{suffix}"


def test_the_handshake_is_answered_on_both_paths(live: Live) -> None:
    with httpx.Client(base_url=live.url, timeout=10) as http:
        for suffix in ("", "/lifecycle"):
            token = "Validation: Testing client application reachability for subscription"
            answer = http.post(_path(live, NIA, suffix), params={"validationToken": token},
                               headers={"Content-Type": "text/plain; charset=utf-8"})
            assert answer.status_code == 200
            assert answer.headers["content-type"].startswith("text/plain")
            assert answer.text == token


def test_forged_garbled_and_foreign_notifications_are_refused(live: Live) -> None:
    secret = live.world.settings.microsoft_client_secret.get_secret_value()
    genuine = {"subscriptionId": "s1", "changeType": "updated",
               "clientState": client_state(secret)}
    with httpx.Client(base_url=live.url, timeout=10) as http:
        forged = {"value": [{**genuine, "clientState": "guessed"}]}
        assert http.post(_path(live, NIA), json=forged).status_code == 401
        assert http.post(_path(live, NIA), content=b"{").status_code == 400
        assert http.post(_path(live, NIA), params={"validationToken": ""}).status_code == 400
        # A genuine notice to an agent Microsoft does not serve (NIA uses Cronofy).
        answer = http.post(_path(live, NIA, "/lifecycle"), content=json.dumps(
            {"value": [{**genuine, "lifecycleEvent": "missed"}]}))
        assert answer.status_code == 404
        assert http.get(_path(live, NIA, "/lifecycle")).status_code == 405
