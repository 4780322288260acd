"""The AgentDesk's agent actions on every store (notes, transfers, reopening, canned
replies), and, through the in-process runner, what a reopened ticket does to the
conversation, the audit timeline and the AI's suggested reply."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import get_args
from uuid import uuid4

import pytest
from app_helpers import CONV_ID, CUSTOMER, PHONE, T0, ScriptedAnswerer, StepClock, inbound, log_size

from helpline.application import (
    AgentDesk,
    InMemoryCustomerDirectory,
    NotAllowedError,
    RecordingSender,
    UnknownTicketError,
)
from helpline.application.assist import plain_reason, suggest_reply, why_no_draft
from helpline.application.timeline import timeline
from helpline.bootstrap import Container, bootstrap
from helpline.catalog import (
    AgentAnswerGenerated,
    Attachment,
    OpenTicket,
    Priority,
    SendWhatsAppBusinessTextMessage,
    TicketClosed,
    TicketOpened,
    TicketPriorityChanged,
    TicketReopened,
)
from helpline.config import Settings
from helpline.domain import DomainError, Ticket, TicketNotOpenError, UnknownAgentError
from helpline.domain.ids import derived_id
from helpline.domain.ticket import PRIORITIES
from tests.conftest import PG_DB

pytestmark = pytest.mark.unit


def open_cmd(n: int = 1) -> OpenTicket:
    return OpenTicket(message_id=uuid4(), correlation_id=CONV_ID, occurred_at=T0,
                      ticket_id=str(derived_id(CONV_ID, "ticket", n)), conversation_id=CONV_ID,
                      phone=PHONE, customer=CUSTOMER, reason="asked", language="es")


def agent(desk: AgentDesk, agent_id: str, online: bool = True) -> str:
    desk.register_agent(name=agent_id.title(), email=f"{agent_id}@x.es", languages=["es"],
                        max_tickets=2, agent_id=agent_id)
    if online:
        desk.set_agent_status(agent_id, online=True)
    return agent_id


@pytest.fixture
def desk(es_env: dict[str, str]) -> Iterator[AgentDesk]:
    app = AgentDesk(env=es_env, clock=StepClock())
    yield app
    app.close()


def held_by_ana(desk: AgentDesk) -> str:
    """Ana (online) holds a new ticket; Bea (offline) holds nothing. The ticket's id."""
    agent(desk, "ana")
    agent(desk, "bea", online=False)
    tid = open_cmd().ticket_id
    desk.open_ticket(open_cmd())
    return tid


def test_notes_are_stored_on_tickets_the_caller_may_act_on_and_publish_nothing(
        desk: AgentDesk) -> None:
    tid = held_by_ana(desk)
    size = log_size(desk)
    note_id = desk.add_note(tid, agent_id="ana", text="Cliente VIP")
    admin_note = desk.add_note(tid, agent_id=None, text="Revisado")
    assert log_size(desk) == size + 2
    notes = [e for e in desk.events.get(desk.ticket(tid).id) if isinstance(e, Ticket.NoteAdded)]
    assert [(n.note_id, n.author_name, n.text) for n in notes] == [
        (note_id, "Ana", "Cliente VIP"), (admin_note, "Admin", "Revisado")]
    assert all(desk.messages_for(n) == [] for n in notes)  # never sent anywhere
    with pytest.raises(NotAllowedError):
        desk.add_note(tid, agent_id="bea", text="no es mío")
    with pytest.raises(UnknownTicketError):
        desk.add_note(str(uuid4()), agent_id="ana", text="x")
    assert log_size(desk) == size + 2


def test_a_priority_change_by_the_holder_or_the_admin_publishes_ticket_priority_changed(
        desk: AgentDesk) -> None:
    tid = held_by_ana(desk)
    (change,) = desk.set_priority(tid, agent_id="ana", priority="high")
    assert isinstance(change, TicketPriorityChanged)
    assert (change.ticket_id, change.conversation_id, change.priority,
            change.previous_priority, change.agent_id, change.agent_name) == (
        tid, CONV_ID, "high", "normal", "ana", "Ana")
    assert desk.set_priority(tid, agent_id=None, priority="high") == []  # unchanged
    (by_admin,) = desk.set_priority(tid, agent_id=None, priority="urgent")
    assert isinstance(by_admin, TicketPriorityChanged)
    assert (by_admin.agent_id, by_admin.agent_name) == (None, "Admin")
    with pytest.raises(NotAllowedError):
        desk.set_priority(tid, agent_id="bea", priority="low")
    assert desk.ticket(tid).priority == "urgent"
    assert get_args(Priority) == PRIORITIES  # the contract's and the rule's priorities agree


