"""The 24-hour customer service window and template answers in the aggregates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from helpline.domain import Conversation, DomainError, Ticket, TicketNotOpenError
from helpline.domain.conversation import CUSTOMER_SERVICE_WINDOW, LATE_AI_ANSWER
from helpline.domain.ids import derived_id

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
PHONE = "34600123456"
CH = {"kind": "whatsapp", "phone_number_id": "1065", "customer_phone": PHONE}
TEMPLATE: dict[str, Any] = {"name": "seguimiento_pedido", "language": "es", "components": [
    {"type": "body", "parameters": [{"type": "text", "text": "Lucía"}]}]}
DAY = timedelta(hours=24)


def conversation_with_message(sent_at: datetime = T0) -> Conversation:
    conv = Conversation.start(phone=PHONE, channel=CH, customer=None, at=T0)
    conv.receive_customer_message(wamid="w1", text="hola", message_type="text", sent_at=sent_at,
                                  channel=CH, customer=None, at=sent_at)
    conv.collect_events()
    return conv


def test_the_window_is_open_for_24_hours_after_the_customer_last_wrote() -> None:
    conv = conversation_with_message()
    assert CUSTOMER_SERVICE_WINDOW == DAY
    assert conv.window_open(T0 + DAY)
    assert not conv.window_open(T0 + DAY + timedelta(seconds=1))


def test_the_window_reopens_when_the_customer_writes_again() -> None:
    conv = conversation_with_message()
    later = T0 + 3 * DAY
    assert not conv.window_open(later)
    conv.receive_customer_message(wamid="w2", text="sigo aquí", message_type="text",
                                  sent_at=later, channel=CH, customer=None, at=later)
    assert conv.window_open(later + timedelta(hours=1))


def test_a_conversation_without_customer_messages_has_no_window_to_close() -> None:
    conv = Conversation.start(phone=PHONE, channel=CH, customer=None, at=T0)
    assert conv.window_open(T0 + 10 * DAY)


def test_the_ai_never_sends_outside_the_window_and_a_person_is_asked_for() -> None:
    conv = conversation_with_message()
    assert conv.receive_ai_answer(answer_id="a1", in_reply_to="w1", text="Abrimos a las 9",
                                  open_ticket=False, reason=None, confidence=0.9, sources=[],
                                  at=T0 + DAY + timedelta(minutes=1))
    events = conv.collect_events()
    assert not [e for e in events if isinstance(e, Conversation.ReplyDispatched)]
    (requested,) = [e for e in events if isinstance(e, Conversation.TicketRequested)]
    assert requested.reason == LATE_AI_ANSWER
    assert isinstance(events[0], Conversation.AIAnswerReceived)


def test_the_ai_answers_inside_the_window() -> None:
    conv = conversation_with_message()
    conv.receive_ai_answer(answer_id="a1", in_reply_to="w1", text="Abrimos a las 9",
                           open_ticket=False, reason=None, confidence=0.9, sources=[],
                           at=T0 + timedelta(minutes=1))
    assert any(isinstance(e, Conversation.ReplyDispatched) for e in conv.collect_events())


def test_a_template_answer_is_a_line_and_a_template_dispatch_once() -> None:
    conv = conversation_with_message()
    late = T0 + 2 * DAY
    assert conv.receive_template_answer(answer_id="ans-1", ticket_id="t1", agent_id="agt",
                                        agent_name="Marta", template=TEMPLATE,
                                        text="Hola Lucía", at=late)
    received, dispatched = conv.collect_events()
    assert isinstance(received, Conversation.TemplateAnswerReceived)
    assert received.turn()["author"] == "agent" and received.turn()["text"] == "Hola Lucía"
    assert isinstance(dispatched, Conversation.TemplateDispatched)
    assert dispatched.template == TEMPLATE and dispatched.channel == CH
    assert dispatched.reply_id == str(derived_id(conv.id, "reply", "ans-1"))
    assert conv.unsettled[dispatched.reply_id] == "agent"
    assert conv.recent_turns[-1]["text"] == "Hola Lucía"
    # A redelivery changes nothing; the outcome settles the reply like a text's.
    assert not conv.receive_template_answer(answer_id="ans-1", ticket_id="t1", agent_id="agt",
                                            agent_name="Marta", template=TEMPLATE,
                                            text="Hola Lucía", at=late)
    assert conv.record_reply_sent(reply_id=dispatched.reply_id, wamids=["wamid.T"], at=late)
    assert dispatched.reply_id not in conv.unsettled


def _assigned_ticket() -> Ticket:
    ticket = Ticket.open(ticket_id=str(derived_id("conv", "ticket", 1)), conversation_id="conv",
                         phone=PHONE, customer=None, reason="asked", language="es", at=T0)
    ticket.assign(agent_id="A", agent_name="Ana", at=T0)
    ticket.collect_events()
    return ticket


def test_the_agent_holding_the_ticket_answers_with_a_template_once() -> None:
    ticket = _assigned_ticket()
    assert ticket.answer_with_template(answer_id="x", agent_id="A", template=TEMPLATE,
                                       text="Hola Lucía", at=T0)
    assert not ticket.answer_with_template(answer_id="x", agent_id="A", template=TEMPLATE,
                                           text="Hola Lucía", at=T0)
    (answered,) = ticket.collect_events()
    assert isinstance(answered, Ticket.TemplateAnswered)
    assert answered.agent_name == "Ana" and answered.template == TEMPLATE
    assert ticket.first_answer_at == T0.isoformat()


def test_a_template_answer_follows_the_answer_rules() -> None:
    ticket = _assigned_ticket()
    with pytest.raises(DomainError, match="does not hold"):
        ticket.answer_with_template(answer_id="y", agent_id="B", template=TEMPLATE, text="x",
                                    at=T0)
    with pytest.raises(DomainError, match="names the template"):
        ticket.answer_with_template(answer_id="y", agent_id="A",
                                    template={"name": "", "language": "es"}, text="x", at=T0)
    ticket.close(resolution="done", agent_id="A", at=T0)
    with pytest.raises(TicketNotOpenError):
        ticket.answer_with_template(answer_id="z", agent_id="A", template=TEMPLATE, text="x",
                                    at=T0)
