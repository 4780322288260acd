"""The agent API's published response models (``/openapi.json``), pinned field by field: their
names, JSON types, required-ness and descriptions are the contract the console and other
clients are written against, so a change to the rows behind them must not move it unnoticed.
The order of ``properties`` and ``required`` is not part of the contract (JSON objects and
the ``required`` set are unordered), so it is not pinned."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import make_api

pytestmark = pytest.mark.integration

Schema = dict[str, Any]

NULL: Schema = {"type": "null"}
STR: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
TIME: Schema = {"type": "string", "format": "date-time"}
OPT_STR: Schema = {"anyOf": [STR, NULL]}
OPT_TIME: Schema = {"anyOf": [TIME, NULL]}

#: TicketOut's properties (without their titles, which are the field names in words).
TICKET_OUT: dict[str, Schema] = {
    "ticket_id": STR, "conversation_id": STR, "phone": STR, "customer_id": OPT_STR,
    "customer_name": OPT_STR, "language": OPT_STR, "reason": STR,
    "status": {"type": "string", "enum": ["queued", "assigned", "closed"]},
    "agent_id": OPT_STR, "agent_name": OPT_STR, "opened_at": TIME, "assigned_at": OPT_TIME,
    "first_answer_at": OPT_TIME, "closed_at": OPT_TIME, "resolution": OPT_STR,
    "answers": INT, "last_customer_text": OPT_STR, "last_customer_at": OPT_TIME,
    "waiting_since": OPT_TIME, "waiting_seconds": {"anyOf": [{"type": "number"}, NULL]},
    "last_message_at": OPT_TIME, "last_message_preview": OPT_STR, "profile_name": OPT_STR,
    "priority": {"type": "string", "enum": ["low", "normal", "high", "urgent"],
                 "default": "normal"},
}
#: The two fields a client may find missing from an older answer.
TICKET_OPTIONAL = {"profile_name", "priority"}
TICKET_DESCRIPTION = (
    "A ticket as the inbox shows it. ``waiting_since``: the oldest customer message no\n"
    "agent has answered yet (``null``: nobody is waiting), ``waiting_seconds`` how long ago\n"
    "that is; ``last_message_preview``: the ticket's last message on one line, at most 120\n"
    "characters; ``reason``: why it was opened, in plain words.")


@pytest.fixture(scope="module")
def openapi() -> Iterator[Schema]:
    with tempfile.TemporaryDirectory() as tmp:
        for api in make_api(Path(tmp)):
            response = api.client.get("/openapi.json")
            assert response.status_code == 200
            yield response.json()


def titled(properties: dict[str, Schema]) -> dict[str, Schema]:
    """``properties`` with the titles pydantic gives them ("Ticket Id" for ticket_id)."""
    return {name: {**schema, "title": name.replace("_", " ").title()}
            for name, schema in properties.items()}


def model(openapi: Schema, name: str) -> Any:
    return openapi["components"]["schemas"][name]


def answer(openapi: Schema, path: str) -> Any:
    """The schema of a ``GET``'s 200 answer."""
    ok = openapi["paths"][path]["get"]["responses"]["200"]
    return ok["content"]["application/json"]["schema"]


def test_ticket_out_keeps_its_fields_types_and_required_ness(openapi: Schema) -> None:
    schema = model(openapi, "TicketOut")
    assert schema["properties"] == titled(TICKET_OUT)
    assert sorted(schema["required"]) == sorted(set(TICKET_OUT) - TICKET_OPTIONAL)
    assert (schema["type"], schema["title"]) == ("object", "TicketOut")
    assert schema["description"] == TICKET_DESCRIPTION
    assert answer(openapi, "/api/v1/tickets") == {
        "type": "array", "items": {"$ref": "#/components/schemas/TicketOut"},
        "title": "Response List Tickets Api V1 Tickets Get"}


def test_ticket_detail_is_a_ticket_out_with_transcript_hand_over_and_customer(
        openapi: Schema) -> None:
    schema = model(openapi, "TicketDetail")
    ref = "#/components/schemas/"
    assert schema["properties"] == {
        **titled({**TICKET_OUT, "transcript": {"type": "array",
                                               "items": {"$ref": ref + "TurnOut"}}}),
        # A field that is another model is documented by it, without a title of its own.
        "handoff": {"anyOf": [{"$ref": ref + "HandoffOut"}, NULL]},
        "customer": {"$ref": ref + "CustomerPanel"}}
    assert sorted(schema["required"]) == sorted(
        set(TICKET_OUT) - TICKET_OPTIONAL | {"transcript", "handoff", "customer"})
    assert schema["description"] == ("A ticket with its conversation's transcript, the "
                                      "hand-over and the customer.")
    assert answer(openapi, "/api/v1/tickets/{ticket_id}") == {"$ref": ref + "TicketDetail"}


def test_agent_out_keeps_its_fields_types_and_required_ness(openapi: Schema) -> None:
    schema = model(openapi, "AgentOut")
    assert schema["properties"] == titled({
        "agent_id": STR, "name": STR, "email": STR,
        "languages": {"type": "array", "items": STR}, "max_tickets": INT,
        "online": {"type": "boolean"},
        "open_tickets": {"type": "integer", "description": "tickets the agent holds now"}})
    assert sorted(schema["required"]) == sorted(schema["properties"])
    assert schema["description"] == "An agent of the desk."
    assert answer(openapi, "/api/v1/agents")["items"] == {"$ref": "#/components/schemas/AgentOut"}


def test_turn_out_keeps_its_fields_types_and_required_ness(openapi: Schema) -> None:
    schema = model(openapi, "TurnOut")
    kinds = ["message", "ticket_opened", "agent_assigned", "ticket_closed", "ticket_reopened",
             "ticket_transferred", "note", "send_failed", "system"]
    assert schema["properties"] == {
        **titled({
            "id": STR, "seq": INT, "text": STR, "at": TIME, "author_name": OPT_STR,
            "author": {"type": "string", "enum": ["customer", "ai", "agent", "system", "note"]},
            "ticket_id": OPT_STR, "kind": {"type": "string", "enum": kinds},
            "delivery": {"anyOf": [{"type": "string",
                                    "enum": ["sent", "delivered", "read", "failed"]}, NULL]},
            "failure_reason": OPT_STR, "message_id": OPT_STR}),
        "media": {"anyOf": [{"$ref": "#/components/schemas/MediaOut"}, NULL]}}
    assert sorted(schema["required"]) == sorted(set(schema["properties"]) - {"media"})
    assert schema["description"] == (
        "One line of the transcript: ``id`` is stable and unique in the list; ``ticket_id``\n"
        "the ticket the line belongs to (``null``: before any ticket, the AI's part);\n"
        "``delivery`` the WhatsApp status of our own messages (``null`` for the customer's, "
        "and\nwhile not reported yet), ``failure_reason`` why one failed.")
