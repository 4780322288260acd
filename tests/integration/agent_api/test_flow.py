"""The human path through the API: inbox, transcript, idempotent replies, close; GETs read
the projections only."""

from __future__ import annotations

from typing import Any

import pytest

from helpline.domain.ids import ROSTER_ID

from .conftest import ADMIN, PHONE, Api

pytestmark = pytest.mark.integration


def test_escalation_reply_and_close(api: Api) -> None:
    agent_id, token = api.agent("marta")
    ticket = api.escalate()
    api.say(PHONE, "es por el pedido 1234")

    inbox = api.call("GET", "/api/v1/tickets", token, params={"status": "open"}).json()
    assert [t["ticket_id"] for t in inbox] == [ticket]
    assert inbox[0]["last_customer_text"] == "es por el pedido 1234"
    assert inbox[0]["waiting_seconds"] is not None and inbox[0]["waiting_seconds"] >= 0

    sent_before = len(api.sender.sent)
    headers = {"Idempotency-Key": "reply-1"}
    first = api.call("POST", f"/api/v1/tickets/{ticket}/replies", token,
                     json={"text": "Sale hoy"}, headers=headers)
    again = api.call("POST", f"/api/v1/tickets/{ticket}/replies", token,
                     json={"text": "Sale hoy"}, headers=headers)
    assert (first.status_code, again.status_code) == (202, 202)
    assert first.json()["answer_id"] == again.json()["answer_id"]
    assert (first.json()["duplicate"], again.json()["duplicate"]) == (False, True)
    agent_sends = [c for c in api.sender.sent[sent_before:] if c.author == "agent"]
    assert [c.text for c in agent_sends] == ["Sale hoy"]
    assert agent_sends[0].channel.customer_phone == PHONE

    detail = api.call("GET", f"/api/v1/tickets/{ticket}", token).json()
    assert [t["author"] for t in detail["transcript"]][-2:] == ["customer", "agent"]
    assert detail["waiting_seconds"] is None and detail["answers"] == 1

    closed = api.call("POST", f"/api/v1/tickets/{ticket}/close", token,
                      json={"resolution": "Pedido reenviado"})
    assert closed.json() == {"ticket_id": ticket, "closed": True}
    assert api.call("POST", f"/api/v1/tickets/{ticket}/close", token,
                    json={"resolution": "x"}).json()["closed"] is False
    late = api.call("POST", f"/api/v1/tickets/{ticket}/replies", token, json={"text": "x"})
    assert late.status_code == 409
    assert api.call("GET", "/api/v1/tickets", token, params={"status": "open"}).json() == []
    [done] = api.call("GET", "/api/v1/tickets", token, params={"status": "closed"}).json()
    assert done["resolution"] == "Pedido reenviado"

    metrics = api.call("GET", "/api/v1/metrics", ADMIN).json()
    assert metrics["escalated"] == 1 and metrics["tickets"]["closed"] == 1
    [conv] = api.call("GET", "/api/v1/conversations", ADMIN,
                      params={"phone": "+34 600 000 001"}).json()
    assert conv["agent_answers"] == 1 and conv["open_ticket_id"] is None
    me = api.call("GET", "/api/v1/me", token).json()
    assert me["agent"]["agent_id"] == agent_id and me["agent"]["open_tickets"] == 0


def test_admin_registers_agents_and_customers(api: Api) -> None:
    created = api.call("POST", "/api/v1/agents", ADMIN,
                       json={"name": "Zoe", "email": "zoe@example.com", "languages": ["en"],
                             "max_tickets": 2})
    assert created.status_code == 201
    token = created.json()["token"]
    assert api.call("GET", "/api/v1/me", token).json()["agent"]["name"] == "Zoe"
    dup = api.call("POST", "/api/v1/agents", ADMIN, json={"name": "Z", "email": "zoe@example.com"})
    assert dup.status_code == 409
    assert api.call("PUT", "/api/v1/agents/me/status", token,
                    json={"status": "online"}).status_code == 200
    [agent] = api.call("GET", "/api/v1/agents", ADMIN).json()
    assert agent["online"] is True

    put = api.call("PUT", "/api/v1/customers/+34600000009", ADMIN,
                   json={"customer_id": "c9", "name": "Nueve", "language": "es"})
    assert put.status_code == 200 and put.json()["phone"] == "34600000009"
    found = api.directory.find_by_phone("34600000009")
    assert found is not None and found.name == "Nueve"


def test_gets_read_projections_not_aggregates(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    _, token = api.agent("marta")
    ticket = api.escalate()
    api.projections.catch_up()
    loaded: list[Any] = []
    for app in (api.container.services.desk, api.container.services.store):
        original = app.repository.get

        def get(aggregate_id: Any, *args: Any, _original: Any = original, **kw: Any) -> Any:
            loaded.append(aggregate_id)
            return _original(aggregate_id, *args, **kw)

        monkeypatch.setattr(app.repository, "get", get)
    for path in ("/api/v1/me", "/api/v1/tickets", f"/api/v1/tickets/{ticket}"):
        assert api.client.get(path, headers={"Authorization": f"Bearer {token}"}).is_success
    assert loaded and set(loaded) == {ROSTER_ID}  # authentication only
