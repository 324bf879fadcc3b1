"""Apps with signed URLs in the simulator: a key pair per app, the anonymous public key
endpoint, the installation show, and the JWT Zendesk would POST, checked with PyJWT and
cryptography (clients independent of the simulator) against the documented claims."""

from __future__ import annotations

import re

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from .conftest import Sim

NIA = 1002


def install(sim: Sim, **settings: str) -> tuple[int, int]:
    answer = sim.anonymous.post("/_sandbox/apps", json={
        "name": "zdcal", "settings": settings,
        "locations": {"ticket_sidebar": "https://zdcal.example/zendesk-app/sidebar"},
    })
    assert answer.status_code == 201, answer.text
    return answer.json()["app_id"], answer.json()["installation_id"]


def test_the_signed_token_verifies_with_the_apps_public_key(sim: Sim) -> None:
    app_id, installation = install(sim)
    pem = sim.anonymous.get(f"/api/v2/apps/{app_id}/public_key.pem")
    assert pem.status_code == 200  # allowed for anonymous users, as documented
    key = load_pem_public_key(pem.content)
    assert isinstance(key, RSAPublicKey)
    token = sim.anonymous.post(f"/_sandbox/apps/installations/{installation}/signed_token",
                               json={"user_id": NIA}).json()["token"]
    audience = f"https://sandbox.zendesk.com/api/v2/apps/installations/{installation}.json"
    claims = jwt.decode(token, key, algorithms=["RS256"], audience=audience,
                        issuer="sandbox.zendesk.com")
    assert claims["sub"] == str(NIA)
    assert claims["context"] == {"product": "support", "location": "ticket_sidebar"}
    assert 0 < claims["exp"] - claims["iat"] <= 300
    assert jwt.get_unverified_header(token)["alg"] == "RS256"


def test_each_app_has_its_own_key_and_unknown_apps_are_404(sim: Sim) -> None:
    first, _ = install(sim)
    second, _ = install(sim)
    keys = {sim.anonymous.get(f"/api/v2/apps/{a}/public_key.pem").text for a in (first, second)}
    assert len(keys) == 2
    missing = sim.anonymous.get("/api/v2/apps/42/public_key.pem")
    assert missing.status_code == 404
    assert missing.json() == {"error": "RecordNotFound", "description": "Not found"}


def test_the_installation_show_needs_credentials(sim: Sim) -> None:
    app_id, installation = install(sim, zdcal_url="https://zdcal.example")
    assert sim.anonymous.get(f"/api/v2/apps/installations/{installation}.json").status_code == 401
    shown = sim.agent.get(f"/api/v2/apps/installations/{installation}.json").json()
    assert shown == {"id": installation, "app_id": app_id, "enabled": True,
                     "settings": {"zdcal_url": "https://zdcal.example"}}


def test_tokens_are_minted_only_for_known_users_and_installations(sim: Sim) -> None:
    _, installation = install(sim)
    unknown_user = sim.anonymous.post(
        f"/_sandbox/apps/installations/{installation}/signed_token", json={"user_id": 1})
    assert unknown_user.status_code == 400
    unknown = sim.anonymous.post("/_sandbox/apps/installations/9/signed_token",
                                 json={"user_id": NIA})
    assert unknown.status_code == 404


def test_the_agent_interface_frames_the_app_with_a_signed_post(sim: Sim) -> None:
    _, installation = install(sim)
    page = sim.anonymous.get(f"/agent/apps/{installation}",
                             params={"location": "ticket_sidebar", "user_id": NIA,
                                     "ticket_id": 7})
    assert page.status_code == 200
    action = re.search(r'<form id="launch" method="post" action="([^"]+)" target="app">',
                       page.text)
    assert action is not None
    assert action.group(1).startswith("https://zdcal.example/zendesk-app/sidebar?origin=")
    assert "app_guid=" in action.group(1)
    assert 'name="token"' in page.text
    assert sim.anonymous.get(f"/agent/apps/{installation}",
                             params={"location": "nav_bar", "user_id": NIA}).status_code == 400
