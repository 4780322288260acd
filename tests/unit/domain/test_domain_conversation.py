"""The Conversation aggregate: its command methods and their rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from helpline.domain import Conversation, conversation_id_for
from helpline.domain.conversation import HISTORY_TURNS

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
PHONE = "34600123456"
CH1 = {"kind": "whatsapp", "phone_number_id": "1065", "customer_phone": PHONE}
CH2 = {"kind": "whatsapp", "phone_number_id": "2077", "customer_phone": PHONE}
CUSTOMER = {"customer_id": "cus_1", "name": "Lucía", "phone": PHONE, "email": None,
            "language": "es"}


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def new_conversation(customer: dict[str, Any] | None = CUSTOMER) -> Conversation:
    return Conversation.start(phone=PHONE, channel=CH1, customer=customer, at=T0)


def receive(conv: Conversation, wamid: str, text: str = "hola", *, channel: dict[str, Any] = CH1,
            customer: dict[str, Any] | None = CUSTOMER, t: int = 1) -> bool:
    return conv.receive_customer_message(
        wamid=wamid, text=text, message_type="text", sent_at=at(t), channel=channel,
        customer=customer, at=at(t), cause_id=f"cause-{wamid}")


def ai_answer(conv: Conversation, answer_id: str, in_reply_to: str, *, open_ticket: bool = False,
              text: str = "respuesta", t: int = 2) -> bool:
    return conv.receive_ai_answer(
        answer_id=answer_id, in_reply_to=in_reply_to, text=text, open_ticket=open_ticket,
        reason="asked for a person" if open_ticket else None, confidence=0.5, sources=["kb"],
        at=at(t))


def names(conv: Conversation) -> list[str]:
    return [type(e).__name__ for e in conv.collect_events()]


def test_started_with_deterministic_id() -> None:
    conv = new_conversation()
    assert conv.id == conversation_id_for(PHONE)
    assert Conversation.start(phone=PHONE, channel=CH2, customer=None, at=at(9)).id == conv.id
    assert conv.channel == CH1 and conv.customer == CUSTOMER and conv.recent_turns == []
    assert not conv.has_open_ticket


def test_customer_message_asks_the_ai() -> None:
    conv = new_conversation()
    conv.collect_events()
    assert receive(conv, "w1", "¿horario?")
    events = conv.collect_events()
    assert [type(e).__name__ for e in events] == ["CustomerMessageReceived", "AIAnswerRequested"]
    request = events[1]
    assert isinstance(request, Conversation.AIAnswerRequested)
    assert request.in_reply_to == "w1" and request.question == "¿horario?"
    assert request.cause_id == "cause-w1" and request.phone == PHONE
    assert [t["message_id"] for t in request.history] == ["w1"]
    assert conv.knows_message("w1") and conv.pending["w1"] == {"state": "ai", "text": "¿horario?"}
    assert conv.recent_turns[-1]["author"] == "customer"
    assert conv.recent_turns[-1]["text"] == "¿horario?"
    assert conv.last_customer_message_at == at(1).isoformat()


def test_same_wamid_is_ignored() -> None:
    conv = new_conversation()
    assert receive(conv, "w1")
    conv.collect_events()
    assert receive(conv, "w1", "otra vez", channel=CH2) is False
    assert conv.collect_events() == []
    assert len(conv.recent_turns) == 1 and conv.channel == CH1


def test_new_channel_becomes_active_and_customer_info_updates() -> None:
    conv = new_conversation(customer=None)
    conv.collect_events()
    receive(conv, "w1", channel=CH2, customer=CUSTOMER)
    assert names(conv) == ["CustomerInfoUpdated", "ActiveChannelChanged",
                           "CustomerMessageReceived", "AIAnswerRequested"]
    assert conv.channel == CH2 and conv.customer == CUSTOMER
    # Same channel and customer: no change events; an unknown customer keeps what we had.
    receive(conv, "w2", channel=CH2, customer=None)
    assert names(conv) == ["CustomerMessageReceived", "AIAnswerRequested"]
    assert conv.customer == CUSTOMER


def test_history_is_bounded() -> None:
    conv = new_conversation()
    for i in range(HISTORY_TURNS + 5):
        receive(conv, f"w{i}")
    last = [e for e in conv.collect_events() if isinstance(e, Conversation.AIAnswerRequested)][-1]
    assert len(last.history) == HISTORY_TURNS
    assert last.history[-1]["message_id"] == f"w{HISTORY_TURNS + 4}"


def test_ai_answer_dispatches_reply_on_active_channel() -> None:
    conv = new_conversation()
    receive(conv, "w1", channel=CH2)
    conv.collect_events()
    assert ai_answer(conv, "a1", "w1", text="De 9 a 20")
    events = conv.collect_events()
    assert [type(e).__name__ for e in events] == ["AIAnswerReceived", "ReplyDispatched"]
    reply = events[1]
    assert isinstance(reply, Conversation.ReplyDispatched)
    assert reply.channel == CH2 and reply.author == "ai" and reply.text == "De 9 a 20"
    assert reply.reply_to_wamid == "w1" and reply.cause_id == "a1"
    assert reply.customer_last_message_at == at(1).isoformat()
    assert "w1" not in conv.pending and conv.unsettled == {reply.reply_id: "ai"}
    assert not conv.has_open_ticket


def test_ai_answer_redelivered_or_second_answer_is_ignored() -> None:
    conv = new_conversation()
    receive(conv, "w1")
    ai_answer(conv, "a1", "w1")
    conv.collect_events()
    assert ai_answer(conv, "a1", "w1") is False
    assert ai_answer(conv, "a2", "w1") is False  # w1 is answered already
    assert conv.collect_events() == []


def test_open_ticket_requests_one_ticket_only_while_open() -> None:
    conv = new_conversation()
    receive(conv, "w1")
    conv.collect_events()
    ai_answer(conv, "a1", "w1", open_ticket=True)
    events = conv.collect_events()
    assert [type(e).__name__ for e in events] == [
        "AIAnswerReceived", "ReplyDispatched", "TicketRequested"]
    requested = events[2]
    assert isinstance(requested, Conversation.TicketRequested)
    assert requested.language == "es" and requested.cause_id == "a1"
    assert conv.has_open_ticket and conv.ticket is not None
    assert conv.ticket["status"] == "requested"
    # A second AI answer asking for a ticket while one is open requests nothing more.
    receive(conv, "w2")
    # w2 goes to the agent, but an AI answer to it (late) must not request a second ticket.
    conv.collect_events()
    ai_answer(conv, "a2", "w2", open_ticket=True)
    assert "TicketRequested" not in names(conv)
    assert conv.tickets_requested == 1


def test_ticket_ids_are_deterministic_and_new_after_close() -> None:
    first, second = new_conversation(), new_conversation()
    for conv in (first, second):
        receive(conv, "w1")
        ai_answer(conv, "a1", "w1", open_ticket=True)
    assert first.ticket == second.ticket
    assert first.ticket is not None
    t1 = first.ticket["ticket_id"]
    first.close_ticket(ticket_id=t1, resolution="ok", agent_id=None, at=at(5))
    receive(first, "w2", t=6)
    ai_answer(first, "a2", "w2", open_ticket=True, t=7)
    assert first.ticket is not None and first.ticket["ticket_id"] != t1


def test_messages_go_to_the_agent_while_ticket_open() -> None:
    conv = new_conversation()
    receive(conv, "w1")
    ai_answer(conv, "a1", "w1", open_ticket=True)
    assert conv.ticket is not None
    tid = conv.ticket["ticket_id"]
    conv.collect_events()
    assert receive(conv, "w2", "mi pedido")
    events = conv.collect_events()
    assert [type(e).__name__ for e in events] == ["CustomerMessageReceived",
                                                  "AgentAnswerRequested"]
    request = events[1]
    assert isinstance(request, Conversation.AgentAnswerRequested)
    assert request.ticket_id == tid and request.in_reply_to == "w2" and request.text == "mi pedido"
    assert conv.pending["w2"] == {"state": "agent", "text": "mi pedido"}


def test_ticket_log_opened_and_assigned() -> None:
    conv = new_conversation()
    receive(conv, "w1")
    ai_answer(conv, "a1", "w1", open_ticket=True)
    assert conv.ticket is not None
    tid = conv.ticket["ticket_id"]
    assert conv.log_ticket_opened(ticket_id=tid, at=at(3))
    assert conv.log_ticket_opened(ticket_id=tid, at=at(3)) is False
    assert conv.ticket["status"] == "open"
    assert conv.log_agent_assigned(ticket_id=tid, agent_id="A", agent_name="Ana", at=at(4))
    assert conv.log_agent_assigned(ticket_id=tid, agent_id="A", agent_name="Ana", at=at(4)) is False
    assert {k: conv.ticket[k] for k in ("ticket_id", "status", "agent_id", "agent_name")} == {
        "ticket_id": tid, "status": "assigned", "agent_id": "A", "agent_name": "Ana"}
    assert [t["text"] for t in conv.recent_turns[-2:]] == ["Ticket opened", "Agent Ana assigned"]


def test_assignment_logged_for_another_ticket_leaves_current_one() -> None:
    conv = new_conversation()
    receive(conv, "w1")
    ai_answer(conv, "a1", "w1", open_ticket=True)
    before = dict(conv.ticket or {})
    conv.collect_events()
    assert conv.log_ticket_opened(ticket_id="other", at=at(3)) is False
    assert conv.log_agent_assigned(ticket_id="other", agent_id="A", agent_name="Ana",
                                   at=at(4)) is False
    assert conv.ticket == before and conv.collect_events() == []


def test_agent_answer_replies_and_answers_forwarded_messages() -> None:
    conv = new_conversation()
    receive(conv, "w1")
    ai_answer(conv, "a1", "w1", open_ticket=True)
    assert conv.ticket is not None
    tid = conv.ticket["ticket_id"]
    receive(conv, "w2", channel=CH2, t=3)
    receive(conv, "w3", channel=CH2, t=4)
    conv.collect_events()
    assert conv.receive_agent_answer(answer_id="g1", ticket_id=tid, agent_id="A",
                                     agent_name="Ana", text="Hola", at=at(5))
    events = conv.collect_events()
    assert [type(e).__name__ for e in events] == ["AgentAnswerReceived", "ReplyDispatched"]
    reply = events[1]
    assert isinstance(reply, Conversation.ReplyDispatched)
    assert reply.author == "agent" and reply.channel == CH2 and reply.reply_to_wamid == "w3"
    assert conv.pending == {}
    assert conv.receive_agent_answer(answer_id="g1", ticket_id=tid, agent_id="A",
                                     agent_name="Ana", text="Hola", at=at(5)) is False
    assert conv.collect_events() == []


def test_agent_answer_with_no_customer_message_has_no_reply_to() -> None:
    conv = new_conversation()
    conv.receive_agent_answer(answer_id="g1", ticket_id="t", agent_id="A", agent_name="Ana",
                              text="Hola", at=at(1))
    reply = conv.collect_events()[-1]
    assert isinstance(reply, Conversation.ReplyDispatched) and reply.reply_to_wamid is None


def test_closing_gives_the_conversation_back_to_the_ai() -> None:
    conv = new_conversation()
    receive(conv, "w1")
    ai_answer(conv, "a1", "w1", open_ticket=True)
    assert conv.ticket is not None
    tid = conv.ticket["ticket_id"]
    assert conv.close_ticket(ticket_id=tid, resolution="hecho", agent_id="A", at=at(3))
    assert conv.close_ticket(ticket_id=tid, resolution="hecho", agent_id="A", at=at(3)) is False
    assert not conv.has_open_ticket
    assert conv.recent_turns[-1]["text"] == "Ticket closed: hecho"
    conv.collect_events()
    receive(conv, "w2", t=4)
    assert names(conv) == ["CustomerMessageReceived", "AIAnswerRequested"]


def test_closing_another_ticket_keeps_the_open_one() -> None:
    conv = new_conversation()
    receive(conv, "w1")
    ai_answer(conv, "a1", "w1", open_ticket=True)
    assert conv.close_ticket(ticket_id="old", resolution="x", agent_id=None, at=at(3))
    assert conv.has_open_ticket


def test_reply_outcomes_are_recorded_once() -> None:
    conv = new_conversation()
    receive(conv, "w1")
    ai_answer(conv, "a1", "w1")
    (reply_id,) = conv.unsettled
    assert conv.record_reply_sent(reply_id=reply_id, wamids=["wamid.out"], at=at(3))
    assert conv.record_reply_sent(reply_id=reply_id, wamids=["wamid.out"], at=at(3)) is False
    assert conv.record_reply_failed(reply_id=reply_id, code=1, reason="x", at=at(3)) is False
    assert conv.unsettled == {} and conv.outbound_status["wamid.out"] == "sent"
    assert conv.record_status(wamid="wamid.out", status="read", errors=[], at=at(4))
    assert conv.record_status(wamid="wamid.out", status="read", errors=[], at=at(4)) is False
    assert conv.outbound_status["wamid.out"] == "read"


def test_reply_failure_is_recorded_and_shown() -> None:
    conv = new_conversation()
    receive(conv, "w1")
    ai_answer(conv, "a1", "w1")
    (reply_id,) = conv.unsettled
    assert conv.record_reply_failed(reply_id=reply_id, code=131047, reason="24h", at=at(3))
    assert conv.record_reply_failed(reply_id=reply_id, code=131047, reason="24h", at=at(3)) is False
    assert conv.record_reply_sent(reply_id=reply_id, wamids=["x"], at=at(3)) is False
    assert conv.unsettled == {}
    assert conv.recent_turns[-1] == {"author": "system", "text": "Reply not delivered: 24h",
                              "at": at(3).isoformat(), "message_id": reply_id,
                              "message_type": "text"}


def test_reply_ids_are_deterministic() -> None:
    a, b = new_conversation(), new_conversation()
    for conv in (a, b):
        receive(conv, "w1")
        ai_answer(conv, "a1", "w1")
    assert a.unsettled == b.unsettled


def test_closing_a_ticket_again_after_many_others_is_still_ignored() -> None:
    conv = new_conversation()
    receive(conv, "w1")
    ai_answer(conv, "a1", "w1", open_ticket=True)
    assert conv.ticket is not None
    tid = conv.ticket["ticket_id"]
    conv.log_ticket_opened(ticket_id=tid, at=at(2))
    conv.close_ticket(ticket_id=tid, resolution="ok", agent_id=None, at=at(3))
    conv.collect_events()
    # A late Ticket Opened for the closed ticket does not reopen it.
    assert conv.log_ticket_opened(ticket_id=tid, at=at(4)) is False
    assert conv.close_ticket(ticket_id=tid, resolution="ok", agent_id=None, at=at(5)) is False
    assert not conv.has_open_ticket and conv.collect_events() == []


def test_state_stays_bounded_however_long_the_conversation() -> None:
    """The aggregate keeps what its decisions need, not the history (docs/architecture.md,
    "Bounded aggregates")."""
    conv = new_conversation()

    def size() -> int:
        return len(repr({k: v for k, v in vars(conv).items() if k != "_pending_events"}))

    sizes = []
    for i in range(1, 601):
        receive(conv, f"wamid.{i:06d}", f"pregunta {i:06d}", t=2 * i)
        ai_answer(conv, f"answer.{i:06d}", f"wamid.{i:06d}", text=f"respuesta {i:06d}",
                  t=2 * i + 1)
        (reply_id,) = conv.unsettled
        conv.record_reply_sent(reply_id=reply_id, wamids=[f"out.{i:06d}"], at=at(2 * i + 1))
        conv.collect_events()
        if i in (100, 600):
            sizes.append(size())
    assert abs(sizes[1] - sizes[0]) < 16  # the version number grows a digit, nothing else
    assert len(conv.recent_turns) == HISTORY_TURNS and conv.pending == {}
    assert len(conv.recent_wamids) == len(conv.outbound_status) == 64


def test_a_message_not_waiting_for_the_ai_ignores_an_ai_answer() -> None:
    conv = new_conversation()
    receive(conv, "w1", "quiero una persona")
    ai_answer(conv, "a1", "w1", open_ticket=True)
    receive(conv, "w2", "mi pedido")  # forwarded to the agent
    conv.collect_events()
    assert ai_answer(conv, "a2", "w2") is False
    assert ai_answer(conv, "a3", "unknown-wamid") is False
    assert conv.collect_events() == []


def test_a_reply_that_never_reached_the_waiting_customer_calls_a_person() -> None:
    conv = new_conversation()
    receive(conv, "w1")
    ai_answer(conv, "a1", "w1")
    (reply_id,) = conv.unsettled
    conv.collect_events()
    assert conv.record_reply_failed(reply_id=reply_id, code=131026, reason="undeliverable",
                                    at=at(3))
    events = conv.collect_events()
    assert names_of(events) == ["ReplyFailed", "TicketRequested"]
    requested = events[1]
    assert isinstance(requested, Conversation.TicketRequested)
    assert "could not be delivered (undeliverable)" in requested.reason
    assert requested.cause_id == reply_id and conv.has_open_ticket


def test_an_agents_failed_reply_shows_in_their_ticket_without_a_new_one() -> None:
    conv = new_conversation()
    receive(conv, "w1")
    ai_answer(conv, "a1", "w1", open_ticket=True)
    assert conv.ticket is not None
    tid = conv.ticket["ticket_id"]
    (ai_reply,) = conv.unsettled
    conv.record_reply_sent(reply_id=ai_reply, wamids=["x"], at=at(3))
    conv.receive_agent_answer(answer_id="g1", ticket_id=tid, agent_id="A", agent_name="Ana",
                              text="Hola", at=at(4))
    (agent_reply,) = conv.unsettled
    assert conv.unsettled[agent_reply] == "agent"
    conv.collect_events()
    conv.record_reply_failed(reply_id=agent_reply, code=None, reason="x", at=at(5))
    assert names(conv) == ["ReplyFailed"] and conv.tickets_requested == 1


def names_of(events: list[Any]) -> list[str]:
    return [type(e).__name__ for e in events]


def test_a_ticket_activity_is_one_system_line_logged_once_and_remembered_boundedly() -> None:
    conv = new_conversation()
    conv.collect_events()
    assert conv.recent_activities == ()  # what a snapshot taken before activities loads with
    assert conv.log_ticket_activity(activity_id="act-1", ticket_id="t1", text="Priority high",
                                    at=at(1))
    assert conv.log_ticket_activity(activity_id="act-1", ticket_id="t1", text="Priority high",
                                    at=at(2)) is False
    (logged,) = conv.collect_events()
    assert isinstance(logged, Conversation.TicketActivityLogged)
    assert logged.turn() == {"author": "system", "text": "Priority high",
                             "at": at(1).isoformat(), "message_id": "t1",
                             "message_type": "text"}
    assert conv.recent_turns[-1] == logged.turn()
    for i in range(2, 100):
        conv.log_ticket_activity(activity_id=f"act-{i}", ticket_id="t1", text="x", at=at(i))
    assert len(conv.recent_activities) == 64 and "act-1" not in conv.recent_activities
    assert Conversation.recent_activities == ()  # the class default is never changed in place
