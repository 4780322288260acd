"""The routers with FastStream's in-memory ``TestNatsBroker``: fast checks of the wiring
(the same rules are shown over a real NATS server in tests/integration/messaging)."""

from __future__ import annotations

from pathlib import Path

import pytest
from faststream.nats import JStream, NatsBroker, TestNatsBroker

from helpline.adapters.nats.routers import SUBSCRIPTIONS, RouterOptions, create_router
from helpline.adapters.nats.topology import Topology
from helpline.application import InMemoryCustomerDirectory
from helpline.bootstrap import bootstrap
from helpline.catalog import (
    MESSAGES,
    CustomerInfo,
    WhatsAppBusinessTextMessageReceived,
    WhatsAppBusinessTextMessageWithUserInfoReceived,
)
from helpline.config import Settings

pytestmark = pytest.mark.unit

CUSTOMER = CustomerInfo(customer_id="cus_1", name="Lucía", phone="34600123456")


@pytest.fixture
def services(tmp_path: Path):  # type: ignore[no-untyped-def]
    container = bootstrap(Settings(helpline_data_dir=tmp_path,
                                   persistence_module="eventsourcing.popo"),
                          directory=InMemoryCustomerDirectory([CUSTOMER]))
    yield container.services
    container.close()


def test_every_service_subscribes_to_its_messages_with_a_durable_consumer(services) -> None:  # type: ignore[no-untyped-def]
    """The routers, inspected, match the catalog both ways: every consumer of an event or a
    command subscribes to its subject, and nobody subscribes to a message not meant for it."""
    topology = Topology()
    broker = NatsBroker()
    subscribed = {
        service: {s.subject.broker_address for s in create_router(
            service, services, broker, RouterOptions(topology=topology)).subscribers}
        for service in SUBSCRIPTIONS
    }
    by_subject = {topology.subject(m): m for m in MESSAGES}
    for service, subjects in subscribed.items():
        for subject in subjects:
            assert service in by_subject[subject].consumers, (service, subject)
    for message in MESSAGES:
        if message.kind in ("event", "command", "query"):
            for consumer in message.consumers:
                assert topology.subject(message) in subscribed[consumer], (consumer, message)


async def test_gateway_adds_the_customer_and_publishes_once_per_message(services) -> None:  # type: ignore[no-untyped-def]
    topology = Topology()
    broker = NatsBroker()
    broker.include_router(create_router("ms-gateway", services, broker,
                                        RouterOptions(topology=topology)))
    seen: list[WhatsAppBusinessTextMessageWithUserInfoReceived] = []

    @broker.subscriber(topology.subject(WhatsAppBusinessTextMessageWithUserInfoReceived),
                       stream=JStream(topology.stream, declare=False))
    async def downstream(body: WhatsAppBusinessTextMessageWithUserInfoReceived) -> None:
        seen.append(body)

    msg = WhatsAppBusinessTextMessageReceived.from_example()
    async with TestNatsBroker(broker) as test_broker:
        await test_broker.publish(msg.to_json(),
                                  topology.subject(WhatsAppBusinessTextMessageReceived),
                                  stream=topology.stream)
    assert len(seen) == 1
    assert seen[0].customer == CUSTOMER and seen[0].wamid == msg.wamid
    assert seen[0].causation_id == str(msg.message_id)