def test_transfer_by_the_holder_the_queue_or_the_admin(desk: AgentDesk) -> None:
    agent(desk, "ana")
    agent(desk, "bea", online=False)
    agent(desk, "carla", online=False)
    tid = open_cmd().ticket_id
    desk.open_ticket(open_cmd())
    with pytest.raises(NotAllowedError):
        desk.transfer(tid, to_agent_id="bea", by_agent_id="carla")
    out = desk.transfer(tid, to_agent_id="bea", by_agent_id="ana")
    assert [m.catalog_id for m in out] == ["agent-assigned", "get-conversation"]
    assert desk.ticket(tid).agent_id == "bea"
    assert desk.roster().holder_of(tid) == "bea"
    assert desk.transfer(tid, to_agent_id="bea", by_agent_id="bea") == []
    with pytest.raises(UnknownAgentError):
        desk.transfer(tid, to_agent_id="nadie", by_agent_id=None)
    desk.transfer(tid, to_agent_id="carla", by_agent_id=None)
    moves = [(e.by, e.agent_id) for e in desk.events.get(desk.ticket(tid).id)
             if isinstance(e, Ticket.AgentAssigned)]
    assert moves == [(None, "ana"), ("agent:ana", "bea"), ("admin", "carla")]
    desk.close_ticket(tid, resolution="hecho", agent_id="carla")
    with pytest.raises(TicketNotOpenError):
        desk.transfer(tid, to_agent_id="ana", by_agent_id=None)


def test_a_queued_ticket_can_be_taken_over_by_any_agent(desk: AgentDesk) -> None:
    agent(desk, "bea", online=False)
    tid = open_cmd().ticket_id
    desk.open_ticket(open_cmd())
    assert desk.ticket(tid).status == "queued"
    desk.transfer(tid, to_agent_id="bea", by_agent_id="bea")
    assert desk.ticket(tid).agent_id == "bea" and desk.roster().queue == []


def test_reopen_by_its_agent_by_the_admin_and_refusals(desk: AgentDesk) -> None:
    agent(desk, "ana")
    agent(desk, "bea", online=False)
    tid = open_cmd().ticket_id
    desk.open_ticket(open_cmd())
    assert desk.reopen(tid, agent_id="ana") == []  # open: nothing to do
    desk.close_ticket(tid, resolution="hecho", agent_id="ana")
    with pytest.raises(NotAllowedError):
        desk.reopen(tid, agent_id="bea")
    out = desk.reopen(tid, agent_id="ana")
    assert [m.catalog_id for m in out] == ["ticket-reopened", "get-conversation"]
    reopened = out[0]
    assert isinstance(reopened, TicketReopened)
    assert (reopened.ticket_id, reopened.agent_id, reopened.agent_name) == (tid, "ana", "Ana")
    assert desk.roster().holder_of(tid) == "ana"
    desk.close_ticket(tid, resolution="otra vez", agent_id="ana")
    desk.set_agent_status("ana", online=False)
    (queued,) = desk.reopen(tid, agent_id=None)
    assert isinstance(queued, TicketReopened) and queued.agent_id is None
    assert [q["ticket_id"] for q in desk.roster().queue] == [tid]
    assert desk.set_agent_status("bea", online=True)[0].catalog_id == "agent-assigned"
    assert desk.ticket(tid).agent_id == "bea"


def test_no_reopen_while_the_customer_has_another_open_ticket(desk: AgentDesk) -> None:
    agent(desk, "ana")
    first = open_cmd(1).ticket_id
    desk.open_ticket(open_cmd(1))
    desk.close_ticket(first, resolution="hecho", agent_id="ana")
    desk.open_ticket(open_cmd(2))
    with pytest.raises(DomainError, match="another open ticket"):
        desk.reopen(first, agent_id="ana")
    assert not desk.ticket(first).is_open


