"""The agent actions over the real HTTP app (``create_app``: readable 422s, body limit):
notes, transfer, reopen, priority, reply previews and long replies, canned replies, the AI's
suggestion and the audit timeline, with their authorisation rules."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from helpline.adapters.http.api import create_agent_api_router
from helpline.adapters.http.app import create_app
from helpline.adapters.nats.consumer import Metrics
from helpline.application.customer_gateway import InMemoryCustomerDirectory
from helpline.application.reply_text import split_text
from helpline.application.whatsapp_edge import RecordingSender
from helpline.bootstrap import Persistence, bootstrap
from helpline.catalog import TicketOpened
from helpline.config import Settings
from helpline.projections import build_projections

from .conftest import ADMIN, PHONE, Api

pytestmark = pytest.mark.integration


@pytest.fixture
def app_api(tmp_path: Path) -> Iterator[Api]:
    """The conftest's ``Api``, served by the process's real app with the conversations'
    store and the answerer, as ``helpline up`` wires them."""
    sender, directory = RecordingSender(), InMemoryCustomerDirectory()
    container = bootstrap(Settings(helpline_data_dir=tmp_path), sender=sender,
                          directory=directory)
    view = Persistence(Settings(helpline_data_dir=tmp_path)).view()
    projections = build_projections(view, desk=container.services.desk,
                                    store=container.services.store)
    holder: list[Api] = []
    router = create_agent_api_router(
        container.services.desk, view, directory, ADMIN, publish=lambda m: holder[0].publish(m),
        store=container.services.store, answerer=container.services.rag.answerer)
    app = create_app(health_checks={}, metrics=Metrics(), routers=[router])
    with TestClient(app, raise_server_exceptions=False) as client:
        api = Api(client, container, container.runner(), sender, view, projections, directory,
                  threading.Lock())
        holder.append(api)
        yield api
    projections.close()
    container.close()


def url(ticket: str, action: str) -> str:
    return f"/api/v1/tickets/{ticket}/{action}"


T = "{ticket}"
A = "{agent}"
# (method, path, body) -> status for: no token, another agent, the ticket's agent, admin.
MATRIX: list[tuple[str, str, object, tuple[int, int, int, int]]] = [
    ("POST", url(T, "notes"), {"text": "nota"}, (401, 403, 201, 201)),
    ("POST", url(T, "replies/preview"), {"text": "hola"}, (401, 403, 200, 200)),
    ("GET", url(T, "suggestion"), None, (401, 403, 200, 200)),
    ("GET", url(T, "timeline"), None, (401, 403, 200, 200)),
    ("POST", url(T, "transfer"), {"agent_id": A}, (401, 403, 200, 200)),
    ("POST", url(T, "reopen"), None, (401, 403, 200, 200)),
    ("POST", url(T, "priority"), {"priority": "high"}, (401, 403, 200, 200)),
    ("GET", "/api/v1/canned-replies", None, (401, 200, 200, 200)),
    ("PUT", "/api/v1/canned-replies/saludo", {"title": "Saludo", "text": "Hola"},
     (401, 403, 403, 200)),
    ("DELETE", "/api/v1/canned-replies/nada", None, (401, 403, 403, 404)),
]
CALLERS = ("none", "other", "own", "admin")


@pytest.mark.parametrize("caller", range(4), ids=CALLERS)
@pytest.mark.parametrize(("method", "path", "body", "expected"), MATRIX,
                         ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_matrix(app_api: Api, caller: int, method: str, path: str, body: object,
                expected: tuple[int, int, int, int]) -> None:
    _, own = app_api.agent("marta")
    ticket = app_api.escalate()
    other_id, other = app_api.agent("pablo")
    body = {"agent_id": other_id} if isinstance(body, dict) and "agent_id" in body else body
    token = (None, other, own, ADMIN)[caller]
    response = app_api.call(method, path.replace(T, ticket), token, json=body)
    assert response.status_code == expected[caller], response.text


@pytest.mark.parametrize("action", ["notes", "transfer", "reopen", "priority",
                                    "replies/preview", "suggestion", "timeline"])
def test_unknown_and_foreign_tickets_look_the_same(app_api: Api, action: str) -> None:
    app_api.agent("marta")
    ticket = app_api.escalate()
    other_id, other = app_api.agent("pablo")
    method = "GET" if action in ("suggestion", "timeline") else "POST"
    body = {"text": "x", "agent_id": other_id, "priority": "high"}
    foreign = app_api.call(method, url(ticket, action), other, json=body)
    unknown = app_api.call(method, url(str(uuid4()), action), other, json=body)
    assert foreign.status_code == unknown.status_code == 403
    assert foreign.json() == unknown.json() == {"detail": "not a ticket of yours"}
    admin = app_api.call(method, url(str(uuid4()), action), ADMIN, json=body)
    assert (admin.status_code, admin.json()) == (404, {"detail": "no such ticket"})


def test_a_note_is_stored_and_never_sent(app_api: Api) -> None:
    _, token = app_api.agent("marta")
    ticket = app_api.escalate()
    sent = len(app_api.sender.sent)
    response = app_api.call("POST", url(ticket, "notes"), token,
                            json={"text": "Llamó ayer también"})
    assert response.status_code == 201
    assert set(response.json()) == {"ticket_id", "note_id"}
    assert app_api.sender.sent[sent:] == []
    assert all("Llamó ayer" not in m.text for m in app_api.sender.sent)
    [entry] = [e for e in app_api.call("GET", url(ticket, "timeline"), token).json()
               if e["event"] == "Ticket.NoteAdded"]
    assert entry["actor"] == "agent:marta"
    assert entry["action"] == "Added an internal note “Llamó ayer también”."
    detail = app_api.call("GET", f"/api/v1/tickets/{ticket}", token).json()
    [line] = [t for t in detail["transcript"] if t["kind"] == "note"]
    assert (line["author"], line["author_name"], line["text"]) == (
        "note", "marta", "Llamó ayer también")


@pytest.mark.parametrize(("text", "detail"), [
    ("   ", "text: The note is empty; write something."),
    ("n" * 5000, "text: The note is 5,000 characters; it can have at most 4,096."),
])
def test_a_bad_note_gets_one_readable_sentence(app_api: Api, text: str, detail: str) -> None:
    _, token = app_api.agent("marta")
    ticket = app_api.escalate()
    response = app_api.call("POST", url(ticket, "notes"), token, json={"text": text})
    assert response.status_code == 422
    assert response.json()["detail"] == detail
    assert "nnnn" not in response.text


def test_transfer_to_another_agent_and_refusals(app_api: Api) -> None:
    marta_id, marta = app_api.agent("marta")
    ticket = app_api.escalate()
    pablo_id, pablo = app_api.agent("pablo", online=False)
    moved = app_api.call("POST", url(ticket, "transfer"), marta, json={"agent_id": pablo_id})
    assert moved.json() == {"ticket_id": ticket, "agent_id": pablo_id, "transferred": True}
    assert app_api.call("GET", f"/api/v1/tickets/{ticket}", pablo).json()["agent_id"] == pablo_id
    assert app_api.call("GET", f"/api/v1/tickets/{ticket}", marta).status_code == 403
    nobody = app_api.call("POST", url(ticket, "transfer"), ADMIN, json={"agent_id": "agt_x"})
    assert (nobody.status_code, nobody.json()) == (422, {"detail": "There is no agent with "
                                                                   "that id."})
    app_api.call("POST", url(ticket, "close"), pablo, json={"resolution": "ok"})
    closed = app_api.call("POST", url(ticket, "transfer"), ADMIN, json={"agent_id": marta_id})
    assert closed.status_code == 409 and closed.json()["detail"].endswith("is closed.")


def test_a_priority_change_is_a_line_of_the_transcript_and_sends_nothing(
        app_api: Api) -> None:
    _, token = app_api.agent("marta")
    ticket = app_api.escalate()
    sent = len(app_api.sender.sent)
    changed = app_api.call("POST", url(ticket, "priority"), token, json={"priority": "urgent"})
    assert changed.json() == {"ticket_id": ticket, "priority": "urgent", "changed": True}
    again = app_api.call("POST", url(ticket, "priority"), ADMIN, json={"priority": "urgent"})
    assert again.json()["changed"] is False
    assert app_api.sender.sent[sent:] == []
    detail = app_api.call("GET", f"/api/v1/tickets/{ticket}", token).json()
    assert detail["priority"] == "urgent"
    listed = app_api.call("GET", "/api/v1/tickets?view=mine", token).json()
    assert [t["priority"] for t in listed if t["ticket_id"] == ticket] == ["urgent"]
    [line] = [t for t in detail["transcript"] if t["text"].startswith("Priority")]
    assert (line["author"], line["kind"], line["ticket_id"], line["text"]) == (
        "system", "system", ticket, "Priority changed from normal to urgent by marta")
    bad = app_api.call("POST", url(ticket, "priority"), token, json={"priority": "soon"})
    assert bad.status_code == 422
    app_api.call("POST", url(ticket, "close"), token, json={"resolution": "ok"})
    closed = app_api.call("POST", url(ticket, "priority"), ADMIN, json={"priority": "low"})
    assert closed.status_code == 409 and closed.json()["detail"].endswith("is closed.")


def test_reopen_sends_the_customers_next_message_to_the_agent(app_api: Api) -> None:
    marta_id, token = app_api.agent("marta")
    ticket = app_api.escalate()
    app_api.call("POST", url(ticket, "close"), token, json={"resolution": "Resuelto"})
    reopened = app_api.call("POST", url(ticket, "reopen"), token)
    assert reopened.json() == {"ticket_id": ticket, "reopened": True, "agent_id": marta_id}
    again = app_api.call("POST", url(ticket, "reopen"), token)
    assert again.json()["reopened"] is False
    sent = len(app_api.sender.sent)
    app_api.say(PHONE, "sigue sin funcionar")
    assert [c.author for c in app_api.sender.sent[sent:]] == []  # no AI answer
    assert app_api.container.services.desk.ticket(ticket).status == "assigned"
    detail = app_api.call("GET", f"/api/v1/tickets/{ticket}", token).json()
    assert (detail["status"], detail["agent_id"], detail["closed_at"], detail["resolution"]) == (
        "assigned", marta_id, None, None)
    assert "ticket_reopened" in [t["kind"] for t in detail["transcript"]]
    mine = app_api.call("GET", "/api/v1/tickets?view=mine", token).json()
    assert ticket in [t["ticket_id"] for t in mine]
    assert [t["text"] for t in detail["transcript"]][-2:] == [
        "Ticket reopened for marta", "sigue sin funcionar"]
    replied = app_api.call("POST", url(ticket, "replies"), token, json={"text": "Lo reviso"})
    assert replied.status_code == 202
    assert [c.text for c in app_api.sender.sent[sent:]] == ["Lo reviso"]


def test_preview_splits_exactly_as_the_sender_and_long_replies_are_sent_split(
        app_api: Api) -> None:
    _, token = app_api.agent("marta")
    ticket = app_api.escalate()
    text = " ".join(f"palabra{i}" for i in range(700))  # about 6,500 characters
    preview = app_api.call("POST", url(ticket, "replies/preview"), token,
                           json={"text": text}).json()
    assert preview["parts"] == split_text(text) and len(preview["parts"]) == 2
    assert (preview["limit"], preview["accepted"], preview["problem"]) == (4096, True, None)
    assert preview["characters"] == len(text) and preview["max_characters"] == 12288
    sent = len(app_api.sender.sent)
    assert app_api.call("POST", url(ticket, "replies"), token,
                        json={"text": text}).status_code == 202
    [command] = app_api.sender.sent[sent:]
    assert command.text == text and split_text(command.text) == preview["parts"]


def test_a_reply_over_the_limit_gets_a_readable_refusal_without_the_text(
        app_api: Api) -> None:
    _, token = app_api.agent("marta")
    ticket = app_api.escalate()
    text = "z" * 13000
    refused = app_api.call("POST", url(ticket, "replies"), token, json={"text": text})
    assert refused.status_code == 422
    assert refused.json()["detail"] == (
        "text: The reply is 13,000 characters; WhatsApp allows 4,096 per message and the desk "
        "sends at most 3 messages (12,288 characters) for one reply. Shorten it or send it "
        "in several replies.")
    assert "zzzz" not in refused.text
    preview = app_api.call("POST", url(ticket, "replies/preview"), token,
                           json={"text": text}).json()
    assert preview["accepted"] is False and preview["problem"].startswith("The reply is 13,000")
    assert len(preview["parts"]) == 4


def test_canned_replies_admin_writes_agents_read(app_api: Api) -> None:
    _, token = app_api.agent("marta")
    put = app_api.call("PUT", "/api/v1/canned-replies/saludo", ADMIN,
                       json={"title": "Saludo", "text": "Hola {customer_name}, soy {agent_name}"})
    assert put.json() == {"id": "saludo", "title": "Saludo",
                          "text": "Hola {customer_name}, soy {agent_name}"}
    assert app_api.call("GET", "/api/v1/canned-replies", token).json() == [put.json()]
    bad = app_api.call("PUT", "/api/v1/canned-replies/malo", ADMIN,
                       json={"title": "Malo", "text": "Hola {nombre}"})
    assert bad.status_code == 422 and bad.json()["detail"] == (
        "Unknown placeholder {nombre}; use {customer_name}, {agent_name}, {phone}.")
    bad_id = app_api.call("PUT", "/api/v1/canned-replies/Mal%20Id", ADMIN,
                          json={"title": "x", "text": "y"})
    assert bad_id.status_code == 422 and "lower-case" in bad_id.json()["detail"]
    assert app_api.call("DELETE", "/api/v1/canned-replies/saludo", ADMIN).status_code == 204
    assert app_api.call("GET", "/api/v1/canned-replies", token).json() == []


def test_the_suggestion_drafts_a_reply_or_says_why_not(app_api: Api) -> None:
    _, token = app_api.agent("marta")
    ticket = app_api.escalate()
    handed = app_api.call("GET", url(ticket, "suggestion"), token).json()
    assert handed["text"] is None
    assert handed["reason"].startswith("The customer asked for a person")
    sent = len(app_api.sender.sent)
    app_api.say(PHONE, "¿cuál es el horario?")
    draft = app_api.call("GET", url(ticket, "suggestion"), token).json()
    assert draft["text"].startswith("Abrimos de lunes a viernes")
    assert draft["sources"] == ["keyword:horario"] and draft["reason"] is None
    assert 0 < draft["confidence"] <= 1
    assert app_api.sender.sent[sent:] == []


def test_the_timeline_tells_who_did_what_in_order(app_api: Api) -> None:
    _, token = app_api.agent("marta")
    ticket = app_api.escalate()
    app_api.call("POST", url(ticket, "replies"), token, json={"text": "Hola, soy Marta"})
    app_api.call("POST", url(ticket, "close"), ADMIN, json={"resolution": "Hecho"})
    entries = app_api.call("GET", url(ticket, "timeline"), token).json()
    assert [e["at"] for e in entries] == sorted(e["at"] for e in entries)
    assert set(entries[0]) == {"at", "actor", "action", "source", "event", "version"}
    lines = [(e["actor"], e["action"]) for e in entries]
    for line in [("customer", "Wrote “quiero hablar con una persona”."),
                 ("system", "Assigned the ticket to marta."),
                 ("agent:marta", "Replied “Hola, soy Marta”."),
                 ("admin", "Closed the ticket: “Hecho”.")]:
        assert line in lines
    assert lines.index(("agent:marta", "Replied “Hola, soy Marta”.")) < lines.index(
        ("admin", "Closed the ticket: “Hecho”."))
    opened = [e for e in entries if e["event"] == "Ticket.Opened"]
    assert opened[0]["source"] == "agent_desk" and opened[0]["version"] == 1


def test_escalate_helper_sees_one_ticket(app_api: Api) -> None:
    app_api.agent("marta")
    app_api.escalate()
    assert len([m for m in app_api.runner.log if isinstance(m, TicketOpened)]) == 1


def test_agents_see_their_colleagues_to_transfer_to(app_api: Api) -> None:
    marta_id, token = app_api.agent("marta")
    pablo_id, _ = app_api.agent("pablo")
    listed = app_api.call("GET", "/api/v1/agents/colleagues", token)
    assert listed.status_code == 200
    by_id = {a["agent_id"]: a for a in listed.json()}
    assert {marta_id, pablo_id} <= set(by_id)
    assert set(by_id[pablo_id]) == {"agent_id", "name", "languages", "online"}  # no e-mail
    assert by_id[pablo_id]["name"] == "pablo"
    assert app_api.call("GET", "/api/v1/agents/colleagues", None).status_code == 401
    assert app_api.call("GET", "/api/v1/agents", token).status_code == 403  # the full list
