"""The agent actions in the domain: internal notes, reopening, who may act on a ticket,
transfers that record who made them, and the conversation's side of a reopening."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from helpline.domain import (
    Conversation,
    DeskConversation,
    DomainError,
    Ticket,
    TicketNotOpenError,
)
from helpline.domain.ids import derived_id

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
TID = str(derived_id("conv", "ticket", 1))
PHONE = "34600123456"
CH = {"kind": "whatsapp", "phone_number_id": "1065", "customer_phone": PHONE}


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def held_ticket() -> Ticket:
    ticket = Ticket.open(ticket_id=TID, conversation_id="conv", phone=PHONE, customer=None,
                         reason="asked", language="es", at=T0)
    ticket.assign(agent_id="A", agent_name="Ana", at=at(1))
    ticket.collect_events()
    return ticket


def test_a_priority_change_is_recorded_once_on_an_open_ticket_only() -> None:
    ticket = held_ticket()
    assert ticket.priority == "normal"
    assert ticket.set_priority(priority="high", by="agent:A", by_name="Ana", at=at(2))
    assert ticket.set_priority(priority="high", by="admin", by_name="Admin", at=at(3)) is False
    (change,) = ticket.collect_events()
    assert isinstance(change, Ticket.PriorityChanged)
    assert (change.priority, change.previous_priority, change.by, change.by_name) == (
        "high", "normal", "agent:A", "Ana")
    assert ticket.priority == "high"
    with pytest.raises(DomainError, match="priority is one of"):
        ticket.set_priority(priority="whenever", by="admin", by_name="Admin", at=at(4))
    ticket.close(resolution="hecho", agent_id="A", at=at(5))
    with pytest.raises(TicketNotOpenError):
        ticket.set_priority(priority="low", by="admin", by_name="Admin", at=at(6))


def test_a_note_is_stored_once_trimmed_and_refused_when_empty_or_too_long() -> None:
    ticket = held_ticket()
    assert ticket.add_note(note_id="n1", author_id="A", author_name="Ana",
                           text="  llamar mañana  ", at=at(2))
    assert ticket.add_note(note_id="n1", author_id="A", author_name="Ana", text="otra",
                           at=at(3)) is False
    (note,) = ticket.collect_events()
    assert isinstance(note, Ticket.NoteAdded)
    assert (note.text, note.author_id, note.author_name) == ("llamar mañana", "A", "Ana")
    with pytest.raises(DomainError, match="needs some text"):
        ticket.add_note(note_id="n2", author_id="A", author_name="Ana", text="   ", at=at(4))
    with pytest.raises(DomainError, match="at most 4096"):
        ticket.add_note(note_id="n3", author_id=None, author_name="Admin", text="x" * 4097,
                        at=at(4))
    assert ticket.collect_events() == []


def test_notes_can_be_added_to_a_closed_ticket() -> None:
    ticket = held_ticket()
    ticket.close(resolution="hecho", agent_id="A", at=at(2))
    assert ticket.add_note(note_id="n1", author_id=None, author_name="Admin", text="revisado",
                           at=at(3))


def test_who_may_act_the_holder_the_queue_and_the_admin() -> None:
    queued = Ticket.open(ticket_id=TID, conversation_id="conv", phone=PHONE, customer=None,
                         reason="asked", language="es", at=T0)
    assert queued.is_for("B") and queued.is_for(None)
    held = held_ticket()
    assert held.is_for("A") and held.is_for(None) and not held.is_for("B")
    held.close(resolution="hecho", agent_id="A", at=at(2))
    assert held.is_for("A") and not held.is_for("B")
    queued.close(resolution="spam", agent_id=None, at=at(2))
    assert not queued.is_for("B") and queued.is_for(None)


def test_reopen_gives_the_ticket_back_to_an_agent_or_the_queue() -> None:
    ticket = held_ticket()
    assert ticket.reopen(agent_id="A", agent_name="Ana", by="agent:A", at=at(2)) is False
    ticket.close(resolution="hecho", agent_id="A", at=at(3))
    assert ticket.reopen(agent_id="A", agent_name="Ana", by="agent:A", at=at(4))
    assert (ticket.status, ticket.agent_id, ticket.resolution, ticket.closed_at) == (
        "assigned", "A", None, None)
    ticket.close(resolution="otra vez", agent_id="A", at=at(5))
    assert ticket.reopen(agent_id=None, agent_name=None, by="admin", at=at(6))
    assert (ticket.status, ticket.agent_id, ticket.reopenings) == ("queued", None, 2)
    reopened = [e for e in ticket.collect_events() if isinstance(e, Ticket.Reopened)]
    assert [(e.agent_id, e.by) for e in reopened] == [("A", "agent:A"), (None, "admin")]
    ticket.close(resolution="x", agent_id=None, at=at(7))
    with pytest.raises(ValueError, match="both"):
        ticket.reopen(agent_id="A", agent_name=None, by=None, at=at(8))


def test_a_transfer_records_who_made_it_and_old_assignments_read_as_routing() -> None:
    ticket = held_ticket()
    assert ticket.assign(agent_id="B", agent_name="Bea", by="agent:A", at=at(2))
    (moved,) = ticket.collect_events()
    assert isinstance(moved, Ticket.AgentAssigned)
    assert (moved.by, moved.previous_agent_id, moved.agent_id) == ("agent:A", "A", "B")
    state: dict[str, Any] = {"agent_id": "A"}
    Ticket.AgentAssigned.upcast_v1_v2(state)
    assert state == {"agent_id": "A", "by": None}
    assert Ticket.AgentAssigned.class_version == 2


def test_the_desk_index_links_a_reopened_ticket_again_once() -> None:
    index = DeskConversation.start(conversation_id="conv", at=T0)
    index.link(ticket_id=TID, at=at(1))
    index.unlink(ticket_id=TID, at=at(2))
    assert index.link(ticket_id=TID, at=at(3))
    assert index.open_ticket_id == TID and index.ticket_ids == [TID]
    assert index.link(ticket_id="other", at=at(4)) is False


def conversation_with_closed_ticket() -> tuple[Conversation, str]:
    conv = Conversation.start(phone=PHONE, channel=CH, customer=None, at=T0)
    conv.receive_customer_message(wamid="w1", text="una persona", message_type="text",
                                  sent_at=at(1), channel=CH, customer=None, at=at(1))
    conv.receive_ai_answer(answer_id="a1", in_reply_to="w1", text="Te paso", open_ticket=True,
                           reason="asked", confidence=1.0, sources=[], at=at(2))
    assert conv.ticket is not None
    tid = str(conv.ticket["ticket_id"])
    conv.close_ticket(ticket_id=tid, resolution="hecho", agent_id="A", at=at(3))
    conv.collect_events()
    return conv, tid


def test_a_reopened_ticket_takes_the_customers_messages_again() -> None:
    conv, tid = conversation_with_closed_ticket()
    assert conv.reopen_ticket(ticket_id=tid, agent_id="A", agent_name="Ana", at=at(4))
    assert conv.reopen_ticket(ticket_id=tid, agent_id="A", agent_name="Ana", at=at(4)) is False
    assert conv.ticket is not None and conv.ticket["agent_name"] == "Ana"
    assert conv.recent_turns[-1]["text"] == "Ticket reopened for Ana"
    conv.collect_events()
    conv.receive_customer_message(wamid="w2", text="sigue sin llegar", message_type="text",
                                  sent_at=at(5), channel=CH, customer=None, at=at(5))
    kinds = [type(e).__name__ for e in conv.collect_events()]
    assert kinds == ["CustomerMessageReceived", "AgentAnswerRequested"]
    # ... and it can be closed again: the AI answers after that.
    assert conv.close_ticket(ticket_id=tid, resolution="por fin", agent_id="A", at=at(6))
    assert not conv.has_open_ticket


def test_a_reopening_replaces_a_ticket_only_requested() -> None:
    conv, tid = conversation_with_closed_ticket()
    conv.receive_customer_message(wamid="w2", text="una persona otra vez", message_type="text",
                                  sent_at=at(4), channel=CH, customer=None, at=at(4))
    conv.receive_ai_answer(answer_id="a2", in_reply_to="w2", text="Te paso", open_ticket=True,
                           reason="asked", confidence=1.0, sources=[], at=at(5))
    assert conv.ticket is not None and conv.ticket["ticket_id"] != tid
    assert conv.reopen_ticket(ticket_id=tid, agent_id=None, agent_name=None, at=at(6))
    assert conv.ticket["ticket_id"] == tid and conv.ticket["status"] == "open"
    assert conv.recent_turns[-1]["text"] == "Ticket reopened"


def test_the_domain_and_the_catalog_know_the_same_priorities() -> None:
    """``Ticket.set_priority`` checks ``PRIORITIES``; the message's field is a ``Literal``
    (for its schema): the two must not drift apart."""
    from typing import get_args

    from helpline.catalog import Priority
    from helpline.domain.ticket import PRIORITIES
    assert get_args(Priority) == PRIORITIES
