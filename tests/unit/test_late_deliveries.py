"""Late and out-of-order deliveries: they never take state backwards (the active channel, a
delivery status), and a customer message for a ticket not opened yet is retried, not
dead-lettered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from helpline.application.agent_desk import AgentDesk, TicketNotYetOpenError
from helpline.catalog import GenerateAgentAnswer
from helpline.domain.conversation import Conversation

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
B1 = {"kind": "whatsapp", "phone_number_id": "111", "customer_phone": "34600123456"}
B2 = {"kind": "whatsapp", "phone_number_id": "222", "customer_phone": "34600123456"}


def _conv() -> Conversation:
    return Conversation.start(phone="34600123456", channel=B1, customer=None, at=T0)


def test_a_late_older_message_does_not_take_the_channel_back() -> None:
    conv = _conv()
    conv.receive_customer_message(wamid="w2", text="hola", message_type="text",
                                  sent_at=T0 + timedelta(minutes=2), channel=B2, customer=None,
                                  at=T0)
    conv.receive_customer_message(wamid="w1", text="antes", message_type="text",
                                  sent_at=T0 + timedelta(minutes=1), channel=B1, customer=None,
                                  at=T0)
    assert conv.channel == B2
    assert conv.last_customer_message_at == (T0 + timedelta(minutes=2)).isoformat()
    assert conv.knows_message("w1")


def test_delivery_statuses_never_go_backwards() -> None:
    conv = _conv()
    assert conv.record_status(wamid="out.1", status="read", errors=[], at=T0)
    assert not conv.record_status(wamid="out.1", status="delivered", errors=[], at=T0)
    conv.record_reply_sent(reply_id="r1", wamids=["out.1"], at=T0)
    assert conv.outbound_status["out.1"] == "read"
    assert conv.record_status(wamid="out.1", status="failed", errors=[{"code": 1}], at=T0)


def test_agent_answer_request_before_its_open_ticket_is_transient() -> None:
    desk = AgentDesk({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    cmd = GenerateAgentAnswer.from_example()
    with pytest.raises(TicketNotYetOpenError):
        desk.generate_agent_answer(cmd)
    # Transient, unlike an ApplicationError: the NATS consumer nacks and redelivers it.
    from helpline.adapters.nats.consumer import PERMANENT_ERRORS

    assert not isinstance(TicketNotYetOpenError("x"), PERMANENT_ERRORS)
