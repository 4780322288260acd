"""The human path over real NATS with PostgreSQL persistence (the seed's steps 2-8)."""

from __future__ import annotations

import asyncio

import pytest

from helpline.adapters.nats.consumer import publish_all
from helpline.adapters.nats.runtime import SERVICES, ServiceRuntime
from helpline.adapters.nats.topology import Topology
from helpline.application import (
    AgentDesk,
    AIAgent,
    ConversationStore,
    CustomerGateway,
    InMemoryCustomerDirectory,
    KeywordAnswerer,
    RecordingSender,
    Services,
    WhatsAppEdge,
)
from helpline.domain import Ticket
from tests.conftest import postgres_env

from .conftest import CUSTOMER, inbound, wait_until

pytestmark = pytest.mark.integration


async def test_human_path_over_nats_with_postgres(
    nats_available: str, topology: Topology, pg_schema: str
) -> None:
    env = postgres_env(pg_schema)
    sender = RecordingSender()
    services = Services(
        gateway=CustomerGateway(InMemoryCustomerDirectory([CUSTOMER])),
        store=ConversationStore(env),
        rag=AIAgent(KeywordAnswerer({"horario": "De 9:00 a 20:00."})),
        desk=AgentDesk(env),
        whatsapp=WhatsAppEdge(sender),
    )
    agent = services.desk.register_agent(name="Marta", email="m@example.com",
                                         languages=["es"], agent_id="agt_marta")
    services.desk.set_agent_status(agent.agent_id, online=True)
    runtime = ServiceRuntime(services, SERVICES, nats_available, topology)
    await runtime.start()
    try:
        assert runtime.broker is not None
        await publish_all(runtime.broker, topology, [inbound("quiero hablar con una persona")])
        conv_id = None

        def ticket_synced() -> bool:
            nonlocal conv_id
            conv = services.store.conversation_for_phone(CUSTOMER.phone)
            if conv is None or conv.ticket is None or conv.ticket["status"] != "assigned":
                return False
            conv_id = conv.id
            ticket = services.desk.find(conv.ticket["ticket_id"], Ticket)
            return ticket is not None and ticket.document_version > 0

        # Open Ticket → Ticket Opened, Agent Assigned (logged in the conversation), then
        # Get Conversation → Conversation Document kept in the ticket for the agent's view.
        await wait_until(ticket_synced)
        assert len(sender.sent) == 1  # the AI's hand-over message
        conv = services.store.conversation(conv_id)  # type: ignore[arg-type]
        ticket_id = conv.ticket["ticket_id"]  # type: ignore[index]
        texts = [t.text for t in services.store.transcript(conv_id)]  # type: ignore[arg-type]
        assert "Ticket opened" in texts and "Agent Marta assigned" in texts

        # The agent answers: Agent Answer Generated → Send WhatsApp Business Text Message.
        services.desk.answer(ticket_id, agent_id=agent.agent_id, text="Hola, soy Marta.")
        runtime.wake_relays()
        await wait_until(lambda: len(sender.sent) == 2)
        assert sender.sent[1].text == "Hola, soy Marta." and sender.sent[1].author == "agent"
        assert sender.sent[1].channel.customer_phone == CUSTOMER.phone

        # Messages while the ticket is open go to the agent, not the AI.
        await publish_all(runtime.broker, topology, [inbound("¿horario?")])
        await wait_until(lambda: any(
            f["text"] == "¿horario?" for f in services.desk.ticket(ticket_id).forwarded))
        await asyncio.sleep(0.5)
        assert len(sender.sent) == 2
    finally:
        await runtime.stop()
        services.store.close()
        services.desk.close()
