"""AgentDesk (ms-agents): tickets, the roster, human answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from app_helpers import CONV_ID, CUSTOMER, PHONE, T0, StepClock, log_size

from helpline.application import AgentDesk, NotAllowedError, UnknownTicketError
from helpline.catalog import (
    AgentAnswerGenerated,
    AgentAssigned,
    ConversationDocument,
    GenerateAgentAnswer,
    GetConversation,
    OpenTicket,
    TicketClosed,
    TicketOpened,
    Turn,
)
from helpline.domain import TicketNotOpenError, UnknownAgentError
from helpline.domain.errors import AgentAlreadyRegisteredError
from helpline.domain.ids import derived_id

pytestmark = pytest.mark.unit


@pytest.fixture
def desk() -> Iterator[AgentDesk]:
    app = AgentDesk(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=StepClock())
    yield app
    app.close()


def open_cmd(n: int = 1, conversation_id: str = CONV_ID, language: str | None = "es"
             ) -> OpenTicket:
    return OpenTicket(message_id=uuid4(), correlation_id=conversation_id, occurred_at=T0,
                      ticket_id=str(derived_id(conversation_id, "ticket", n)),
                      conversation_id=conversation_id, phone=PHONE, customer=CUSTOMER,
                      reason="asked", language=language)


def agent(desk: AgentDesk, agent_id: str, languages: list[str] | None = None,
          max_tickets: int = 2, online: bool = True) -> str:
    desk.register_agent(name=agent_id.title(), email=f"{agent_id}@x.es", languages=languages,
                        max_tickets=max_tickets, agent_id=agent_id)
    if online:
        desk.set_agent_status(agent_id, online=True)
    return agent_id


def kinds(messages: list[Any]) -> list[str]:
    return [type(m).__name__ for m in messages]


def assert_redelivery_is_harmless(desk: AgentDesk, handler: Any, msg: Any) -> None:
    size = log_size(desk)
    assert handler(msg) == []
    assert log_size(desk) == size


def test_open_ticket_assigns_a_free_agent(es_env: dict[str, str]) -> None:
    desk = AgentDesk(env=es_env, clock=StepClock())
    agent(desk, "ana", ["es"])
    cmd = open_cmd()
    out = desk.open_ticket(cmd)
    assert kinds(out) == ["TicketOpened", "AgentAssigned", "GetConversation"]
    opened, assigned, query = out
    assert isinstance(opened, TicketOpened) and opened.ticket_id == cmd.ticket_id
    assert opened.causation_id == str(cmd.message_id) and opened.conversation_id == CONV_ID
    assert isinstance(assigned, AgentAssigned) and assigned.agent_id == "ana"
    assert assigned.agent_name == "Ana" and assigned.previous_agent_id is None
    assert isinstance(query, GetConversation) and query.conversation_id == CONV_ID
    assert desk.ticket(cmd.ticket_id).agent_id == "ana"
    assert_redelivery_is_harmless(desk, desk.open_ticket, cmd)
    desk.close()


def test_open_ticket_queues_when_nobody_is_free(desk: AgentDesk) -> None:
    agent(desk, "ana", online=False)
    cmd = open_cmd()
    assert kinds(desk.open_ticket(cmd)) == ["TicketOpened"]
    assert desk.ticket(cmd.ticket_id).status == "queued"
    assert [q["ticket_id"] for q in desk.roster().queue] == [cmd.ticket_id]
    out = desk.set_agent_status("ana", online=True)
    assert kinds(out) == ["AgentAssigned", "GetConversation"]
    assert desk.ticket(cmd.ticket_id).agent_id == "ana"
    assert desk.set_agent_status("ana", online=True) == []


def test_one_open_ticket_per_conversation(desk: AgentDesk) -> None:
    agent(desk, "ana")
    first, second = open_cmd(1), open_cmd(2)
    desk.open_ticket(first)
    assert_redelivery_is_harmless(desk, desk.open_ticket, second)
    with pytest.raises(UnknownTicketError):
        desk.ticket(second.ticket_id)
    # Another conversation gets its own ticket.
    other = open_cmd(1, conversation_id=str(uuid4()))
    assert kinds(desk.open_ticket(other))[0] == "TicketOpened"


def test_closing_frees_capacity_for_the_next_ticket(desk: AgentDesk) -> None:
    agent(desk, "ana", max_tickets=1)
    first = open_cmd(1)
    second = open_cmd(1, conversation_id=str(uuid4()))
    desk.open_ticket(first)
    assert kinds(desk.open_ticket(second)) == ["TicketOpened"]
    out = desk.close_ticket(first.ticket_id, resolution="hecho", agent_id="ana")
    assert kinds(out) == ["TicketClosed", "AgentAssigned", "GetConversation"]
    closed = out[0]
    assert isinstance(closed, TicketClosed) and closed.resolution == "hecho"
    assert closed.agent_id == "ana" and closed.conversation_id == CONV_ID
    assert desk.ticket(second.ticket_id).agent_id == "ana"
    size = log_size(desk)
    assert desk.close_ticket(first.ticket_id, resolution="hecho", agent_id="ana") == []
    assert log_size(desk) == size
    # The conversation may have a ticket again.
    assert kinds(desk.open_ticket(open_cmd(2)))[0] == "TicketOpened"


def test_close_guards(desk: AgentDesk) -> None:
    agent(desk, "ana")
    agent(desk, "bea")
    cmd = open_cmd()
    desk.open_ticket(cmd)
    holder = desk.ticket(cmd.ticket_id).agent_id
    other = "bea" if holder == "ana" else "ana"
    with pytest.raises(NotAllowedError):
        desk.close_ticket(cmd.ticket_id, resolution="x", agent_id=other)
    with pytest.raises(UnknownTicketError):
        desk.close_ticket(str(uuid4()), resolution="x", agent_id=None)
    # An admin (agent_id None) may close any ticket, even a queued one.
    assert kinds(desk.close_ticket(cmd.ticket_id, resolution="x", agent_id=None)) == [
        "TicketClosed"]


def test_admin_closes_a_queued_ticket(desk: AgentDesk) -> None:
    cmd = open_cmd()
    desk.open_ticket(cmd)
    assert kinds(desk.close_ticket(cmd.ticket_id, resolution="x", agent_id=None)) == [
        "TicketClosed"]
    assert desk.roster().queue == []


def test_answer(es_env: dict[str, str]) -> None:
    desk = AgentDesk(env=es_env, clock=StepClock())
    agent(desk, "ana")
    cmd = open_cmd()
    desk.open_ticket(cmd)
    (answer,) = desk.answer(cmd.ticket_id, agent_id="ana", text="Hola", answer_id="k1")
    assert isinstance(answer, AgentAnswerGenerated)
    assert answer.agent_id == "ana" and answer.agent_name == "Ana" and answer.text == "Hola"
    assert answer.conversation_id == CONV_ID and answer.ticket_id == cmd.ticket_id
    size = log_size(desk)
    assert desk.answer(cmd.ticket_id, agent_id="ana", text="Hola", answer_id="k1") == []
    assert log_size(desk) == size
    # Without an answer id each call is a new answer.
    assert len(desk.answer(cmd.ticket_id, agent_id="ana", text="Otra")) == 1
    desk.close()


def test_answer_guards(desk: AgentDesk) -> None:
    agent(desk, "ana")
    agent(desk, "bea", online=False)
    cmd = open_cmd()
    desk.open_ticket(cmd)
    with pytest.raises(NotAllowedError):
        desk.answer(cmd.ticket_id, agent_id="bea", text="Hola")
    with pytest.raises(UnknownTicketError):
        desk.answer(str(uuid4()), agent_id="ana", text="Hola")
    desk.answer(cmd.ticket_id, agent_id="ana", text="Hola", answer_id="k1")
    desk.close_ticket(cmd.ticket_id, resolution="x", agent_id="ana")
    assert desk.answer(cmd.ticket_id, agent_id="ana", text="Hola", answer_id="k1") == []
    with pytest.raises(TicketNotOpenError):
        desk.answer(cmd.ticket_id, agent_id="ana", text="tarde", answer_id="k2")


def test_generate_agent_answer_is_forwarded_once(desk: AgentDesk) -> None:
    agent(desk, "ana")
    cmd = open_cmd()
    desk.open_ticket(cmd)
    forward = GenerateAgentAnswer(
        message_id=uuid4(), correlation_id=CONV_ID, occurred_at=T0, conversation_id=CONV_ID,
        ticket_id=cmd.ticket_id, in_reply_to="w2", text="pedido", phone=PHONE)
    assert desk.generate_agent_answer(forward) == []  # stored, publishes nothing
    assert desk.ticket(cmd.ticket_id).forwarded[0]["text"] == "pedido"
    assert_redelivery_is_harmless(desk, desk.generate_agent_answer, forward)


def test_conversation_document_kept_in_the_open_ticket(desk: AgentDesk) -> None:
    cmd = open_cmd()
    desk.open_ticket(cmd)
    turns = (Turn(author="customer", text="hola", at=T0, message_id="w1"),)
    doc = ConversationDocument(message_id=uuid4(), correlation_id=CONV_ID, occurred_at=T0,
                               conversation_id=CONV_ID, turns=turns, version=5,
                               ticket={"ticket_id": cmd.ticket_id, "status": "open"})
    assert desk.conversation_document(doc) == []
    assert desk.ticket(cmd.ticket_id).document_version == 5
    assert desk.ticket(cmd.ticket_id).document_turns[0]["text"] == "hola"
    assert_redelivery_is_harmless(desk, desk.conversation_document, doc)
    missing = doc.model_copy(update={"found": False, "version": 9})
    assert_redelivery_is_harmless(desk, desk.conversation_document, missing)
    elsewhere = doc.model_copy(update={"conversation_id": str(uuid4()), "version": 9})
    assert_redelivery_is_harmless(desk, desk.conversation_document, elsewhere)


def test_reassign(desk: AgentDesk) -> None:
    agent(desk, "ana", max_tickets=1)
    agent(desk, "bea", max_tickets=1)
    cmd = open_cmd()
    desk.open_ticket(cmd)
    holder = desk.ticket(cmd.ticket_id).agent_id
    other = "bea" if holder == "ana" else "ana"
    out = desk.reassign(cmd.ticket_id, agent_id=other)
    assert kinds(out) == ["AgentAssigned", "GetConversation"]
    assigned = out[0]
    assert isinstance(assigned, AgentAssigned)
    assert assigned.agent_id == other and assigned.previous_agent_id == holder
    assert desk.roster().holder_of(cmd.ticket_id) == other
    assert desk.reassign(cmd.ticket_id, agent_id=other) == []
    with pytest.raises(UnknownAgentError):
        desk.reassign(cmd.ticket_id, agent_id="nobody")


def test_reassign_gives_the_freed_capacity_to_a_waiting_ticket(desk: AgentDesk) -> None:
    """Ana (capacity 1) holds t1 and t2 waits; t1 moves to Bea: Ana is free, t2 must not wait."""
    agent(desk, "ana", max_tickets=1)
    first = open_cmd(1)
    desk.open_ticket(first)
    agent(desk, "bea", max_tickets=1, online=False)
    second = open_cmd(1, conversation_id=str(uuid4()))
    desk.open_ticket(second)
    assert desk.ticket(second.ticket_id).status == "queued"
    desk.reassign(first.ticket_id, agent_id="bea")
    assert desk.ticket(second.ticket_id).agent_id == "ana"


def test_register_and_authenticate(desk: AgentDesk) -> None:
    new = desk.register_agent(name="Ana", email="ana@x.es", languages=["es"])
    assert new.agent_id.startswith("agt_") and len(new.token) > 20
    me = desk.authenticate(new.token)
    assert me is not None and me["agent_id"] == new.agent_id and "token_hash" not in me
    assert desk.authenticate("wrong") is None
    with pytest.raises(AgentAlreadyRegisteredError):
        desk.register_agent(name="Ana 2", email="ana@x.es")
    with pytest.raises(UnknownAgentError):
        desk.set_agent_status("nobody", online=True)


def test_ticket_not_found(desk: AgentDesk) -> None:
    with pytest.raises(UnknownTicketError):
        desk.ticket("not-a-uuid")
    with pytest.raises(UnknownTicketError):
        desk.ticket(str(uuid4()))


def test_a_redelivered_old_document_does_not_go_into_the_next_ticket(desk: AgentDesk) -> None:
    """The document of ticket 1, redelivered while ticket 2 waits in the queue, is stale: it
    must not be stored as ticket 2's view (a redelivery stores nothing new)."""
    agent(desk, "ana")
    first = open_cmd(1)
    desk.open_ticket(first)
    turns = (Turn(author="customer", text="hola", at=T0, message_id="w1"),)
    old_doc = ConversationDocument(message_id=uuid4(), correlation_id=CONV_ID, occurred_at=T0,
                                   conversation_id=CONV_ID, turns=turns, version=5,
                                   ticket={"ticket_id": first.ticket_id, "status": "assigned",
                                           "agent_id": "ana", "agent_name": "Ana"})
    desk.conversation_document(old_doc)
    desk.close_ticket(first.ticket_id, resolution="ok", agent_id="ana")
    desk.set_agent_status("ana", online=False)
    second = open_cmd(2)
    desk.open_ticket(second)
    assert_redelivery_is_harmless(desk, desk.conversation_document, old_doc)
    assert desk.ticket(second.ticket_id).document_turns == []


