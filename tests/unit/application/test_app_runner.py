"""The five services wired in-process: the AI path, the human path, and back to the AI."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from uuid import uuid4

import pytest
from app_helpers import CONV_ID, CUSTOMER, PHONE, ScriptedAnswerer, StepClock, inbound, log_size

from helpline.application import InMemoryCustomerDirectory, RecordingSender
from helpline.bootstrap import Container, bootstrap
from helpline.catalog import (
    CatalogMessage,
    ConversationDocument,
    GetConversation,
    SendWhatsAppBusinessTextMessage,
    TicketOpened,
)
from helpline.config import Settings

pytestmark = pytest.mark.unit


@pytest.fixture(params=["eventsourcing.popo", "eventsourcing.sqlite"])
def container(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Container]:
    settings = Settings(persistence_module=request.param, helpline_data_dir=tmp_path)
    built = bootstrap(settings, answerer=ScriptedAnswerer(), sender=RecordingSender(),
                      directory=InMemoryCustomerDirectory([CUSTOMER]), clock=StepClock())
    yield built
    built.close()


def ids(messages: list[CatalogMessage]) -> list[str]:
    return [m.catalog_id for m in messages]


def sender_of(container: Container) -> RecordingSender:
    sender = container.services.whatsapp.sender
    assert isinstance(sender, RecordingSender)
    return sender


def stored(container: Container) -> tuple[int, int]:
    return log_size(container.services.store), log_size(container.services.desk)


def test_ai_path(container: Container) -> None:
    runner = container.runner()
    delivered = runner.publish(inbound("w1", "¿horario?"))
    assert ids(delivered) == [
        "whatsapp-business-text-message-received",
        "whatsapp-business-text-message-with-user-info-received",
        "generate-ai-agent-answer-with-user-info",
        "ai-agent-answer-generated",
        "send-whatsapp-business-text-message",
        "whatsapp-business-text-message-sent",
    ]
    (sent,) = sender_of(container).sent
    assert sent.text == "answer to ¿horario?" and sent.channel.customer_phone == PHONE
    # Causation chains each message to the one before it.
    for cause, effect in pairwise(delivered):
        assert effect.causation_id == str(cause.message_id)
    assert runner.log == delivered


def test_human_path_and_back_to_the_ai(container: Container) -> None:
    runner = container.runner()
    desk = container.services.desk
    desk.register_agent(name="Marta", email="marta@x.es", languages=["es"], agent_id="marta")
    desk.set_agent_status("marta", online=True)
    runner.publish(inbound("w1", "hola"))
    delivered = runner.publish(inbound("w2", "PERSON por favor"))
    assert ids(delivered)[4:] == [
        "send-whatsapp-business-text-message",
        "open-ticket",
        "whatsapp-business-text-message-sent",
        "ticket-opened",
        "agent-assigned",
        "get-conversation",
        "conversation-document",
    ]
    ticket_id = next(m.ticket_id for m in delivered if isinstance(m, TicketOpened))
    doc = delivered[-1]
    assert isinstance(doc, ConversationDocument) and doc.ticket is not None
    assert doc.ticket.status == "assigned" and doc.ticket.agent_id == "marta"
    assert [t.text for t in doc.turns if t.author == "customer"] == ["hola", "PERSON por favor"]
    ticket = desk.ticket(ticket_id)
    assert ticket.document_version == doc.version and ticket.agent_id == "marta"

    delivered = runner.publish(inbound("w3", "mi pedido"))
    assert ids(delivered)[2:] == ["generate-agent-answer"]
    assert desk.ticket(ticket_id).forwarded[0]["text"] == "mi pedido"

    answer = desk.answer(ticket_id, agent_id="marta", text="Lo miro ya", answer_id="k1")
    delivered = runner.publish(*answer)
    assert ids(delivered) == ["agent-answer-generated", "send-whatsapp-business-text-message",
                              "whatsapp-business-text-message-sent"]
    last = sender_of(container).sent[-1]
    assert last.author == "agent" and last.text == "Lo miro ya" and last.reply_to_wamid == "w3"

    delivered = runner.publish(*desk.close_ticket(ticket_id, resolution="ok", agent_id="marta"))
    assert ids(delivered) == ["ticket-closed"]
    delivered = runner.publish(inbound("w4", "¿envíos?"))
    assert "generate-ai-agent-answer-with-user-info" in ids(delivered)
    assert sender_of(container).sent[-1].author == "ai"

    doc = container.services.store.get_conversation(GetConversation(
        message_id=uuid4(), correlation_id=CONV_ID, occurred_at=container.services.store.clock(),
        conversation_id=CONV_ID))
    assert doc.ticket is None
    assert [(t.author, t.message_id) for t in doc.turns if t.author == "customer"] == [
        ("customer", f"w{i}") for i in range(1, 5)]
    # Four customer messages, four replies (AI, AI, agent, AI), each sent once.
    assert len(sender_of(container).sent) == 4


def test_every_redelivery_is_harmless(container: Container) -> None:
    """Re-publish every message of a whole conversation: nothing new is stored or sent."""
    runner = container.runner()
    desk = container.services.desk
    desk.register_agent(name="Marta", email="marta@x.es", languages=["es"], agent_id="marta")
    desk.set_agent_status("marta", online=True)
    runner.publish(inbound("w1", "hola"), inbound("w2", "PERSON"))
    ticket_id = next(m.ticket_id for m in runner.log if isinstance(m, TicketOpened))
    runner.publish(inbound("w3", "pedido"))
    runner.publish(*desk.answer(ticket_id, agent_id="marta", text="ok", answer_id="k1"))
    runner.publish(*desk.close_ticket(ticket_id, resolution="ok", agent_id="marta"))
    runner.publish(inbound("w4", "gracias"))
    sends = len(sender_of(container).sent)
    before = stored(container)
    known = {m.message_id for m in runner.log}
    for msg in list(runner.log):
        # Stateless services answer a redelivery with the same message ids (JetStream drops
        # the copies); the stateful ones store nothing and publish nothing new.
        again = runner.publish(msg)
        assert {m.message_id for m in again} <= known, msg.catalog_id
    assert stored(container) == before
    assert len(sender_of(container).sent) == sends
    assert all(isinstance(m, SendWhatsAppBusinessTextMessage) for m in sender_of(container).sent)
