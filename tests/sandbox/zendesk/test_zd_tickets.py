"""Ticket behaviour: frozen closed tickets, show_many limits, soft delete and restore,
stamps on every change, seeding through the control API."""

from __future__ import annotations

from zdcal.sandbox.zendesk import ZendeskSimConfig

from .conftest import Sim, SimFactory, load_fixture


def test_closed_ticket_refuses_updates_with_documented_detail(sim: Sim) -> None:
    ticket = sim.create_ticket(type="task", status="solved")
    sim.control("POST", f"/tickets/{ticket['id']}/close")
    response = sim.admin.put(f"/api/v2/tickets/{ticket['id']}", json={"ticket": {"status": "open"}})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "RecordInvalid"
    assert body["details"]["status"][0]["description"] == "closed prevents ticket update"


def test_show_many_leaves_out_missing_and_deleted_and_caps_at_100(sim: Sim) -> None:
    kept = sim.create_ticket(subject="kept")
    gone = sim.create_ticket(subject="gone")
    sim.admin.delete(f"/api/v2/tickets/{gone['id']}")
    ids = f"{kept['id']},{gone['id']},999999"
    found = sim.agent.get("/api/v2/tickets/show_many.json", params={"ids": ids}).json()
    assert [t["id"] for t in found["tickets"]] == [kept["id"]]
    assert found["count"] == 1
    hundred = ",".join(str(n) for n in range(1, 101))
    assert sim.agent.get("/api/v2/tickets/show_many", params={"ids": hundred}).status_code == 200
    too_many = ",".join(str(n) for n in range(1, 102))
    refused = sim.agent.get("/api/v2/tickets/show_many", params={"ids": too_many})
    assert refused.status_code == 400
    assert "error" in refused.json()


def test_soft_delete_hides_ticket_and_restore_brings_it_back(sim: Sim) -> None:
    ticket = sim.create_ticket(subject="oops")
    assert sim.admin.delete(f"/api/v2/tickets/{ticket['id']}").status_code == 204
    assert sim.agent.get(f"/api/v2/tickets/{ticket['id']}").status_code == 404
    deleted = sim.agent.get("/api/v2/deleted_tickets").json()["deleted_tickets"]
    assert deleted[0]["actor"]["id"] == 1001
    restored = sim.admin.put(f"/api/v2/deleted_tickets/{ticket['id']}/restore")
    assert restored.status_code == 200
    assert sim.agent.get(f"/api/v2/tickets/{ticket['id']}").status_code == 200
    assert sim.agent.get("/api/v2/deleted_tickets").json()["deleted_tickets"] == []


def test_every_change_bumps_updated_at_and_generated_timestamp(sim: Sim) -> None:
    ticket = sim.create_ticket(type="task", assignee_id=1002)
    created_stamp = sim.generated_timestamp(ticket["id"])
    sim.advance(90)
    updated = sim.admin.put(
        f"/api/v2/tickets/{ticket['id']}", json={"ticket": {"priority": "high"}}
    ).json()["ticket"]
    updated_stamp = sim.generated_timestamp(ticket["id"])
    assert updated_stamp >= created_stamp + 90
    assert updated["updated_at"] > ticket["updated_at"]
    sim.advance(30)
    agent_view = sim.control("PUT", f"/tickets/{ticket['id']}", {"ticket": {"status": "hold"}})
    assert agent_view["ticket"]["generated_timestamp"] >= updated_stamp + 30


def test_create_validation_reports_each_bad_field(sim: Sim) -> None:
    response = sim.admin.post(
        "/api/v2/tickets",
        json={"ticket": {"priority": "asap", "assignee_id": 1100, "due_at": "next tuesday"}},
    )
    assert response.status_code == 422
    assert set(response.json()["details"]) == {"priority", "assignee", "due_at", "description"}


def test_description_comes_from_description_field_too(sim: Sim) -> None:
    response = sim.admin.post(
        "/api/v2/tickets", json={"ticket": {"subject": "s", "description": "first words"}}
    )
    assert response.json()["ticket"]["description"] == "first words"
    assert response.json()["ticket"]["status"] == "new"


def test_custom_status_id_moves_status_category(sim: Sim) -> None:
    ticket = sim.create_ticket(assignee_id=1002)
    updated = sim.admin.put(
        f"/api/v2/tickets/{ticket['id']}", json={"ticket": {"custom_status_id": 3}}
    ).json()["ticket"]
    assert updated["status"] == "pending"
    assert updated["custom_status_id"] == 3


def test_scenario_seed_creates_users_tickets_and_clients(make_sim: SimFactory) -> None:
    sim = make_sim(ZendeskSimConfig(seed=load_fixture("seed__scenario")))
    olga = sim.client("olga@acme.example", "olga-token")
    assert olga.get("/api/v2/users/me").json()["user"]["time_zone"] == "Berlin"
    ticket = olga.get("/api/v2/tickets/7001").json()["ticket"]
    assert ticket["due_at"] == "2030-05-01T08:00:00Z"
    assert ticket["assignee_id"] == 502
    state = sim.control("GET", "/state")
    assert {u["email"] for u in state["users"]} == {
        "olga@acme.example",
        "pat@acme.example",
        "quinn@customer.example",
    }
    added = sim.control(
        "POST", "/seed", {"users": [{"name": "New", "email": "n@acme.example", "role": "agent"}]}
    )
    assert added["users"][0]["role"] == "agent"
    olga.put("/api/v2/tickets/7001", json={"ticket": {"status": "solved"}})
    # Reset goes back to the start-up seed; {"empty": true} leaves nothing at all.
    sim.control("POST", "/reset")
    restarted = sim.control("GET", "/state")
    assert len(restarted["users"]) == 3
    assert [t["status"] for t in restarted["tickets"] if t["id"] == 7001] == ["open"]
    sim.control("POST", "/reset", {"empty": True})
    emptied = sim.control("GET", "/state")
    assert emptied["tickets"] == []
    assert emptied["users"] == []


def test_json_suffix_and_mounting_under_a_prefix(make_sim: SimFactory) -> None:
    sim = make_sim(prefix="/zendesk/sim")
    ticket = sim.create_ticket(subject="prefixed")
    assert ticket["url"].startswith(sim.base_url + "/api/v2/tickets/")
    assert sim.agent.get(f"/api/v2/tickets/{ticket['id']}.json").status_code == 200
    sim.control("PUT", "/faults", {"error_rate": 1.0})
    assert sim.agent.get(f"/api/v2/tickets/{ticket['id']}").status_code == 503
    # The control API stays reachable and unfaulted under the prefix.
    assert sim.control("GET", "/faults")["error_rate"] == 1.0