def test_tokens_are_rotated_and_revoked(desk: AgentDesk) -> None:
    new = desk.register_agent(name="Ana", email="ana@example.com", agent_id="ana")
    rotated = desk.rotate_token("ana")
    assert rotated != new.token
    assert desk.authenticate(new.token) is None  # the old token stops working at once
    assert desk.authenticate(rotated) is not None
    desk.revoke_token("ana")
    assert desk.authenticate(rotated) is None and desk.authenticate("") is None
    assert desk.authenticate(desk.rotate_token("ana")) is not None
    with pytest.raises(UnknownAgentError):
        desk.revoke_token("nobody")


def test_removing_an_agent_gives_their_tickets_to_others(desk: AgentDesk) -> None:
    token = desk.register_agent(name="Ana", email="ana@x.es", languages=["es"], max_tickets=2,
                                agent_id="ana").token
    desk.set_agent_status("ana", online=True)
    desk.open_ticket(open_cmd(1))
    desk.open_ticket(open_cmd(2, conversation_id=str(uuid4())))
    held = desk.roster().agent("ana")["tickets"]
    assert len(held) == 2
    agent(desk, "bea", ["en"], max_tickets=1)
    assert desk.authenticate(token) is not None
    out = desk.remove_agent("ana")
    assert desk.authenticate(token) is None
    with pytest.raises(UnknownAgentError):
        desk.roster().agent("ana")
    # Bea takes the first (her capacity is one); the other waits first in the queue.
    assert kinds(out) == ["AgentAssigned", "GetConversation"]
    assert desk.ticket(held[0]).agent_id == "bea"
    waiting = desk.ticket(held[1])
    assert waiting.agent_id is None and waiting.status == "queued"
    assert [q["ticket_id"] for q in desk.roster().queue] == [held[1]]
    assert desk.roster().queue[0]["language"] == "es"