def test_canned_replies_are_stored_events(desk: AgentDesk) -> None:
    assert desk.canned_replies() == []
    saved = desk.save_canned_reply("saludo", title="Saludo", text="Hola {customer_name}")
    assert saved == {"id": "saludo", "title": "Saludo", "text": "Hola {customer_name}"}
    desk.save_canned_reply("envio", title="Envío", text="Sale hoy, {customer_name}.")
    assert [r["id"] for r in desk.canned_replies()] == ["envio", "saludo"]
    with pytest.raises(DomainError, match="unknown placeholder"):
        desk.save_canned_reply("malo", title="Malo", text="Hola {nombre}")
    assert desk.delete_canned_reply("envio") and not desk.delete_canned_reply("envio")
    assert [r["id"] for r in desk.canned_replies()] == ["saludo"]


# -- the five services in-process: reopening, the timeline and the suggestion ----------------


@pytest.fixture(params=["sqlite", "postgres"])
def container(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Container]:
    if request.param == "postgres":
        settings = Settings(persistence_module="eventsourcing.postgres", postgres_dbname=PG_DB,
                            postgres_schema=request.getfixturevalue("pg_schema"),
                            helpline_data_dir=tmp_path)
    else:
        settings = Settings(persistence_module="eventsourcing.sqlite", helpline_data_dir=tmp_path)
    built = bootstrap(settings, answerer=ScriptedAnswerer(), sender=RecordingSender(),
                      directory=InMemoryCustomerDirectory([CUSTOMER]), clock=StepClock())
    yield built
    built.close()


def escalated(container: Container) -> tuple[str, list[str]]:
    """Ana is online and the customer asked for a person: the ticket and the catalog ids
    delivered."""
    runner = container.runner()
    desk = container.services.desk
    desk.register_agent(name="Ana", email="ana@x.es", languages=["es"], agent_id="ana")
    runner.publish(*desk.set_agent_status("ana", online=True))
    delivered = runner.publish(inbound("w1", "PERSON please"))
    tid = next(m.ticket_id for m in delivered if isinstance(m, TicketOpened))
    return tid, [m.catalog_id for m in delivered]


def test_a_reopened_ticket_takes_the_customers_next_messages_from_the_ai(
        container: Container) -> None:
    runner = container.runner()
    desk, store = container.services.desk, container.services.store
    answerer = container.services.rag.answerer
    assert isinstance(answerer, ScriptedAnswerer)
    tid, _ = escalated(container)
    closing = desk.close_ticket(tid, resolution="hecho", agent_id="ana")
    runner.publish(*closing)
    assert not store.conversation(CONV_ID).has_open_ticket
    runner.publish(*desk.reopen(tid, agent_id="ana"))
    assert store.conversation(CONV_ID).ticket == {
        "ticket_id": tid, "status": "assigned", "agent_id": "ana", "agent_name": "Ana",
        "opened": True, "assignments": []}
    asked = len(answerer.calls)
    delivered = [m.catalog_id for m in runner.publish(inbound("w2", "sigue sin llegar"))]
    assert "generate-agent-answer" in delivered
    assert "generate-ai-agent-answer-with-user-info" not in delivered
    assert len(answerer.calls) == asked
    assert desk.ticket(tid).forwarded[-1]["text"] == "sigue sin llegar"
    # A late redelivery of the first closing does not close the reopened ticket.
    (first_closing,) = [m for m in closing if isinstance(m, TicketClosed)]
    runner.publish(first_closing)
    assert store.conversation(CONV_ID).current_ticket(tid) is not None
    # Closed again, the AI answers the next message.
    runner.publish(*desk.close_ticket(tid, resolution="por fin", agent_id="ana"))
    delivered = [m.catalog_id for m in runner.publish(inbound("w3", "gracias"))]
    assert "generate-ai-agent-answer-with-user-info" in delivered
    turns = [t.text for t in store.transcript(CONV_ID)]
    assert "Ticket reopened for Ana" in turns and turns.count("Ticket closed: hecho") == 1


def test_a_priority_change_is_a_line_of_the_conversation_once(container: Container) -> None:
    runner = container.runner()
    desk, store = container.services.desk, container.services.store
    tid, _ = escalated(container)
    changes = desk.set_priority(tid, agent_id="ana", priority="high")
    runner.publish(*changes)
    runner.publish(*changes)  # redelivered
    turns = [t.text for t in store.transcript(CONV_ID)]
    assert turns.count("Priority changed from normal to high by Ana") == 1


