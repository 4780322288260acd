"""The Ticket aggregate and the DeskConversation index (at most one open ticket)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from helpline.domain import DeskConversation, DomainError, Ticket, TicketNotOpenError
from helpline.domain.ids import derived_id, desk_conversation_id

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
TID = str(derived_id("conv", "ticket", 1))


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def new_ticket() -> Ticket:
    return Ticket.open(ticket_id=TID, conversation_id="conv", phone="34600123456", customer=None,
                       reason="asked", language="es", at=T0, cause_id="cmd-1")


def test_opened_with_the_commands_id_and_queued() -> None:
    ticket = new_ticket()
    assert ticket.id == UUID(TID)
    assert ticket.status == "queued" and ticket.is_open and ticket.agent_id is None
    (opened,) = ticket.collect_events()
    assert isinstance(opened, Ticket.Opened) and opened.cause_id == "cmd-1"


def test_assign_and_reassign() -> None:
    ticket = new_ticket()
    ticket.collect_events()
    assert ticket.assign(agent_id="A", agent_name="Ana", at=at(1))
    assert ticket.assign(agent_id="A", agent_name="Ana", at=at(2)) is False
    assert ticket.assign(agent_id="B", agent_name="Bea", at=at(3))
    first, second = ticket.collect_events()
    assert isinstance(first, Ticket.AgentAssigned) and isinstance(second, Ticket.AgentAssigned)
    assert first.previous_agent_id is None and second.previous_agent_id == "A"
    assert second.conversation_id == "conv"
    assert ticket.agent_id == "B" and ticket.status == "assigned"
    assert ticket.assigned_at == at(1).isoformat()  # the first assignment counts


def test_forward_customer_message_once() -> None:
    ticket = new_ticket()
    assert ticket.forward_customer_message(in_reply_to="w1", text="hola", at=at(1))
    assert ticket.forward_customer_message(in_reply_to="w1", text="hola", at=at(1)) is False
    assert ticket.forwarded == [{"in_reply_to": "w1", "text": "hola", "at": at(1).isoformat()}]


def test_sync_conversation_keeps_only_newer_documents() -> None:
    ticket = new_ticket()
    turns = [{"author": "customer", "text": "hola"}]
    assert ticket.sync_conversation(version=3, turns=turns, at=at(1))
    assert ticket.sync_conversation(version=3, turns=[], at=at(2)) is False
    assert ticket.sync_conversation(version=2, turns=[], at=at(2)) is False
    assert ticket.document_version == 3 and ticket.document_turns == turns


def test_answer_rules() -> None:
    ticket = new_ticket()
    with pytest.raises(DomainError):
        ticket.answer(answer_id="g1", agent_id="A", text="hola", at=at(1))  # nobody holds it
    ticket.assign(agent_id="A", agent_name="Ana", at=at(1))
    with pytest.raises(DomainError):
        ticket.answer(answer_id="g1", agent_id="B", text="hola", at=at(2))
    ticket.collect_events()
    assert ticket.answer(answer_id="g1", agent_id="A", text="hola", at=at(2))
    assert ticket.answer(answer_id="g1", agent_id="A", text="hola", at=at(3)) is False
    (answered,) = ticket.collect_events()
    assert isinstance(answered, Ticket.AgentAnswered)
    assert answered.agent_name == "Ana" and answered.conversation_id == "conv"
    assert ticket.first_answer_at == at(2).isoformat()


def test_close_is_idempotent_and_final() -> None:
    ticket = new_ticket()
    ticket.assign(agent_id="A", agent_name="Ana", at=at(1))
    ticket.answer(answer_id="g1", agent_id="A", text="hola", at=at(2))
    assert ticket.close(resolution="hecho", agent_id="A", at=at(3))
    assert ticket.close(resolution="hecho", agent_id="A", at=at(4)) is False
    assert not ticket.is_open and ticket.resolution == "hecho"
    assert ticket.closed_at == at(3).isoformat()
    with pytest.raises(TicketNotOpenError):
        ticket.assign(agent_id="B", agent_name="Bea", at=at(5))
    with pytest.raises(TicketNotOpenError):
        ticket.answer(answer_id="g2", agent_id="A", text="más", at=at(5))
    # A retried answer that was recorded before the close is still harmless.
    assert ticket.answer(answer_id="g1", agent_id="A", text="hola", at=at(5)) is False


def test_desk_conversation_links_one_open_ticket() -> None:
    index = DeskConversation.start(conversation_id="conv", at=T0)
    assert index.id == desk_conversation_id("conv")
    assert index.link(ticket_id="t1", at=at(1))
    assert index.link(ticket_id="t2", at=at(2)) is False
    assert index.link(ticket_id="t1", at=at(2)) is False
    assert index.open_ticket_id == "t1"
    assert index.unlink(ticket_id="t2", at=at(3)) is False
    assert index.unlink(ticket_id="t1", at=at(3))
    assert index.unlink(ticket_id="t1", at=at(3)) is False
    assert index.open_ticket_id is None
    assert index.link(ticket_id="t2", at=at(4))
    assert index.ticket_ids == ["t1", "t2"]
