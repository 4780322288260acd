"""An event log written by SQLite, loaded into POPO and replayed: the same states, the same
catalog messages (the outbox content)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from helpline.application import (
    AgentDesk,
    Answer,
    ConversationStore,
    InMemoryCustomerDirectory,
    RecordingSender,
)
from helpline.application.base import HelplineApplication
from helpline.bootstrap import Persistence, bootstrap
from helpline.catalog import CustomerInfo, TicketOpened, Turn, WhatsAppBusinessTextMessageReceived
from helpline.config import Settings
from helpline.domain import conversation_id_for

pytestmark = pytest.mark.integration

PHONES = ("34600123456", "4915112345678", "447700900123")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


class HandoverAnswerer:
    def answer(self, question: str, history: Sequence[Turn], customer: CustomerInfo | None
               ) -> Answer:
        if "persona" in question:
            return Answer("Te paso.", open_ticket=True, reason="asked", confidence=1.0)
        return Answer(f"re: {question}", confidence=0.7, sources=("kb/a.md",))

    def close(self) -> None:
        pass


def inbound(phone: str, n: int, text: str, number: str = "106540352242922",
            ) -> WhatsAppBusinessTextMessageReceived:
    now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC) + timedelta(minutes=n)
    return WhatsAppBusinessTextMessageReceived(
        message_id=uuid4(), correlation_id=str(conversation_id_for(phone)), occurred_at=now,
        wamid=f"wamid.{phone}.{n}", phone_number_id=number, sender_phone=phone, text=text,
        sent_at=now)


def write_log(data_dir: Path) -> tuple[ConversationStore, AgentDesk]:
    """Three customers on SQLite: AI answers, a handover, an agent answer, a close, a queued
    ticket that an agent takes when coming online, a channel change."""
    container = bootstrap(
        Settings(persistence_module="eventsourcing.sqlite", helpline_data_dir=data_dir),
        answerer=HandoverAnswerer(), sender=RecordingSender(), clock=Clock(),
        directory=InMemoryCustomerDirectory([CustomerInfo(
            customer_id="cus_1", name="Lucía", phone=PHONES[0], language="es")]))
    runner, desk = container.runner(), container.services.desk
    desk.register_agent(name="Marta", email="m@x.es", languages=["es"], max_tickets=1,
                        agent_id="marta")
    desk.set_agent_status("marta", online=True)
    runner.publish(inbound(PHONES[0], 1, "horario"), inbound(PHONES[1], 1, "envío"))
    runner.publish(inbound(PHONES[0], 2, "una persona"), inbound(PHONES[1], 2, "persona"))
    runner.publish(inbound(PHONES[0], 3, "pedido"), inbound(PHONES[2], 1, "hola", "2077"))
    first, second = [m.ticket_id for m in runner.log if isinstance(m, TicketOpened)]
    runner.publish(*desk.answer(first, agent_id="marta", text="Lo miro", answer_id="k1"))
    runner.publish(*desk.close_ticket(first, resolution="ok", agent_id="marta"))
    runner.publish(*desk.answer(second, agent_id="marta", text="Hello", answer_id="k2"))
    runner.publish(inbound(PHONES[0], 4, "gracias", "2077"))
    return container.services.store, container.services.desk


def copy_log(source: HelplineApplication, target: HelplineApplication) -> int:
    """Copy every stored event of ``source`` into ``target``'s recorder, in log order."""
    notifications = source.recorder.select_notifications(start=1, limit=1_000_000)
    target.recorder.insert_events([
        StoredEvent(originator_id=n.originator_id, originator_version=n.originator_version,
                    topic=n.topic, state=n.state) for n in notifications])
    return len(notifications)


def state(agg: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(agg).items() if k != "_pending_events"}


def aggregate_ids(app: HelplineApplication) -> list[Any]:
    seen: dict[Any, None] = {}
    for n in app.recorder.select_notifications(start=1, limit=1_000_000):
        seen.setdefault(n.originator_id, None)
    return list(seen)


def outbox(app: HelplineApplication) -> list[Any]:
    """The catalog messages the outbox relay would publish from the whole log."""
    return [m.model_dump() for n in app.recorder.select_notifications(start=1, limit=1_000_000)
            for m in app.messages_for(app.mapper.to_domain_event(n))]


@pytest.mark.parametrize("cls", [ConversationStore, AgentDesk])
def test_sqlite_log_replays_on_popo_to_the_same_states(tmp_path: Path, cls: type[Any]) -> None:
    store, desk = write_log(tmp_path)
    written: HelplineApplication = store if cls is ConversationStore else desk
    # Reopen the SQLite file: only what was written to disk counts.
    env = Persistence(Settings(persistence_module="eventsourcing.sqlite",
                               helpline_data_dir=tmp_path)).event_store_env(
        "conversation_store" if cls is ConversationStore else "agent_desk")
    sqlite_app = cls(env=env)
    popo_app = cls(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    copied = copy_log(sqlite_app, popo_app)
    assert copied == sqlite_app.recorder.max_notification_id() > 10
    ids = aggregate_ids(sqlite_app)
    assert len(ids) >= 3
    for aggregate_id in ids:
        original = written.repository.get(aggregate_id)
        assert state(popo_app.repository.get(aggregate_id)) == state(original)
        assert state(sqlite_app.repository.get(aggregate_id)) == state(original)
        replayed = None
        for stored in popo_app.recorder.select_events(aggregate_id):
            replayed = popo_app.mapper.to_domain_event(stored).mutate(replayed)
        assert replayed is not None and state(replayed) == state(original)
    assert outbox(popo_app) == outbox(sqlite_app) and outbox(popo_app)
    for app in (store, desk, sqlite_app, popo_app):
        app.close()


def test_replayed_conversation_documents_match(tmp_path: Path) -> None:
    from helpline.catalog import GetConversation

    store, desk = write_log(tmp_path)
    popo = ConversationStore(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    copy_log(store, popo)
    for phone in PHONES:
        query = GetConversation(message_id=uuid4(), correlation_id="t", occurred_at=store.clock(),
                                conversation_id=str(conversation_id_for(phone)))
        original, replayed = store.get_conversation(query), popo.get_conversation(query)
        assert original.found and replayed.model_dump(exclude={"occurred_at"}) == (
            original.model_dump(exclude={"occurred_at"}))
    for app in (store, desk, popo):
        app.close()
