"""The read models follow the notification logs: contents, resume, rebuild, atomicity."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from helpline.catalog import TicketOpened
from helpline.domain.ids import conversation_id_for
from helpline.projections import ProjectionWorker, TicketsProjection, build_projections

from .conftest import Helpdesk

pytestmark = pytest.mark.unit
PHONE = "34600000001"


def escalate(h: Helpdesk, phone: str = PHONE) -> tuple[str, str]:
    """An online agent; the customer asks for a person. Returns (agent_id, ticket_id)."""
    desk = h.container.services.desk
    agent = desk.register_agent(name="Marta", email=f"marta{phone}@example.com",
                                languages=["es"], max_tickets=3)
    desk.set_agent_status(agent.agent_id, online=True)
    h.say(phone, "hola")
    h.say(phone, "quiero hablar con una persona")
    ticket_id = [m.ticket_id for m in h.runner.log if isinstance(m, TicketOpened)][-1]
    return agent.agent_id, ticket_id


def test_transcript_is_the_conversation_turns(helpdesk: Helpdesk) -> None:
    agent_id, ticket_id = escalate(helpdesk)
    helpdesk.say(PHONE, "es por el pedido 1234")
    desk = helpdesk.container.services.desk
    helpdesk.runner.publish(*desk.answer(ticket_id, agent_id=agent_id, text="Sale hoy"))
    helpdesk.runner.publish(*desk.close_ticket(ticket_id, agent_id=agent_id, resolution="ok"))
    helpdesk.projections.catch_up()

    store = helpdesk.container.services.store
    conv = store.conversation(conversation_id_for(PHONE))
    transcript = helpdesk.view.transcript(str(conv.id))
    expected = [{"author": t.author, "text": t.text, "at": t.at.isoformat(),
                 "message_id": t.message_id} for t in store.transcript(conv.id)]
    got = [{"author": t.author, "text": t.text, "at": t.at, "message_id": t.message_id}
           for t in transcript]
    assert got == expected
    assert [t.author for t in transcript].count("agent") == 1


def test_a_ticket_activity_is_a_system_line_of_its_ticket_not_the_last_message(
        helpdesk: Helpdesk) -> None:
    agent_id, ticket_id = escalate(helpdesk)
    desk = helpdesk.container.services.desk
    helpdesk.runner.publish(*desk.set_priority(ticket_id, agent_id=agent_id, priority="high"))
    helpdesk.projections.catch_up()
    conv = str(conversation_id_for(PHONE))
    line = helpdesk.view.lines(conv)[-1]
    assert (line.author, line.kind, line.text, line.ticket_id) == (
        "system", "system", "Priority changed from normal to high by Marta", ticket_id)
    [row] = helpdesk.view.inbox(agent_id)
    assert row.last_message_text != line.text
    assert row.priority == "high"  # the inbox shows it


def test_a_new_ticket_has_normal_priority(helpdesk: Helpdesk) -> None:
    agent_id, _ = escalate(helpdesk)
    helpdesk.projections.catch_up()
    [row] = helpdesk.view.inbox(agent_id)
    assert row.priority == "normal"


def test_inbox_shows_open_tickets_with_last_customer_message(helpdesk: Helpdesk) -> None:
    agent_id, ticket_id = escalate(helpdesk)
    helpdesk.say(PHONE, "sigo esperando")
    helpdesk.projections.catch_up()

    [row] = helpdesk.view.inbox(agent_id)
    assert (row.ticket_id, row.status, row.agent_name) == (ticket_id, "open", "Marta")
    assert row.last_customer_text == "sigo esperando"
    assert row.customer_name == "Lucía" and row.language == "es"
    assert row.waiting_from == row.opened_at  # nobody has answered since the hand-over

    desk = helpdesk.container.services.desk
    helpdesk.runner.publish(*desk.answer(ticket_id, agent_id=agent_id, text="Ya voy"))
    helpdesk.projections.catch_up()
    [row] = helpdesk.view.inbox(agent_id)
    assert row.answers == 1 and row.waiting_from is None
    assert row.first_answer_at is not None and row.first_answer_at > row.opened_at

    helpdesk.runner.publish(*desk.close_ticket(ticket_id, agent_id=agent_id, resolution="ok"))
    helpdesk.projections.catch_up()
    assert helpdesk.view.inbox(agent_id) == []
    [closed] = helpdesk.view.tickets("closed")
    assert closed.resolution == "ok" and closed.closed_at is not None


def test_conversations_by_phone_and_customer_and_metrics(helpdesk: Helpdesk) -> None:
    helpdesk.say("34600000002", "¿cuál es vuestro horario?")
    agent_id, ticket_id = escalate(helpdesk)
    desk = helpdesk.container.services.desk
    helpdesk.runner.publish(*desk.answer(ticket_id, agent_id=agent_id, text="Hola"))
    helpdesk.runner.publish(*desk.close_ticket(ticket_id, agent_id=agent_id, resolution="ok"))
    helpdesk.projections.catch_up()

    [by_phone] = helpdesk.view.conversations(phone=PHONE)
    [by_customer] = helpdesk.view.conversations(customer_id="cus_1")
    assert by_phone == by_customer
    assert (by_phone.tickets_requested, by_phone.agent_answers, by_phone.open_ticket_id) == (
        1, 1, None)
    metrics = helpdesk.view.metrics()
    assert (metrics.conversations, metrics.ai_resolved, metrics.escalated) == (2, 1, 1)
    assert metrics.tickets == {"queued": 0, "open": 0, "closed": 1}
    assert metrics.avg_first_response_seconds is not None
    assert metrics.avg_resolution_seconds is not None
    assert metrics.avg_resolution_seconds >= metrics.avg_first_response_seconds > 0
    [agent] = helpdesk.view.agents()
    assert agent.online and agent.languages == ("es",)


def test_a_restarted_worker_resumes_where_it_stopped(helpdesk: Helpdesk) -> None:
    escalate(helpdesk)
    helpdesk.projections.catch_up()
    before = {n: helpdesk.view.dump(n) for n in ("tickets", "conversations")}
    helpdesk.say(PHONE, "otra cosa")

    # A new process: new workers over the same view database continue from the tracking.
    services = helpdesk.container.services
    again = build_projections(helpdesk.view, desk=services.desk, store=services.store)
    store_worker = again.workers["conversations"]
    assert 0 < store_worker.position < services.store.recorder.max_notification_id()
    read = again.catch_up()
    assert 0 < read < services.store.recorder.max_notification_id()
    assert helpdesk.view.dump("tickets") != before["tickets"]  # the message was forwarded
    [ticket] = helpdesk.view.tickets("open")
    assert ticket.last_customer_text == "otra cosa"
    [conv] = helpdesk.view.conversations(phone=PHONE)
    assert conv.customer_messages == 3
    assert again.catch_up() == 0


def test_rebuild_equals_incremental(helpdesk: Helpdesk) -> None:
    escalate(helpdesk)
    helpdesk.projections.catch_up()
    helpdesk.say("34600000003", "gracias")
    helpdesk.projections.catch_up()
    incremental = {n: helpdesk.view.dump(n) for n in ("tickets", "conversations")}
    assert helpdesk.projections.rebuild() > 0
    assert {n: helpdesk.view.dump(n) for n in ("tickets", "conversations")} == incremental


def test_a_batch_applied_twice_is_refused_whole(helpdesk: Helpdesk) -> None:
    escalate(helpdesk)
    helpdesk.projections.catch_up()
    view = helpdesk.view
    position = view.max_tracking_id("AgentDesk")
    assert position is not None
    before = view.dump("tickets")
    ops = [("ticket_answered", {"ticket_id": before["tickets"][0]["ticket_id"], "at": 1.0})]
    with pytest.raises(IntegrityError):
        view.apply(ops, Tracking("AgentDesk", position))
    assert view.dump("tickets") == before


def test_worker_refuses_the_wrong_application(helpdesk: Helpdesk) -> None:
    with pytest.raises(ValueError, match="follows AgentDesk"):
        ProjectionWorker(TicketsProjection(helpdesk.view), helpdesk.container.services.store)


def test_background_worker_keeps_up(helpdesk: Helpdesk) -> None:
    helpdesk.projections.start()
    try:
        agent_id, _ = escalate(helpdesk)
        last = helpdesk.container.services.desk.recorder.max_notification_id()
        helpdesk.view.wait("AgentDesk", last, timeout=10)
        assert len(helpdesk.view.inbox(agent_id)) == 1
        assert helpdesk.projections.workers["tickets"].last_error is None
    finally:
        helpdesk.projections.stop()
