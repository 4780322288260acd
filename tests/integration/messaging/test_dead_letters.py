"""Dead letters over a real NATS server: listed, inspected, counted from the stream itself,
replayed once their cause is fixed; a send ms-whatsapp gives up on is reported failed, so the
conversation records it and a person is called."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from helpline.adapters.nats.consumer import RetryPolicy, publish_all
from helpline.adapters.nats.dead_letters import UnknownDeadLetterError
from helpline.adapters.nats.runtime import ServiceRuntime
from helpline.adapters.nats.topology import Topology
from helpline.application import Answer, InMemoryCustomerDirectory, SendResult
from helpline.bootstrap import bootstrap
from helpline.catalog import CustomerInfo, SendWhatsAppBusinessTextMessage, Turn
from helpline.catalog.base import SERVICES
from helpline.config import Settings
from helpline.domain.ids import conversation_id_for

from .conftest import CUSTOMER, inbound, wait_until

pytestmark = pytest.mark.integration


class BrokenAnswerer:
    """Fails until fixed."""

    def __init__(self) -> None:
        self.broken = True

    def answer(self, question: str, history: Sequence[Turn],
               customer: CustomerInfo | None) -> Answer:
        if self.broken:
            raise RuntimeError("the knowledge base index is corrupt")
        return Answer("Abrimos a las 9.", confidence=0.9)

    def close(self) -> None:
        pass


class BrokenSender:
    """A Graph API client that always fails in a way retries cannot fix."""

    def __init__(self) -> None:
        self.sent: list[SendWhatsAppBusinessTextMessage] = []

    def send(self, command: SendWhatsAppBusinessTextMessage) -> SendResult:
        raise RuntimeError("the access token expired")


async def test_fix_the_cause_then_replay(nats_available: str, topology: Topology,
                                         tmp_path) -> None:
    answerer = BrokenAnswerer()
    container = bootstrap(Settings(helpline_data_dir=tmp_path), answerer=answerer,
                          directory=InMemoryCustomerDirectory([CUSTOMER]))
    sender = container.services.whatsapp.sender
    runtime = ServiceRuntime(container.services, SERVICES, nats_available, topology,
                             retry=RetryPolicy(max_deliver=2, base_delay_s=0.05))
    await runtime.start()
    letters = runtime.dead_letters()
    try:
        await publish_all(runtime.broker, topology, [inbound("¿horario?")])
        await wait_until(lambda: runtime.metrics.dead_lettered)
        (letter,) = await letters.oldest()
        assert (letter.service, letter.catalog_id) == (
            "ms-rag", "generate-ai-agent-answer-with-user-info")
        assert "index is corrupt" in letter.error and letter.deliveries == 2
        assert letter.conversation_id == str(conversation_id_for(CUSTOMER.phone))
        assert letter.detail()["body"]["question"] == "¿horario?"
        assert await letters.counts() == {
            ("ms-rag", "generate-ai-agent-answer-with-user-info"): 1}
        assert 'helpline_dead_letters{service="ms-rag"' in await runtime.dead_letter_metrics()
        answerer.broken = False  # the cause is fixed
        await letters.replay(letter.seq)
        await wait_until(lambda: len(sender.sent) == 1)  # type: ignore[attr-defined]
        assert await letters.oldest() == [] and await letters.counts() == {}
        with pytest.raises(UnknownDeadLetterError):
            await letters.replay(letter.seq)
    finally:
        await runtime.stop()
        container.close()


async def test_a_send_given_up_on_is_reported_and_calls_a_person(
    nats_available: str, topology: Topology, tmp_path
) -> None:
    container = bootstrap(Settings(helpline_data_dir=tmp_path), sender=BrokenSender(),
                          directory=InMemoryCustomerDirectory([CUSTOMER]))
    container.services.desk.register_agent(name="Marta", email="m@x.es", agent_id="marta")
    runtime = ServiceRuntime(
        container.services, SERVICES, nats_available, topology,
        retry_by_service={"ms-whatsapp": RetryPolicy(max_deliver=2, base_delay_s=0.05)})
    await runtime.start()
    store = container.services.store
    conv_id = conversation_id_for(CUSTOMER.phone)
    try:
        await publish_all(runtime.broker, topology, [inbound("¿horario?")])

        def called_a_person() -> bool:
            conv = store.conversation_for_phone(CUSTOMER.phone)
            return conv is not None and conv.ticket is not None and conv.ticket["opened"]

        await wait_until(called_a_person)
        lines = [t.text for t in store.transcript(conv_id)]
        assert any(line.startswith("Reply not delivered: not sent: ms-whatsapp gave up")
                   for line in lines), lines
        assert "Ticket opened" in lines
        assert store.conversation(conv_id).unsettled == {}
    finally:
        await runtime.stop()
        container.close()


def test_the_dlq_command_speaks_plainly(nats_available: str) -> None:
    import os
    import subprocess
    import sys
    import uuid

    prefix = f"t{uuid.uuid4().hex[:10]}"

    def dlq(*args: str, url: str = nats_available) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "NATS_URL": url, "HELPLINE_SUBJECT_PREFIX": prefix}
        return subprocess.run([sys.executable, "-m", "helpline.cli", "dlq", *args], env=env,
                              capture_output=True, text=True, timeout=60)

    assert dlq("list").stdout.strip() == "no dead letters"
    missing = dlq("show", "99")
    assert missing.returncode == 1 and missing.stderr.strip() == "error: no dead letter 99"
    away = dlq("list", url="nats://127.0.0.1:9")
    assert away.returncode == 1 and "cannot reach NATS at nats://127.0.0.1:9" in away.stderr
    assert "Traceback" not in missing.stderr + away.stderr