def test_the_timeline_reads_both_stores_in_time_order(container: Container) -> None:
    runner = container.runner()
    desk, store = container.services.desk, container.services.store
    tid, _ = escalated(container)
    desk.add_note(tid, agent_id="ana", text="Cliente VIP")
    runner.publish(*desk.answer(tid, agent_id="ana", text="Lo miro ahora"))
    runner.publish(*desk.set_priority(tid, agent_id="ana", priority="high"))
    runner.publish(*desk.close_ticket(tid, resolution="Pedido reenviado", agent_id="ana"))
    runner.publish(*desk.reopen(tid, agent_id=None))
    entries = timeline(desk, store, tid)
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    said = [(e.actor, e.action) for e in entries]
    expected = [
        ("customer", "Wrote “PERSON please”."),
        ("system", "Opened the ticket: asked."),
        ("system", "Assigned the ticket to Ana."),
        ("agent:Ana", "Added an internal note “Cliente VIP”."),
        ("agent:Ana", "Replied “Lo miro ahora”."),
        ("agent:Ana", "Changed the priority from normal to high."),
        ("system", "Showed “Priority changed from normal to high by Ana” in the "
                   "conversation."),
        ("agent:Ana", "Closed the ticket: “Pedido reenviado”."),
        ("admin", "Reopened the ticket for Ana."),
        ("system", "A person answers the conversation again."),
    ]
    positions = [said.index(x) for x in expected]
    assert positions == sorted(positions), said
    sources = {e.source for e in entries}
    assert sources == {"agent_desk", "conversation_store"}
    assert all(e.version >= 1 and e.event for e in entries)


def test_the_suggestion_drafts_from_the_answerer_and_sends_nothing(
        container: Container) -> None:
    runner = container.runner()
    desk, store = container.services.desk, container.services.store
    answerer = container.services.rag.answerer
    assert isinstance(answerer, ScriptedAnswerer)
    tid, _ = escalated(container)
    runner.publish(inbound("w2", "¿cuándo llega?"))
    sizes = (log_size(store), log_size(desk))
    sender = container.services.whatsapp.sender
    assert isinstance(sender, RecordingSender)
    sent = len(sender.sent)
    draft = suggest_reply(store, answerer, desk.ticket(tid).conversation_id)
    assert (draft.text, draft.sources, draft.confidence, draft.reason) == (
        "answer to ¿cuándo llega?", ("kb/x.md",), 0.8, None)
    question, history, customer = answerer.calls[-1]
    assert question == "¿cuándo llega?" and history[-1].text == "¿cuándo llega?"
    assert customer == CUSTOMER
    assert (log_size(store), log_size(desk), len(sender.sent)) == (*sizes, sent)
    runner.publish(inbound("w3", "PERSON otra vez"))
    handed = suggest_reply(store, answerer, CONV_ID)
    assert handed.text is None and handed.reason == "asked"
    assert suggest_reply(store, answerer, str(uuid4())).reason == (
        "The conversation is not recorded yet; try again in a moment.")


def test_hand_off_reasons_in_plain_words() -> None:
    assert why_no_draft("no document passes the threshold (0.00 < 0.14)") == (
        "The knowledge base has nothing that answers this message.")
    assert why_no_draft("No answer in the knowledge base.") == (
        "The knowledge base has nothing that answers this message.")
    assert "asked for a person" in why_no_draft("The customer asked for a person.")
    assert "not sure enough" in why_no_draft("coverage 0.31 < 0.50")
    assert why_no_draft(None).startswith("The knowledge base has no answer")
    assert len(why_no_draft("x" * 1000)) == 300
    with pytest.deprecated_call():  # the name it had before
        assert plain_reason(None) == why_no_draft(None)


def test_an_agent_s_attachment_travels_from_the_desk_to_the_send_command(
        container: Container) -> None:
    runner = container.runner()
    desk = container.services.desk
    tid, _ = escalated(container)
    attachment = Attachment(kind="document", sha256="ab" * 32, mime_type="application/pdf",
                            filename="factura.pdf", size=1234)
    delivered = runner.publish(*desk.answer(tid, agent_id="ana", text="Tu factura",
                                            attachment=attachment))
    (send,) = [m for m in delivered if isinstance(m, SendWhatsAppBusinessTextMessage)
               and m.author == "agent"]
    assert send.attachment == attachment and send.text == "Tu factura"
    (answered,) = [m for m in delivered if isinstance(m, AgentAnswerGenerated)]
    assert answered.attachment == attachment
    # A plain answer carries none.
    delivered = runner.publish(*desk.answer(tid, agent_id="ana", text="¿Algo más?"))
    assert [m.attachment for m in delivered
            if isinstance(m, SendWhatsAppBusinessTextMessage)] == [None]
