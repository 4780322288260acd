"""ConversationStore (ms-conv-store): handlers, idempotency and Get Conversation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from app_helpers import (
    BUSINESS,
    CONV_ID,
    CUSTOMER,
    PHONE,
    T0,
    StepClock,
    log_size,
    with_info,
)

from helpline.application import ConversationStore, UnknownConversationError
from helpline.application.unit_of_work import UnitOfWork
from helpline.catalog import (
    AgentAnswerGenerated,
    AgentAssigned,
    AIAgentAnswerGenerated,
    CatalogMessage,
    GenerateAgentAnswer,
    GenerateAIAgentAnswerWithUserInfo,
    GetConversation,
    OpenTicket,
    SendWhatsAppBusinessTextMessage,
    TicketClosed,
    TicketOpened,
    TicketPriorityChanged,
    WhatsAppBusinessTextMessageSendFailed,
    WhatsAppBusinessTextMessageSent,
    WhatsAppBusinessTextMessageStatusUpdated,
)
from helpline.domain import Conversation
from helpline.domain.conversation import RECENT_IDS
from helpline.domain.ids import derived_id

pytestmark = pytest.mark.unit


@pytest.fixture
def store() -> Iterator[ConversationStore]:
    app = ConversationStore(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=StepClock())
    yield app
    app.close()


def ai_answer(ask: GenerateAIAgentAnswerWithUserInfo, *, open_ticket: bool = False,
              text: str = "De 9 a 20.") -> AIAgentAnswerGenerated:
    return AIAgentAnswerGenerated(
        message_id=derived_id(ask.message_id, "ai-answer"), correlation_id=ask.correlation_id,
        causation_id=str(ask.message_id), occurred_at=T0, conversation_id=ask.conversation_id,
        in_reply_to=ask.in_reply_to, text=text, open_ticket=open_ticket,
        reason="asked" if open_ticket else None)


def envelope(cause: str | None = None) -> dict[str, Any]:
    return {"message_id": uuid4(), "correlation_id": CONV_ID, "causation_id": cause,
            "occurred_at": T0}


def only(messages: list[CatalogMessage], cls: type[Any]) -> Any:
    (msg,) = [m for m in messages if isinstance(m, cls)]
    return msg


def open_ticket_flow(
    store: ConversationStore,
) -> tuple[OpenTicket, SendWhatsAppBusinessTextMessage]:
    (ask,) = store.whatsapp_business_text_message_with_user_info_received(with_info("w1"))
    out = store.ai_agent_answer_generated(ai_answer(ask, open_ticket=True, text="Te paso."))
    return only(out, OpenTicket), only(out, SendWhatsAppBusinessTextMessage)


def get(store: ConversationStore, conversation_id: str = CONV_ID) -> Any:
    return store.get_conversation(GetConversation(**envelope(), conversation_id=conversation_id))


def assert_redelivery_is_harmless(store: ConversationStore, handler: Any, msg: Any) -> None:
    size, version = log_size(store), store.conversation(CONV_ID).version
    assert handler(msg) == []
    assert log_size(store) == size and store.conversation(CONV_ID).version == version


def test_inbound_message_asks_the_ai(es_env: dict[str, str]) -> None:
    store = ConversationStore(env=es_env, clock=StepClock())
    msg = with_info("w1", "¿horario?")
    (ask,) = store.whatsapp_business_text_message_with_user_info_received(msg)
    assert isinstance(ask, GenerateAIAgentAnswerWithUserInfo)
    assert ask.causation_id == str(msg.message_id) and ask.conversation_id == CONV_ID
    assert ask.question == "¿horario?" and ask.customer == CUSTOMER and ask.phone == PHONE
    assert [t.message_id for t in ask.history] == ["w1"]
    assert_redelivery_is_harmless(
        store, store.whatsapp_business_text_message_with_user_info_received, msg)
    # Meta redelivers with the same wamid under a new envelope: still one message.
    again = msg.model_copy(update={"message_id": uuid4()})
    assert_redelivery_is_harmless(
        store, store.whatsapp_business_text_message_with_user_info_received, again)
    store.close()


def test_ai_answer_is_sent_and_redelivery_is_harmless(es_env: dict[str, str]) -> None:
    store = ConversationStore(env=es_env, clock=StepClock())
    (ask,) = store.whatsapp_business_text_message_with_user_info_received(with_info("w1"))
    answer = ai_answer(ask)
    (send,) = store.ai_agent_answer_generated(answer)
    assert isinstance(send, SendWhatsAppBusinessTextMessage)
    assert send.author == "ai" and send.text == "De 9 a 20." and send.reply_to_wamid == "w1"
    assert send.channel.phone_number_id == BUSINESS and send.channel.customer_phone == PHONE
    assert send.causation_id == str(answer.message_id)
    assert send.customer_last_message_at == T0
    assert_redelivery_is_harmless(store, store.ai_agent_answer_generated, answer)
    store.close()


def test_reply_goes_out_on_the_active_channel(store: ConversationStore) -> None:
    store.whatsapp_business_text_message_with_user_info_received(with_info("w1"))
    (ask,) = store.whatsapp_business_text_message_with_user_info_received(
        with_info("w2", phone_number_id="2077"))
    (send,) = store.ai_agent_answer_generated(ai_answer(ask))
    assert send.channel.phone_number_id == "2077"
    assert store.conversation(CONV_ID).channel["phone_number_id"] == "2077"


def test_open_ticket_routes_to_the_agent_until_closed(store: ConversationStore) -> None:
    open_cmd, send = open_ticket_flow(store)
    assert send.text == "Te paso." and open_cmd.language == "es" and open_cmd.customer == CUSTOMER
    assert open_cmd.conversation_id == CONV_ID and open_cmd.reason == "asked"
    (forward,) = store.whatsapp_business_text_message_with_user_info_received(
        with_info("w2", "mi pedido"))
    assert isinstance(forward, GenerateAgentAnswer)
    assert forward.ticket_id == open_cmd.ticket_id and forward.text == "mi pedido"
    closed = TicketClosed(**envelope(), ticket_id=open_cmd.ticket_id, conversation_id=CONV_ID,
                          agent_id="A", resolution="hecho")
    # "mi pedido" was forwarded but never answered by the agent: the AI takes it over.
    (handover,) = store.ticket_closed(closed)
    assert isinstance(handover, GenerateAIAgentAnswerWithUserInfo)
    assert handover.in_reply_to == "w2" and handover.question == "mi pedido"
    assert_redelivery_is_harmless(store, store.ticket_closed, closed)
    (ask,) = store.whatsapp_business_text_message_with_user_info_received(with_info("w3"))
    assert isinstance(ask, GenerateAIAgentAnswerWithUserInfo)
    # The AI may hand over again: a new ticket, not the closed one.
    out = store.ai_agent_answer_generated(ai_answer(ask, open_ticket=True))
    assert only(out, OpenTicket).ticket_id != open_cmd.ticket_id


def test_ticket_requested_only_once_while_open(store: ConversationStore) -> None:
    # Two messages the AI was asked about before a ticket (raced): the second answer asks for
    # a human too, once the first one ordered a ticket. It is sent, but orders no second one.
    (ask1,) = store.whatsapp_business_text_message_with_user_info_received(with_info("w1"))
    (ask2,) = store.whatsapp_business_text_message_with_user_info_received(with_info("w2"))
    first = store.ai_agent_answer_generated(ai_answer(ask1, open_ticket=True))
    assert [type(m) for m in first] == [SendWhatsAppBusinessTextMessage, OpenTicket]
    late = store.ai_agent_answer_generated(ai_answer(ask2, open_ticket=True))
    assert [type(m) for m in late] == [SendWhatsAppBusinessTextMessage]


def test_ticket_log_and_document(store: ConversationStore) -> None:
    open_cmd, _ = open_ticket_flow(store)
    tid = open_cmd.ticket_id
    opened = TicketOpened(**envelope(str(open_cmd.message_id)), ticket_id=tid,
                          conversation_id=CONV_ID)
    assigned = AgentAssigned(**envelope(), ticket_id=tid, conversation_id=CONV_ID,
                             agent_id="A", agent_name="Ana")
    assert store.ticket_opened(opened) == [] and store.agent_assigned(assigned) == []
    assert_redelivery_is_harmless(store, store.ticket_opened, opened)
    assert_redelivery_is_harmless(store, store.agent_assigned, assigned)
    doc = get(store)
    assert doc.found and doc.conversation_id == CONV_ID and doc.phone == PHONE
    assert doc.customer == CUSTOMER and doc.active_channel is not None
    assert doc.ticket is not None and doc.ticket.status == "assigned"
    assert doc.ticket.agent_id == "A" and doc.ticket.agent_name == "Ana"
    assert [(t.author, t.text) for t in doc.turns] == [
        ("customer", "hola"), ("ai", "Te paso."), ("system", "Ticket opened"),
        ("system", "Agent Ana assigned")]
    assert doc.version == store.conversation(CONV_ID).version


def test_reassignment_back_to_a_previous_agent_shows_in_the_document(
        store: ConversationStore) -> None:
    """A→B→A are three AgentAssigned events with three ids: the document must say A. A late
    redelivery of the first one must not change it."""
    open_cmd, _ = open_ticket_flow(store)
    tid = open_cmd.ticket_id
    to_a = AgentAssigned(**envelope(), ticket_id=tid, conversation_id=CONV_ID, agent_id="A",
                         agent_name="Ana")
    to_b = AgentAssigned(**envelope(), ticket_id=tid, conversation_id=CONV_ID, agent_id="B",
                         agent_name="Bea", previous_agent_id="A")
    back_to_a = AgentAssigned(**envelope(), ticket_id=tid, conversation_id=CONV_ID,
                              agent_id="A", agent_name="Ana", previous_agent_id="B")
    for msg in (to_a, to_b, back_to_a):
        store.agent_assigned(msg)
    assert get(store).ticket.agent_id == "A"
    assert store.agent_assigned(to_b) == []  # a late redelivery changes nothing
    assert get(store).ticket.agent_id == "A"


def priority_changed(tid: str, priority: str = "high", previous: str = "normal"
                     ) -> TicketPriorityChanged:
    return TicketPriorityChanged(**envelope(), ticket_id=tid, conversation_id=CONV_ID,
                                 priority=priority, previous_priority=previous, agent_id="A",
                                 agent_name="Ana")


def system_lines(store: ConversationStore) -> list[str]:
    return [t.text for t in store.transcript(CONV_ID) if t.author == "system"]


def test_a_ticket_activity_is_one_transcript_line_once(es_env: dict[str, str]) -> None:
    store = ConversationStore(env=es_env, clock=StepClock())
    tid = open_ticket_flow(store)[0].ticket_id
    change = priority_changed(tid)
    assert store.handle(change) == []
    line = "Priority changed from normal to high by Ana"
    assert change.transcript_line() == line
    assert system_lines(store) == [line]
    assert get(store).turns[-1].text == line  # in the document and the AI's context too
    assert store.conversation(CONV_ID).recent_turns[-1]["text"] == line
    assert_redelivery_is_harmless(store, store.handle, change)
    again = priority_changed(tid, "urgent", "high")
    result = store.handle_batch([again, again])  # redelivered within one batch
    assert not result.errors and result.emitted == []
    assert system_lines(store) == [line, again.transcript_line()]
    store.close()


def test_an_old_ticket_activity_redelivered_is_caught_by_its_receipt(
        es_env: dict[str, str]) -> None:
    store = ConversationStore(env=es_env, clock=StepClock())
    tid = open_ticket_flow(store)[0].ticket_id
    first = priority_changed(tid)
    changes = [first, *(priority_changed(tid, "low", "normal") for _ in range(RECENT_IDS))]
    for change in changes:
        store.handle(change)
    assert str(first.message_id) not in store.conversation(CONV_ID).recent_activities
    assert_redelivery_is_harmless(store, store.handle, first)
    assert len(system_lines(store)) == len(changes)
    store.close()


def test_agent_answer_is_sent_once(es_env: dict[str, str]) -> None:
    store = ConversationStore(env=es_env, clock=StepClock())
    open_cmd, _ = open_ticket_flow(store)
    store.whatsapp_business_text_message_with_user_info_received(with_info("w2", "pedido"))
    answer = AgentAnswerGenerated(**envelope(), ticket_id=open_cmd.ticket_id,
                                  conversation_id=CONV_ID, agent_id="A", agent_name="Ana",
                                  text="Lo miro")
    (send,) = store.agent_answer_generated(answer)
    assert isinstance(send, SendWhatsAppBusinessTextMessage)
    assert send.author == "agent" and send.reply_to_wamid == "w2" and send.text == "Lo miro"
    assert_redelivery_is_harmless(store, store.agent_answer_generated, answer)
    store.close()


def test_send_outcomes(store: ConversationStore) -> None:
    _, send = open_ticket_flow(store)
    sent = WhatsAppBusinessTextMessageSent(
        **envelope(str(send.message_id)), conversation_id=CONV_ID,
        send_message_id=str(send.message_id), wamids=("wamid.out.1",), to=PHONE)
    assert store.whatsapp_business_text_message_sent(sent) == []
    assert_redelivery_is_harmless(store, store.whatsapp_business_text_message_sent, sent)
    failed = WhatsAppBusinessTextMessageSendFailed(
        **envelope(), conversation_id=CONV_ID, send_message_id=str(send.message_id), to=PHONE,
        reason="late")
    assert_redelivery_is_harmless(store, store.whatsapp_business_text_message_send_failed,
                                  failed)
    status = WhatsAppBusinessTextMessageStatusUpdated(
        **envelope(), conversation_id=CONV_ID, wamid="wamid.out.1", status="read",
        recipient_phone=PHONE, phone_number_id=BUSINESS)
    assert store.whatsapp_business_text_message_status_updated(status) == []
    assert_redelivery_is_harmless(store, store.whatsapp_business_text_message_status_updated,
                                  status)
    conv = store.conversation(CONV_ID)
    assert str(send.message_id) not in conv.unsettled
    assert conv.outbound_status["wamid.out.1"] == "read"


def test_send_failure_is_recorded(store: ConversationStore) -> None:
    _, send = open_ticket_flow(store)
    failed = WhatsAppBusinessTextMessageSendFailed(
        **envelope(), conversation_id=CONV_ID, send_message_id=str(send.message_id), to=PHONE,
        code=131047, reason="24 h window")
    assert store.whatsapp_business_text_message_send_failed(failed) == []
    assert_redelivery_is_harmless(store, store.whatsapp_business_text_message_send_failed,
                                  failed)
    assert get(store).turns[-1].text == "Reply not delivered: 24 h window"


def test_get_conversation_not_found(store: ConversationStore) -> None:
    query = GetConversation(**envelope(), conversation_id="no-such-conversation")
    doc = store.get_conversation(query)
    assert doc.found is False and doc.turns == () and doc.ticket is None
    assert doc.causation_id == str(query.message_id)
    assert doc.message_id == store.get_conversation(query).message_id


def test_get_conversation_turns_in_order(store: ConversationStore) -> None:
    for i in range(5):
        (ask,) = store.whatsapp_business_text_message_with_user_info_received(
            with_info(f"w{i}", f"q{i}", customer=None))
        store.ai_agent_answer_generated(ai_answer(ask, text=f"a{i}"))
    doc = get(store)
    assert [t.text for t in doc.turns] == [x for i in range(5) for x in (f"q{i}", f"a{i}")]
    assert doc.customer is None and doc.ticket is None


def test_messages_for_unknown_conversations_raise(store: ConversationStore) -> None:
    closed = TicketClosed(**envelope(), ticket_id=str(uuid4()), conversation_id=str(uuid4()),
                          resolution="x")
    with pytest.raises(UnknownConversationError):
        store.ticket_closed(closed)
    with pytest.raises(UnknownConversationError):
        store.conversation("not-a-uuid")


def test_conversation_for_phone(store: ConversationStore) -> None:
    assert store.conversation_for_phone(PHONE) is None
    store.whatsapp_business_text_message_with_user_info_received(with_info("w1"))
    conv = store.conversation_for_phone(PHONE)
    assert conv is not None and str(conv.id) == CONV_ID


def test_a_version_clash_retries_on_a_fresh_copy(es_env: dict[str, str]) -> None:
    """Two handlers for the same conversation meet at the version check: the loser re-runs
    its decision on a fresh copy, and both messages are kept (docs/architecture.md,
    "Concurrency")."""
    store = ConversationStore(env=es_env, clock=StepClock())
    other = ConversationStore(env=es_env, clock=StepClock()) if (
        es_env["PERSISTENCE_MODULE"] != "eventsourcing.popo") else store
    store.whatsapp_business_text_message_with_user_info_received(with_info("w1"))
    attempts = []

    def decide(uow: UnitOfWork) -> None:
        conv = uow.get(CONV_ID, Conversation)
        assert conv is not None
        if not attempts:  # a concurrent handler saves first
            other.whatsapp_business_text_message_with_user_info_received(with_info("w2"))
        attempts.append(conv.version)
        conv.receive_customer_message(wamid="w3", text="x", message_type="text", sent_at=T0,
                                      channel=conv.channel, customer=conv.customer, at=T0)

    out = store.run(decide)
    assert len(attempts) == 2 and attempts[1] > attempts[0]
    assert [type(m).__name__ for m in out] == ["GenerateAIAgentAnswerWithUserInfo"]
    assert [t.message_id for t in store.transcript(CONV_ID)] == ["w1", "w2", "w3"]
    store.close()
    other.close()


def test_a_clash_that_never_ends_raises(store: ConversationStore) -> None:
    from eventsourcing.persistence import IntegrityError

    from helpline.application.base import CONCURRENCY_RETRIES

    store.whatsapp_business_text_message_with_user_info_received(with_info("w1"))
    attempts = []

    def decide(uow: UnitOfWork) -> None:
        conv = uow.get(CONV_ID, Conversation)
        assert conv is not None
        attempts.append(conv.version)
        store.whatsapp_business_text_message_with_user_info_received(
            with_info(f"other-{len(attempts)}"))
        conv.receive_customer_message(wamid="mine", text="x", message_type="text", sent_at=T0,
                                      channel=conv.channel, customer=conv.customer, at=T0)

    with pytest.raises(IntegrityError):
        store.run(decide)
    assert len(attempts) == CONCURRENCY_RETRIES
    assert not store.conversation(CONV_ID).knows_message("mine")


def test_find_checks_the_aggregate_type(store: ConversationStore) -> None:
    from helpline.domain import Ticket

    store.whatsapp_business_text_message_with_user_info_received(with_info("w1"))
    assert store.find(CONV_ID, Ticket) is None
    assert store.find("not-a-uuid", Ticket) is None
