"""The agent API's ticket, agent and transcript models extend the projection's declarations
(``TicketFacts``, ``AgentRow``, ``LineFacts``): they publish those fields as declared there,
narrow or compute what they show otherwise, and never a row's internal fields.
``tests/integration/agent_api/test_openapi_schema.py`` pins the published schema."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from helpline.adapters.http.api.models import AgentOut, TicketOut, TurnOut
from helpline.projections.rows import AgentRow, TicketFacts, TicketRow
from helpline.projections.transcript import Line, LineFacts

from .projections.test_rows import AT, EPOCH, ticket_columns

pytestmark = pytest.mark.unit

#: What a ticket row keeps for the views only, or as the views store it.
TICKET_ROW_OWN = {"status", "priority", "last_answer_at", "waiting_from",
                  "last_message_text", "last_message_author"}
#: What TicketOut shows narrowed or computed.
TICKET_OUT_OWN = {"status", "priority", "waiting_since", "waiting_seconds",
                  "last_message_preview"}


def test_ticket_row_and_ticket_out_extend_the_same_facts_with_their_own_fields() -> None:
    assert set(TicketRow.model_fields) == set(TicketFacts.model_fields) | TICKET_ROW_OWN
    assert set(TicketOut.model_fields) == set(TicketFacts.model_fields) | TICKET_OUT_OWN
    for name, declared in TicketFacts.model_fields.items():
        published = TicketOut.model_fields[name]
        assert (published.annotation, published.default) == (declared.annotation,
                                                               declared.default), name


def test_a_ticket_out_of_a_row_says_status_and_reason_as_the_console_does() -> None:
    row = TicketRow.from_row(ticket_columns())
    out = TicketOut.of(row, AT + timedelta(seconds=90))
    assert (out.status, out.priority) == ("assigned", "normal")
    assert out.reason == "The customer asked for a person."
    assert (out.waiting_since, out.waiting_seconds) == (AT, 90.0)
    # No message on the ticket yet: the customer's last one stands in.
    assert (out.last_message_at, out.last_message_preview) == (AT, "hola")
    assert (out.ticket_id, out.opened_at, out.answers) == (row.ticket_id, row.opened_at, 0)
    assert not set(out.model_dump()) & (TICKET_ROW_OWN - TICKET_OUT_OWN)


def test_a_closed_ticket_keeps_nobody_waiting() -> None:
    row = TicketRow.from_row(ticket_columns(status="closed", closed_at=EPOCH + 600,
                                            last_message_text="Gracias",
                                            last_message_at=EPOCH + 500))
    out = TicketOut.of(row, AT + timedelta(hours=1))
    assert (out.status, out.waiting_since, out.waiting_seconds) == ("closed", None, None)
    assert (out.last_message_preview, out.closed_at) == ("Gracias", AT + timedelta(minutes=10))


def test_a_priority_the_api_does_not_name_is_refused() -> None:
    row = TicketRow.from_row(ticket_columns(priority="whenever"))
    with pytest.raises(ValidationError, match="priority"):
        TicketOut.of(row, AT)


def test_an_agent_out_is_an_agent_row_with_its_load() -> None:
    row = AgentRow(agent_id="ana", name="Ana", email="ana@example.com", languages=("es", "en"),
                   max_tickets=5, online=True)
    out = AgentOut(**dict(row), open_tickets=2)
    assert out.model_dump(mode="json") == {
        "agent_id": "ana", "name": "Ana", "email": "ana@example.com",
        "languages": ["es", "en"], "max_tickets": 5, "online": True, "open_tickets": 2}


def line(**changes: object) -> Line:
    return Line.model_validate({
        "id": "c1", "author": "agent", "author_name": "Ana", "text": "Hola",
        "at": "2024-05-01T10:00:00+00:00", "ticket_id": "t1", "kind": "message",
        "delivery": "read", "failure_reason": None, "seq": 3, "message_id": None, **changes})


def test_a_turn_out_narrows_a_transcript_line() -> None:
    turn = TurnOut.of(line())
    assert (turn.at, turn.author, turn.kind, turn.delivery) == (AT, "agent", "message", "read")
    assert (turn.id, turn.text, turn.seq, turn.media) == ("c1", "Hola", 3, None)
    assert set(TurnOut.model_fields) == set(Line.model_fields) | {"media"}
    assert set(LineFacts.model_fields) < set(TurnOut.model_fields)


@pytest.mark.parametrize("changes", [{"kind": "gossip"}, {"author": "robot"},
                                     {"delivery": "lost"}, {"at": "yesterday"}])
def test_a_line_the_api_cannot_name_is_refused(changes: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match=next(iter(changes))):
        TurnOut.of(line(**changes))

