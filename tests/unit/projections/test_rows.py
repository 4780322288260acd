"""The views' rows from the database: epoch seconds become aware datetimes, and a ticket or
agent row (a pydantic model the agent API extends) refuses a column it does not know or of
the wrong type, as the dataclass rows refused an unknown one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from helpline.projections.rows import AgentRow, ConversationRow, Row, TicketRow
from helpline.projections.transcript import Line

pytestmark = pytest.mark.unit

#: 2024-05-01T10:00:00Z in epoch seconds, as the projection tables store times.
EPOCH = 1_714_557_600.0
AT = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def ticket_columns(**changes: Any) -> Row:
    """A ticket as ``TICKETS_FROM`` selects it (without the two columns older rows lack)."""
    return {
        "ticket_id": "t1", "conversation_id": "c1", "phone": "34600000001",
        "customer_id": None, "customer_name": None, "language": "es",
        "reason": "customer asked for a person", "status": "open", "agent_id": "ana",
        "agent_name": "Ana", "opened_at": EPOCH, "assigned_at": EPOCH + 60,
        "first_answer_at": None, "last_answer_at": None, "closed_at": None,
        "resolution": None, "answers": 0, "last_customer_text": "hola",
        "last_customer_at": EPOCH, "waiting_from": EPOCH, "last_message_text": None,
        "last_message_at": None, "last_message_author": None, **changes}


def test_a_ticket_row_turns_epoch_seconds_into_aware_datetimes() -> None:
    row = TicketRow.from_row(ticket_columns())
    assert (row.opened_at, row.waiting_from) == (AT, AT)
    assert row.assigned_at == datetime(2024, 5, 1, 10, 1, tzinfo=UTC)
    assert (row.first_answer_at, row.closed_at, row.last_message_at) == (None, None, None)
    assert (row.status, row.answers, row.last_customer_text) == ("open", 0, "hola")


def test_a_ticket_row_without_profile_name_or_priority_takes_their_defaults() -> None:
    row = TicketRow.from_row(ticket_columns())
    assert (row.profile_name, row.priority) == (None, "normal")
    assert TicketRow.from_row(ticket_columns(priority="urgent")).priority == "urgent"


def test_a_column_the_ticket_row_does_not_know_is_refused() -> None:
    with pytest.raises(ValidationError, match="updated_at"):
        TicketRow.from_row(ticket_columns(updated_at=EPOCH))


def test_a_ticket_column_missing_or_of_the_wrong_type_is_refused() -> None:
    columns = ticket_columns(answers="several")
    del columns["phone"]
    with pytest.raises(ValidationError, match=r"(?s)phone.*answers|answers.*phone"):
        TicketRow.from_row(columns)


def test_rows_are_immutable() -> None:
    row = TicketRow.from_row(ticket_columns())
    for name in ("status", "opened_at"):
        with pytest.raises(ValidationError, match="frozen"):
            setattr(row, name, None)


def test_a_conversation_row_still_turns_epoch_seconds_into_datetimes() -> None:
    row = ConversationRow.from_row({
        "conversation_id": "c1", "phone": "34600000001", "customer_id": None,
        "customer_name": None, "started_at": EPOCH, "last_customer_at": None,
        "customer_messages": 1, "ai_answers": 1, "agent_answers": 0, "tickets_requested": 0,
        "open_ticket_id": None})
    assert (row.started_at, row.last_customer_at) == (AT, None)


def test_an_agent_row_is_checked_when_built() -> None:
    agent = AgentRow(agent_id="ana", name="Ana", email="ana@example.com", languages=("es",),
                     max_tickets=5, online=True)
    assert agent.languages == ("es",)
    with pytest.raises(ValidationError, match="max_tickets"):
        AgentRow.model_validate({**dict(agent), "max_tickets": "five"})


def test_a_transcript_line_is_checked_when_built() -> None:
    line = Line(id="c1", author="customer", author_name=None, text="hola",
                at="2024-05-01T10:00:00+00:00", ticket_id=None, kind="message", delivery=None,
                failure_reason=None, seq=1, message_id="wamid.1")
    assert (line.at, line.seq) == ("2024-05-01T10:00:00+00:00", 1)
    with pytest.raises(ValidationError, match="seq"):
        Line.model_validate({**dict(line), "seq": "first"})
