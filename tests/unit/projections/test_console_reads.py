"""The console's reads over the projections, on SQLite and PostgreSQL: inbox views and
counts (the queue included), waiting times and previews, search, labelled transcripts with
tickets and delivery statuses, the opened-before-assigned order, hand-overs in plain words."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from helpline.application.customer_gateway import InMemoryCustomerDirectory
from helpline.application.ports import Answer
from helpline.bootstrap import bootstrap
from helpline.catalog import (
    AgentAssigned,
    CustomerInfo,
    TicketOpened,
    Turn,
    WhatsAppBusinessTextMessageSendFailed,
    WhatsAppBusinessTextMessageStatusUpdated,
)
from helpline.config import Settings
from helpline.domain.ids import conversation_id_for
from helpline.projections import build_projections
from helpline.projections.search import SearchError

from .conftest import Helpdesk, StepClock, drop_view, make_view

pytestmark = pytest.mark.unit
LUCIA, PABLO = "34600000001", "34600000002"
INTERNAL = "no document passes the threshold (0.00 < 0.14)"


class Answerer:
    """Hands over on "persona" with a reason in internal wording and two sources."""

    def answer(self, question: str, history: Sequence[Turn],
               customer: CustomerInfo | None) -> Answer:
        if "persona" in question:
            return Answer("Te paso con una persona.", open_ticket=True, reason=INTERNAL,
                          sources=("returns@es", "refund-policy@en"))
        return Answer("Abrimos de 9 a 18 h.", sources=("opening-hours@es",), confidence=0.9)

    def close(self) -> None:
        """Nothing to release."""


@pytest.fixture
def desk(tmp_path: Path, view_kind: str) -> Iterator[Helpdesk]:
    """The services (with the answerer above) and their projections."""
    clock = StepClock()
    customers = [CustomerInfo(customer_id="cus_1", name="Lucía Pérez", phone=LUCIA,
                              language="es", email="lucia@example.com")]
    container = bootstrap(Settings(helpline_data_dir=tmp_path / "apps"), clock=clock,
                          directory=InMemoryCustomerDirectory(customers), answerer=Answerer())
    view = make_view(view_kind, tmp_path)
    projections = build_projections(view, desk=container.services.desk,
                                    store=container.services.store, batch_size=5)
    yield Helpdesk(container, container.runner(), clock, view, projections)
    drop_view(view)
    projections.close()
    container.close()


def agent(h: Helpdesk, name: str, online: bool = True) -> str:
    desk = h.container.services.desk
    new = desk.register_agent(name=name, email=f"{name}@example.com", languages=["es"],
                              max_tickets=5, agent_id=f"agt_{name.lower()}")
    if online:
        h.runner.publish(*desk.set_agent_status(new.agent_id, online=True))
    return new.agent_id


def escalate(h: Helpdesk, phone: str) -> str:
    h.say(phone, "hola, el pedido 4711 no llega")
    h.say(phone, "quiero hablar con una persona")
    h.projections.catch_up()
    return [m.ticket_id for m in h.runner.log if isinstance(m, TicketOpened)][-1]


def test_tickets_queued_while_nobody_is_online_show_in_the_queue_for_everyone(
        desk: Helpdesk) -> None:
    marta = agent(desk, "Marta", online=False)
    queued = escalate(desk, LUCIA)
    view = desk.view
    assert [t.ticket_id for t in view.ticket_list("queue", agent_id=marta)] == [queued]
    assert [t.ticket_id for t in view.ticket_list("open", agent_id=marta)] == [queued]
    assert [t.ticket_id for t in view.ticket_list("open", agent_id=None)] == [queued]
    assert view.ticket_list("mine", agent_id=marta) == []
    assert view.ticket_counts(agent_id=marta) == {"mine": 0, "queue": 1, "open": 1,
                                                  "closed": 0}
    assert view.ticket_counts(agent_id=None) == {"mine": 0, "queue": 1, "open": 1,
                                                 "closed": 0}
    [row] = view.ticket_list("queue", agent_id=None)
    assert row.status == "queued" and row.agent_id is None
    assert row.waiting_from == row.opened_at
    assert row.last_message_text is not None


def test_an_agent_sees_their_own_and_the_queue_and_the_admin_everything(
        desk: Helpdesk) -> None:
    marta = agent(desk, "Marta")
    mine = escalate(desk, LUCIA)
    pablo = agent(desk, "Pablo")
    desk.container.services.desk.set_agent_status(marta, online=False)
    desk.container.services.desk.set_agent_status(pablo, online=False)
    queued = escalate(desk, "34600000003")
    view = desk.view
    assert [t.ticket_id for t in view.ticket_list("mine", agent_id=marta)] == [mine]
    assert view.ticket_list("mine", agent_id=pablo) == []
    assert {t.ticket_id for t in view.ticket_list("open", agent_id=pablo)} == {queued}
    assert {t.ticket_id for t in view.ticket_list("open", agent_id=marta)} == {mine, queued}
    assert {t.ticket_id for t in view.ticket_list("open", agent_id=None)} == {mine, queued}
    [held] = view.ticket_list("mine", agent_id=marta)
    assert held.agent_name == "Marta" and held.status == "open"

    desk.runner.publish(*desk.container.services.desk.close_ticket(
        mine, resolution="Pedido reenviado", agent_id=marta))
    desk.projections.catch_up()
    assert [t.resolution for t in view.ticket_list("closed", agent_id=marta)] == [
        "Pedido reenviado"]
    assert view.ticket_list("closed", agent_id=pablo) == []
    assert view.ticket_counts(agent_id=marta) == {"mine": 0, "queue": 1, "open": 1,
                                                  "closed": 1}
    assert view.ticket_counts(agent_id=None)["closed"] == 1


def test_waiting_since_is_the_oldest_unanswered_message_and_the_preview_the_last(
        desk: Helpdesk) -> None:
    marta = agent(desk, "Marta")
    ticket = escalate(desk, LUCIA)
    services = desk.container.services
    desk.runner.publish(*services.desk.answer(ticket, agent_id=marta, text="Hola, lo miro"))
    desk.projections.catch_up()
    row = desk.view.ticket(ticket)
    assert row is not None and row.waiting_from is None
    assert (row.last_message_author, row.last_message_text) == ("agent", "Hola, lo miro")

    desk.say(LUCIA, "gracias, espero")
    desk.say(LUCIA, "x" * 300)
    desk.projections.catch_up()
    row = desk.view.ticket(ticket)
    assert row is not None and row.waiting_from is not None and row.last_customer_at
    assert row.waiting_from < row.last_customer_at  # the first unanswered, not the last
    assert row.last_message_text == "x" * 119 + "…"


def test_search_by_name_phone_and_message_text_within_what_the_caller_sees(
        desk: Helpdesk) -> None:
    marta = agent(desk, "Marta")
    lucia = escalate(desk, LUCIA)
    pablo = agent(desk, "Pablo")
    other = escalate(desk, PABLO)
    view = desk.view
    holder = {t.ticket_id: t.agent_id for t in view.ticket_list("open", agent_id=None)}
    assert holder == {lucia: marta, other: pablo}

    def found(q: str, agent_id: str | None = None) -> set[str]:
        return {t.ticket_id for t in view.ticket_list("open", agent_id=agent_id, q=q)}

    assert found("lucía") == found("PÉREZ") == {lucia}
    assert found("600 000 001") == found("+34600000001") == {lucia}
    assert found("pedido 4711") == {lucia, other}
    assert found("pedido 4711", marta) == {lucia}
    assert found("no existe nada así") == set()
    assert found("50%_") == set()  # wildcards are text
    with pytest.raises(SearchError, match="at least 3 characters"):
        view.ticket_list("open", agent_id=None, q="ab")


def test_transcript_lines_are_labelled_with_ticket_author_and_kind(desk: Helpdesk) -> None:
    marta = agent(desk, "Marta")
    ticket = escalate(desk, LUCIA)
    services = desk.container.services
    desk.runner.publish(*services.desk.answer(ticket, agent_id=marta, text="Ya lo miro"))
    desk.runner.publish(*services.desk.close_ticket(ticket, resolution="Reenviado",
                                                    agent_id=marta))
    second = escalate(desk, LUCIA)
    desk.projections.catch_up()
    lines = desk.view.lines(str(conversation_id_for(LUCIA)))
    assert len({x.id for x in lines}) == len(lines)
    kinds = [(x.author, x.kind, x.ticket_id) for x in lines]
    assert kinds[:4] == [("customer", "message", None), ("ai", "message", None),
                         ("customer", "message", None), ("ai", "message", None)]
    assert ("system", "ticket_opened", ticket) in kinds
    assert ("system", "agent_assigned", ticket) in kinds
    assert ("system", "ticket_closed", ticket) in kinds
    assert ("system", "ticket_opened", second) in kinds
    [answer] = [x for x in lines if x.author == "agent"]
    assert (answer.author_name, answer.ticket_id, answer.text) == ("Marta", ticket,
                                                                    "Ya lo miro")
    assert answer.delivery == "sent"  # the in-process sender reported it sent
    opened = [x.kind for x in lines if x.ticket_id == ticket]
    assert opened.index("ticket_opened") < opened.index("agent_assigned")
    assert all(datetime.fromisoformat(x.at).tzinfo is not None for x in lines)


def test_ticket_opened_shows_before_agent_assigned_when_logged_after_it(
        desk: Helpdesk) -> None:
    agent(desk, "Marta")
    # ms-conv-store handles the two messages on separate consumers: the assignment may come
    # first. Hold Ticket Opened back until Agent Assigned was handled.
    held: list[TicketOpened] = []
    routes = desk.runner._routes
    original = routes[TicketOpened]
    routes[TicketOpened] = lambda m: held.append(m) or []  # type: ignore[assignment,arg-type,func-returns-value]
    ticket = escalate(desk, LUCIA)
    assert held and any(isinstance(m, AgentAssigned) for m in desk.runner.log)
    routes[TicketOpened] = original
    desk.runner.publish(*original(held[0]))
    desk.projections.catch_up()
    raw = [t.text for t in desk.view.transcript(str(conversation_id_for(LUCIA)))]
    assert raw.index("Agent Marta assigned") < raw.index("Ticket opened")  # as logged
    shown = [x.kind for x in desk.view.lines(str(conversation_id_for(LUCIA)))
             if x.ticket_id == ticket]
    assert shown[:2] == ["ticket_opened", "agent_assigned"]


def test_delivery_statuses_and_failures_per_outbound_message(desk: Helpdesk) -> None:
    marta = agent(desk, "Marta")
    ticket = escalate(desk, LUCIA)
    services = desk.container.services
    conv = str(conversation_id_for(LUCIA))
    desk.runner.publish(*services.desk.answer(ticket, agent_id=marta, text="Primera"))
    desk.runner.publish(*services.desk.answer(ticket, agent_id=marta, text="Segunda"))
    first, second = (c for c in desk.container.services.whatsapp.sender.sent  # type: ignore[attr-defined]
                     if c.author == "agent")

    def status(command: object, value: str, errors: tuple[dict[str, object], ...] = ()) -> None:
        desk.runner.publish(WhatsAppBusinessTextMessageStatusUpdated(
            message_id=uuid4(), correlation_id=conv, occurred_at=datetime.now(UTC),
            conversation_id=conv, wamid=f"wamid.fake.{command.message_id.hex}",  # type: ignore[attr-defined]
            status=value, recipient_phone=LUCIA, phone_number_id="106540352242922",
            errors=errors))

    status(first, "read")
    status(first, "delivered")  # late and older: ignored
    status(second, "failed", ({"code": 131026, "title": "Message undeliverable",
                               "message": "The number is not on WhatsApp"},))
    desk.projections.catch_up()
    lines = {x.text: x for x in desk.view.lines(conv)}
    assert (lines["Primera"].delivery, lines["Primera"].failure_reason) == ("read", None)
    assert (lines["Segunda"].delivery, lines["Segunda"].failure_reason) == (
        "failed", "The number is not on WhatsApp")
    assert lines["hola, el pedido 4711 no llega"].delivery is None


def test_a_refused_send_marks_its_line_failed_with_the_reason(desk: Helpdesk) -> None:
    marta = agent(desk, "Marta")
    ticket = escalate(desk, LUCIA)
    conv = str(conversation_id_for(LUCIA))
    store = desk.container.services.store
    sender = desk.container.services.whatsapp.sender  # type: ignore[attr-defined]
    sender.send = lambda command: (_ for _ in ()).throw(RuntimeError("down"))
    messages = desk.container.services.desk.answer(ticket, agent_id=marta, text="No llegará")
    for m in messages:
        store.agent_answer_generated(m)  # type: ignore[arg-type]
    reply = [c for c in store.conversation(conv).unsettled][-1]
    store.whatsapp_business_text_message_send_failed(WhatsAppBusinessTextMessageSendFailed(
        message_id=uuid4(), correlation_id=conv, occurred_at=datetime.now(UTC),
        conversation_id=conv, send_message_id=reply, to=LUCIA, code=131047,
        reason="More than 24 hours since the customer last wrote."))
    desk.projections.catch_up()
    lines = desk.view.lines(conv)
    [line] = [x for x in lines if x.text == "No llegará"]
    assert (line.delivery, line.failure_reason) == (
        "failed", "More than 24 hours since the customer last wrote.")
    assert lines[-1].kind == "send_failed" and lines[-1].ticket_id == ticket


def test_the_hand_over_reason_in_plain_words_with_the_entries_considered(
        desk: Helpdesk) -> None:
    agent(desk, "Marta")
    ticket = escalate(desk, LUCIA)
    handoff = desk.view.handoff(ticket)
    assert handoff is not None
    assert handoff.reason == "The knowledge base has nothing that answers this question."
    assert handoff.sources == (("returns@es", "Returns (es)"),
                               ("refund-policy@en", "Refund policy (en)"))
    row = desk.view.ticket(ticket)
    assert row is not None and row.reason == INTERNAL  # stored as it came, shown plain


def test_earlier_tickets_of_the_customer(desk: Helpdesk) -> None:
    marta = agent(desk, "Marta")
    first = escalate(desk, LUCIA)
    desk.runner.publish(*desk.container.services.desk.close_ticket(
        first, resolution="Pedido reenviado", agent_id=marta))
    second = escalate(desk, LUCIA)
    tickets = desk.view.tickets_of_phone(LUCIA)
    assert [t.ticket_id for t in tickets] == [second, first]
    assert tickets[1].resolution == "Pedido reenviado"
    latest = desk.view.latest_ticket_of(str(conversation_id_for(LUCIA)))
    assert latest is not None and latest.ticket_id == second


def test_the_questions_the_ai_handed_over_newest_first(desk: Helpdesk) -> None:
    """What the customer asked when the AI handed over (not what they wrote before or
    after), with the reason in plain words: the input of the knowledge-base gaps page."""
    agent(desk, "Marta")
    first = escalate(desk, LUCIA)
    desk.say(LUCIA, "¿hola? ¿sigue ahí alguien?")  # after the hand-over: not the question
    desk.say(PABLO, "necesito una persona para mi factura")
    desk.projections.catch_up()
    [second] = [t.ticket_id for t in desk.view.tickets_of_phone(PABLO)]
    rows = desk.view.handed_over(limit=10)
    assert [(r.ticket_id, r.question) for r in rows] == [
        (second, "necesito una persona para mi factura"),
        (first, "quiero hablar con una persona")]
    assert rows[0].reason == "The knowledge base has nothing that answers this question."
    assert rows[0].opened_at >= rows[1].opened_at
    assert [r.ticket_id for r in desk.view.handed_over(limit=1)] == [second]


def test_the_handed_over_question_is_the_one_the_ai_answered(desk: Helpdesk) -> None:
    """A second message that arrives while the AI answers the first is recorded before the
    ticket's opening line; the question handed over is still the first."""
    from .conftest import inbound
    agent(desk, "Marta")
    at = desk.clock()
    desk.runner.publish(inbound(PABLO, "necesito una persona, por favor", 1, at),
                        inbound(PABLO, "es por una factura", 2, at))
    desk.projections.catch_up()
    assert [r.question for r in desk.view.handed_over()] == ["necesito una persona, por favor"]


def test_tickets_the_ai_did_not_hand_over_are_not_gaps(desk: Helpdesk) -> None:
    """An AI answer that could not be delivered opens a ticket too; its question was
    answered, so it is no gap in the knowledge base."""
    agent(desk, "Marta")
    conv = str(conversation_id_for(LUCIA))
    store = desk.container.services.store
    sender = desk.container.services.whatsapp.sender  # type: ignore[attr-defined]
    send = sender.send
    sender.send = lambda command: (_ for _ in ()).throw(RuntimeError("down"))
    with pytest.raises(RuntimeError):  # the AI answers; its send fails
        desk.say(LUCIA, "¿cuál es el horario?")
    sender.send = send
    reply = [c for c in store.conversation(conv).unsettled][-1]
    desk.runner.publish(*store.whatsapp_business_text_message_send_failed(
        WhatsAppBusinessTextMessageSendFailed(
            message_id=uuid4(), correlation_id=conv, occurred_at=datetime.now(UTC),
            conversation_id=conv, send_message_id=reply, to=LUCIA, code=131026,
            reason="The number is not on WhatsApp")))
    desk.projections.catch_up()
    assert desk.view.tickets_of_phone(LUCIA)  # the ticket exists
    assert desk.view.handed_over() == []
