"""A customer with 5,000 long messages: every message stays under NATS's max payload (the
Conversation Document is a page), and the human path works for them end to end (ms-agents'
relay never gets stuck on a document too large to publish)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from eventsourcing.persistence import Tracking

from helpline.adapters.nats.consumer import publish_all
from helpline.adapters.nats.relay import OutboxRelay
from helpline.adapters.nats.runtime import ServiceRuntime
from helpline.adapters.nats.topology import MAX_MESSAGE_BYTES, Topology
from helpline.application import InMemoryCustomerDirectory, RecordingSender
from helpline.bootstrap import bootstrap
from helpline.catalog import (
    GenerateAIAgentAnswerWithUserInfo,
    GetConversation,
    WhatsAppBusinessTextMessageWithUserInfoReceived,
)
from helpline.catalog.base import SERVICES
from helpline.config import Settings
from helpline.domain import Ticket
from helpline.domain.ids import conversation_id_for
from tests.integration.messaging.conftest import inbound, wait_until

pytestmark = pytest.mark.e2e

PHONE = "34600444333"
MESSAGES = 5000


def _write_history(settings: Settings) -> None:
    container = bootstrap(settings)
    store, rag = container.services.store, container.services.rag
    filler = "¿cuál es el horario? " + "palabra " * 480  # about 4,000 characters
    for start in range(0, MESSAGES, 250):
        now = datetime.now(UTC)
        asks = store.handle_batch([WhatsAppBusinessTextMessageWithUserInfoReceived(
            message_id=uuid4(), correlation_id=PHONE, occurred_at=now,
            wamid=f"wamid.long.{n}", phone_number_id="106540352242922", sender_phone=PHONE,
            text=f"{n} {filler}", sent_at=now) for n in range(start, start + 250)]).emitted
        answers = rag.handle_batch(
            [a for a in asks if isinstance(a, GenerateAIAgentAnswerWithUserInfo)]).emitted
        store.handle_batch(answers)
    # That history was answered long ago: its messages were relayed then. Without this
    # the test would measure the relays and consumers draining a 20,000-message backlog.
    position = store.recorder.max_notification_id()
    assert position is not None
    store.factory.tracking_recorder().insert_tracking(
        Tracking(OutboxRelay.tracking_name, position))
    container.close()


async def test_a_customer_with_5000_long_messages(nats_available: str, tmp_path: Path) -> None:
    settings = Settings(helpline_data_dir=tmp_path)
    _write_history(settings)
    sender = RecordingSender()
    container = bootstrap(settings, sender=sender, directory=InMemoryCustomerDirectory())
    store, desk = container.services.store, container.services.desk
    conv_id = str(conversation_id_for(PHONE))
    doc = store.get_conversation(GetConversation(
        message_id=uuid4(), correlation_id="t", occurred_at=datetime.now(UTC),
        conversation_id=conv_id))
    assert len(store.transcript(conv_id)) == 2 * MESSAGES
    assert len(doc.to_json()) < MAX_MESSAGE_BYTES // 2
    assert doc.earlier_before_version is not None
    agent = desk.register_agent(name="Marta", email="marta@x.es", agent_id="marta")
    desk.set_agent_status(agent.agent_id, online=True)
    topology = Topology(prefix=f"t{uuid4().hex[:10]}")
    runtime = ServiceRuntime(container.services, SERVICES, nats_available, topology)
    await runtime.start()
    try:
        await publish_all(runtime.broker, topology, [inbound(
            "quiero hablar con una persona", phone=PHONE, wamid="wamid.long.human")])

        def synced() -> Ticket | None:
            conv = store.conversation_for_phone(PHONE)
            if conv is None or conv.ticket is None:
                return None
            ticket = desk.find(conv.ticket["ticket_id"], Ticket)
            return ticket if ticket is not None and ticket.document_version > 0 else None

        await wait_until(synced, timeout_s=60)
        ticket = synced()
        assert ticket is not None and 0 < len(ticket.document_turns) <= 100
        desk.answer(str(ticket.id), agent_id="marta", text="Hola, soy Marta.")
        runtime.wake_relays()
        await wait_until(lambda: any(s.author == "agent" for s in sender.sent), timeout_s=30)
        assert runtime.metrics.dead_lettered == {}
    finally:
        await runtime.stop()
        container.close()
