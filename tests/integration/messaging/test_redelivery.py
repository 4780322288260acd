"""Redelivery rules over real NATS: transient failures are retried with delay and processed
once; permanent failures and exhausted retries go to the dead-letter stream."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import nats
import pytest

from helpline.adapters.nats.consumer import RetryPolicy, publish_all
from helpline.adapters.nats.query import ConversationStoreUnavailableError, get_conversation
from helpline.adapters.nats.runtime import SERVICES, ServiceRuntime
from helpline.adapters.nats.topology import Topology
from helpline.application import Answer, InMemoryCustomerDirectory, RecordingSender
from helpline.application.handlers import BatchResult
from helpline.bootstrap import bootstrap
from helpline.catalog import CustomerInfo, GetConversation, Turn
from helpline.config import Settings

from .conftest import CUSTOMER, inbound, wait_until

pytestmark = pytest.mark.integration


class FlakyAnswerer:
    """Fails ``failures`` times (with ``error``), then answers."""

    def __init__(self, failures: int, error: type[Exception] = RuntimeError) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    def answer(self, question: str, history: Sequence[Turn],
               customer: CustomerInfo | None) -> Answer:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error(f"knowledge base failed (call {self.calls})")
        return Answer("Abrimos a las 9.", confidence=0.9)

    def close(self) -> None:
        pass


async def _dlq_count(url: str, topology: Topology) -> int:
    nc = await nats.connect(url)
    try:
        info = await nc.jetstream().stream_info(topology.dlq_stream)
        return int(info.state.messages)
    finally:
        await nc.close()


async def _runtime(url: str, topology: Topology, tmp_path, answerer) -> tuple:
    sender = RecordingSender()
    container = bootstrap(Settings(helpline_data_dir=tmp_path), sender=sender,
                          answerer=answerer, directory=InMemoryCustomerDirectory([CUSTOMER]))
    runtime = ServiceRuntime(container.services, SERVICES, url, topology,
                             retry=RetryPolicy(max_deliver=3, base_delay_s=0.05))
    await runtime.start()
    return runtime, container, sender


async def test_handler_failing_twice_then_succeeding_is_processed_once(
    nats_available: str, topology: Topology, tmp_path
) -> None:
    answerer = FlakyAnswerer(failures=2)
    runtime, container, sender = await _runtime(nats_available, topology, tmp_path, answerer)
    try:
        await publish_all(runtime.broker, topology, [inbound("¿a qué hora abrís?")])
        await wait_until(lambda: len(sender.sent) == 1)
        await asyncio.sleep(0.5)
        assert answerer.calls == 3 and len(sender.sent) == 1
        assert runtime.metrics.redelivered["ms-rag:generate-ai-agent-answer-with-user-info"] == 2
        assert await _dlq_count(nats_available, topology) == 0
    finally:
        await runtime.stop()
        container.close()


async def test_exhausted_retries_and_malformed_messages_are_dead_lettered(
    nats_available: str, topology: Topology, tmp_path
) -> None:
    answerer = FlakyAnswerer(failures=1000)
    runtime, container, sender = await _runtime(nats_available, topology, tmp_path, answerer)
    try:
        await publish_all(runtime.broker, topology, [inbound("hola")])
        await wait_until(lambda: runtime.metrics.dead_lettered.get(
            "ms-rag:generate-ai-agent-answer-with-user-info") == 1)
        assert answerer.calls == 3  # max_deliver
        # A malformed event: dead-lettered at the first delivery, no retries.
        subject = topology.subject(type(inbound("x")))
        await runtime.broker.publish(b'{"not": "a message"}', subject, stream=topology.stream)
        await wait_until(lambda: runtime.metrics.dead_lettered.get(
            "ms-gateway:whatsapp-business-text-message-received") == 1)
        assert await _dlq_count(nats_available, topology) == 2
        assert sender.sent == []
    finally:
        await runtime.stop()
        container.close()


async def test_a_dependency_that_is_away_never_dead_letters(
    nats_available: str, topology: Topology, tmp_path
) -> None:
    """An outage (here the answerer's connection refused) outlasts max_deliver: the message
    keeps coming back instead of going to the dead letters, and is answered once it ends."""
    answerer = FlakyAnswerer(failures=5, error=ConnectionRefusedError)  # max_deliver is 3
    runtime, container, sender = await _runtime(nats_available, topology, tmp_path, answerer)
    try:
        await publish_all(runtime.broker, topology, [inbound("¿a qué hora abrís?")])
        await wait_until(lambda: len(sender.sent) == 1, timeout_s=30)
        assert answerer.calls == 6
        assert await _dlq_count(nats_available, topology) == 0
        assert runtime.metrics.dead_lettered == {}
    finally:
        await runtime.stop()
        container.close()


async def test_get_conversation_times_out_with_a_clear_error(
    nats_available: str, topology: Topology, tmp_path
) -> None:
    container = bootstrap(Settings(helpline_data_dir=tmp_path))
    runtime = ServiceRuntime(container.services, ("ms-agents",), nats_available, topology)
    await runtime.start()
    try:
        query = GetConversation.from_example()
        with pytest.raises(ConversationStoreUnavailableError, match="did not answer"):
            await get_conversation(runtime.broker, topology, query, timeout_s=0.5)
    finally:
        await runtime.stop()
        container.close()


class RefusesOne:
    """Refuses one question for good (a permanent error), answers every other."""

    def __init__(self, refused: str) -> None:
        self.refused = refused
        self.calls: list[str] = []

    def answer(self, question: str, history: Sequence[Turn],
               customer: CustomerInfo | None) -> Answer:
        self.calls.append(question)
        if question == self.refused:
            raise ValueError("this question cannot be answered")
        return Answer("Abrimos a las 9.", confidence=0.9)

    def close(self) -> None:
        pass


async def test_a_consumer_outlives_a_failure_to_settle_a_message(
    nats_available: str, topology: Topology, tmp_path
) -> None:
    """Settling a message can fail too (here the dead-letter stream is gone, as a NATS node
    failing over can make a publish fail): the consumer carries on with the next messages,
    the unsettled one comes back, the failure is logged, and health says so while it lasts."""
    answerer = RefusesOne("pregunta imposible")
    runtime, container, sender = await _runtime(nats_available, topology, tmp_path, answerer)
    try:
        nc = await nats.connect(nats_available)
        await nc.jetstream().delete_stream(topology.dlq_stream)
        await nc.close()
        await publish_all(runtime.broker, topology, [inbound("pregunta imposible")])
        await wait_until(lambda: answerer.calls.count("pregunta imposible") >= 1)
        await asyncio.sleep(0.5)
        await publish_all(runtime.broker, topology,
                          [inbound("¿a qué hora abrís?", phone="34600999888")])
        await wait_until(lambda: len(sender.sent) == 1, timeout_s=20)
        assert runtime.consuming, "a consumer or relay ended"
        # The refused message was not settled: it comes back (after the ack wait).
        await wait_until(lambda: answerer.calls.count("pregunta imposible") >= 2, timeout_s=40)
    finally:
        await runtime.stop()
        container.close()


async def test_a_stuck_consumer_is_restarted_and_its_batch_comes_back(
    nats_available: str, topology: Topology, tmp_path
) -> None:
    """A consumer that makes no progress for ``stall_s`` (here its handler never returns, as
    a call stuck on a connection lost in a failover would) is restarted, and the batch it
    held is redelivered and handled."""
    release = asyncio.Event()
    calls: list[int] = []

    async def hangs_the_first_time(messages: Sequence[object]) -> BatchResult:
        calls.append(len(messages))
        if len(calls) == 1:
            await release.wait()  # never set: only a restart gets past this
        return BatchResult()

    container = bootstrap(Settings(helpline_data_dir=tmp_path))
    runtime = ServiceRuntime(container.services, ("ms-gateway",), nats_available, topology,
                             ack_wait_s=2.0, stall_s=3.0, watch_interval_s=0.5)
    runtime.handlers["ms-gateway"] = hangs_the_first_time
    await runtime.start()
    try:
        await publish_all(runtime.broker, topology, [inbound("hola")])
        await wait_until(lambda: len(calls) == 1)
        assert runtime.consuming
        await wait_until(lambda: len(calls) >= 2, timeout_s=20)
        await wait_until(lambda: runtime.consuming, timeout_s=5)
        key = "consume:ms-gateway:whatsapp-business-text-message-received"
        assert runtime.restarts == {key: 1} and runtime.metrics.restarts == {key: 1}
    finally:
        await runtime.stop()
        container.close()
