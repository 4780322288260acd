"""What the console reads through the API: views and counts, search, the ticket detail
(labelled transcript, delivery, hand-over, customer panel), readable errors."""

from __future__ import annotations

import pytest

from helpline.catalog import CustomerInfo

from .conftest import ADMIN, PHONE, Api

pytestmark = pytest.mark.integration


def test_views_counts_and_the_queue_nobody_was_online_for(api: Api) -> None:
    _, marta = api.agent("marta", online=False)
    queued = api.escalate()
    for token in (marta, ADMIN):
        counts = api.call("GET", "/api/v1/tickets/counts", token).json()
        assert counts == {"mine": 0, "queue": 1, "open": 1, "closed": 0}
        [item] = api.call("GET", "/api/v1/tickets", token, params={"view": "queue"}).json()
        assert (item["ticket_id"], item["status"], item["agent_name"]) == (queued, "queued",
                                                                          None)
        assert item["waiting_since"] is not None and item["last_message_preview"]
    assert api.call("GET", "/api/v1/tickets", ADMIN).json()[0]["ticket_id"] == queued
    assert api.call("GET", "/api/v1/tickets", marta).json() == []  # mine, by default
    detail = api.call("GET", f"/api/v1/tickets/{queued}", marta)
    assert detail.status_code == 200  # an agent may read a queued ticket before taking it


def test_ticket_detail_for_the_console(api: Api) -> None:
    api.directory.upsert(CustomerInfo(customer_id="c1", name="Lucía Pérez", phone=PHONE,
                                      email="lucia@example.com", language="es"))
    agent_id, token = api.agent("marta")
    first = api.escalate()
    api.call("POST", f"/api/v1/tickets/{first}/replies", token, json={"text": "Lo miro"})
    api.call("POST", f"/api/v1/tickets/{first}/close", token, json={"resolution": "Resuelto"})
    second = api.escalate()
    [item] = api.call("GET", "/api/v1/tickets", token, params={"view": "mine"}).json()
    assert (item["ticket_id"], item["status"], item["agent_id"], item["agent_name"]) == (
        second, "assigned", agent_id, "marta")

    body = api.call("GET", f"/api/v1/tickets/{second}", token).json()
    lines = body["transcript"]
    assert len({x["id"] for x in lines}) == len(lines)
    [reply] = [x for x in lines if x["author"] == "agent"]
    assert (reply["author_name"], reply["ticket_id"], reply["delivery"]) == (
        "marta", first, "sent")
    starts = [x["ticket_id"] for x in lines if x["kind"] == "ticket_opened"]
    assert starts == [first, second]
    kinds = [x["kind"] for x in lines if x["ticket_id"] == second]
    assert kinds.index("ticket_opened") < kinds.index("agent_assigned")
    assert all(x["at"].endswith("Z") or "+00:00" in x["at"] for x in lines)
    assert body["customer"] == {
        "name": "Lucía Pérez", "phone": PHONE, "email": "lucia@example.com", "language": "es",
        "profile_name": "Cliente", "earlier_tickets": [
            {"ticket_id": first, "opened_at": body["customer"]["earlier_tickets"][0][
                "opened_at"], "closed_at": body["customer"]["earlier_tickets"][0][
                "closed_at"], "resolution": "Resuelto"}]}
    assert body["handoff"] is not None and "threshold" not in body["handoff"]["reason"]
    assert body["handoff"]["reason"].endswith(".")


def test_search_through_the_api(api: Api) -> None:
    _, marta = api.agent("marta")
    ticket = api.escalate()
    api.say(PHONE, "es por el pedido 98765")
    found = api.call("GET", "/api/v1/tickets", marta, params={"view": "open", "q": "98765"})
    assert [t["ticket_id"] for t in found.json()] == [ticket]
    assert api.call("GET", "/api/v1/tickets", marta,
                    params={"view": "open", "q": "600 000 001"}).json()[0]["ticket_id"] == ticket
    _, pablo = api.agent("pablo")
    assert api.call("GET", "/api/v1/tickets", pablo, params={"view": "open", "q": "98765"}
                    ).json() == []
    short = api.call("GET", "/api/v1/tickets", marta, params={"q": "98"})
    assert short.status_code == 422
    assert short.json() == {"detail": "Type at least 3 characters to search."}
    long = api.call("GET", "/api/v1/tickets", marta, params={"q": "x" * 5000})
    assert long.status_code == 422 and "x" * 50 not in long.text
