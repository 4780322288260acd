"""The seed flow over a real NATS server: the AI path and the human path."""

from __future__ import annotations

import asyncio

import pytest

from helpline.adapters.nats.consumer import publish_all
from helpline.adapters.nats.runtime import SERVICES, ServiceRuntime
from helpline.adapters.nats.topology import Topology
from helpline.application import InMemoryCustomerDirectory, RecordingSender
from helpline.bootstrap import bootstrap
from helpline.config import Settings

from .conftest import CUSTOMER, inbound, wait_until

pytestmark = pytest.mark.integration


async def test_ai_path_and_redelivered_inbound(
    nats_available: str, topology: Topology, data_dir
) -> None:
    sender = RecordingSender()
    container = bootstrap(Settings(helpline_data_dir=data_dir), sender=sender,
                          directory=InMemoryCustomerDirectory([CUSTOMER]))
    runtime = ServiceRuntime(container.services, SERVICES, nats_available, topology)
    await runtime.start()
    try:
        assert runtime.broker is not None
        first = inbound("¿Cuál es el horario?")
        # The same inbound event three times with different Nats-Msg-Id: one answer.
        copies = [first.model_copy(update={"message_id": __import__("uuid").uuid4()})
                  for _ in range(3)]
        for copy in copies:
            await publish_all(runtime.broker, topology, [copy])
        await wait_until(lambda: len(sender.sent) >= 1)
        await asyncio.sleep(1.0)
        assert len(sender.sent) == 1
        assert "9:00" in sender.sent[0].text
        conv = container.services.store.conversation_for_phone(CUSTOMER.phone)
        assert conv is not None
        # ms-whatsapp's Sent event settles the reply in the conversation.
        await wait_until(lambda: container.services.store.conversation(conv.id).unsettled == {})
        assert container.services.store.conversation(conv.id).outbound_status
    finally:
        await runtime.stop()
        container.close()
