"""``@emits``: the catalog messages each stored event publishes (declared by the producing
application), with deterministic ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from helpline.application import AgentDesk, ConversationStore
from helpline.application.emit import message_id_for
from helpline.catalog import (
    AgentAnswerGenerated,
    AgentAssigned,
    CatalogMessage,
    GenerateAgentAnswer,
    GenerateAIAgentAnswerWithUserInfo,
    GetConversation,
    OpenTicket,
    SendWhatsAppBusinessTextMessage,
    TicketClosed,
    TicketOpened,
)
from helpline.domain import Conversation, Roster, Ticket
from helpline.domain.ticket import DeskConversation

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
PHONE = "34600123456"
CH = {"kind": "whatsapp", "phone_number_id": "1065", "customer_phone": PHONE}
CUSTOMER = {"customer_id": "cus_1", "name": "Lucía", "phone": PHONE, "email": None,
            "language": "es"}


def messages_for(event: object) -> list[CatalogMessage]:
    """What the event publishes, whichever of the two applications stores it."""
    return [*ConversationStore.messages_for(event), *AgentDesk.messages_for(event)]


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def conversation_events() -> list[Any]:
    conv = Conversation.start(phone=PHONE, channel=CH, customer=CUSTOMER, at=T0)
    conv.receive_customer_message(wamid="w1", text="¿horario?", message_type="text",
                                  sent_at=at(1), channel=CH, customer=CUSTOMER, at=at(1),
                                  cause_id="in-1")
    conv.receive_ai_answer(answer_id="a1", in_reply_to="w1", text="persona", open_ticket=True,
                           reason="asked", confidence=1.0, sources=[], at=at(2))
    assert conv.ticket is not None
    tid = conv.ticket["ticket_id"]
    conv.receive_customer_message(wamid="w2", text="pedido", message_type="text", sent_at=at(3),
                                  channel=CH, customer=CUSTOMER, at=at(3), cause_id="in-2")
    conv.log_ticket_opened(ticket_id=tid, at=at(4))
    conv.receive_agent_answer(answer_id="g1", ticket_id=tid, agent_id="A", agent_name="Ana",
                              text="hola", at=at(5))
    conv.close_ticket(ticket_id=tid, resolution="ok", agent_id="A", at=at(6))
    return list(conv.collect_events())


def ticket_events() -> list[Any]:
    ticket = Ticket.open(ticket_id="9e8d7c6b-5a49-5382-a1b0-c9d8e7f6a510", conversation_id="conv",
                         phone=PHONE, customer=CUSTOMER, reason="asked", language="es", at=T0,
                         cause_id="open-1")
    ticket.assign(agent_id="A", agent_name="Ana", at=at(1))
    ticket.forward_customer_message(in_reply_to="w2", text="pedido", at=at(2))
    ticket.answer(answer_id="g1", agent_id="A", text="hola", at=at(3))
    ticket.close(resolution="ok", agent_id="A", at=at(4))
    return list(ticket.collect_events())


def emitted(events: list[Any]) -> list[tuple[str, type[Any]]]:
    return [(type(e).__name__, type(m)) for e in events for m in messages_for(e)]


def test_conversation_events_publish_their_commands() -> None:
    assert emitted(conversation_events()) == [
        ("AIAnswerRequested", GenerateAIAgentAnswerWithUserInfo),
        ("ReplyDispatched", SendWhatsAppBusinessTextMessage),
        ("TicketRequested", OpenTicket),
        ("AgentAnswerRequested", GenerateAgentAnswer),
        ("ReplyDispatched", SendWhatsAppBusinessTextMessage),
    ]


def test_ticket_events_publish_their_events() -> None:
    assert emitted(ticket_events()) == [
        ("Opened", TicketOpened),
        ("AgentAssigned", AgentAssigned),
        ("AgentAssigned", GetConversation),
        ("AgentAnswered", AgentAnswerGenerated),
        ("Closed", TicketClosed),
    ]


def test_roster_and_index_events_publish_nothing() -> None:
    roster = Roster.start(at=T0)
    roster.register(agent_id="A", name="Ana", email="a@x", languages=[], max_tickets=1,
                    token_hash="h", at=T0)
    index = DeskConversation.start(conversation_id="conv", at=T0)
    index.link(ticket_id="t", at=T0)
    assert [m for e in [*roster.collect_events(), *index.collect_events()]
            for m in messages_for(e)] == []


def test_message_ids_are_deterministic() -> None:
    first = [m for e in conversation_events() + ticket_events() for m in messages_for(e)]
    again = [m for e in conversation_events() + ticket_events() for m in messages_for(e)]
    assert [m.message_id for m in first] == [m.message_id for m in again]
    assert len({m.message_id for m in first}) == len(first)
    event = conversation_events()[2]
    assert message_id_for(event) == message_id_for(event)
    assert message_id_for(event, 1) != message_id_for(event, 0)


def test_contents_and_causation() -> None:
    events = conversation_events()
    by_type: dict[type[Any], list[Any]] = {}
    for e in events:
        for m in messages_for(e):
            by_type.setdefault(type(m), []).append((e, m))
    (req_event, ask), = by_type[GenerateAIAgentAnswerWithUserInfo]
    assert ask.causation_id == "in-1" and ask.in_reply_to == "w1"
    assert ask.correlation_id == str(req_event.originator_id) == ask.conversation_id
    assert ask.customer is not None and ask.customer.language == "es"
    assert ask.occurred_at == req_event.timestamp
    (_, send_ai), (_, send_agent) = by_type[SendWhatsAppBusinessTextMessage]
    assert send_ai.causation_id == "a1" and send_ai.author == "ai"
    assert send_agent.causation_id == "g1" and send_agent.author == "agent"
    assert send_agent.reply_to_wamid == "w2"
    assert send_ai.channel.phone_number_id == "1065"
    # The send's id is the reply's id: Sent / SendFailed name the reply.
    conv_replies = {e.reply_id for e in events if isinstance(e, Conversation.ReplyDispatched)}
    assert {str(send_ai.message_id), str(send_agent.message_id)} == conv_replies
    (_, open_cmd), = by_type[OpenTicket]
    assert open_cmd.causation_id == "a1" and open_cmd.language == "es"
    (_, forward), = by_type[GenerateAgentAnswer]
    assert forward.causation_id == "in-2" and forward.ticket_id == open_cmd.ticket_id


def test_ticket_message_contents() -> None:
    messages = [m for e in ticket_events() for m in messages_for(e)]
    opened, assigned, query, answered, closed = messages
    assert isinstance(opened, TicketOpened) and opened.causation_id == "open-1"
    assert opened.correlation_id == "conv" and opened.ticket_id.startswith("9e8d7c6b")
    assert isinstance(assigned, AgentAssigned) and assigned.agent_name == "Ana"
    assert isinstance(query, GetConversation)
    assert query.causation_id == str(assigned.message_id)
    assert query.conversation_id == "conv"
    assert isinstance(answered, AgentAnswerGenerated) and answered.text == "hola"
    assert isinstance(closed, TicketClosed) and closed.resolution == "ok"
    assert {m.correlation_id for m in messages} == {"conv"}
