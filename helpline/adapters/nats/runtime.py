"""Running services on NATS inside an asyncio program: the streams, one batch consumer per
message a service consumes, the outbox relays, and the Get Conversation responder.

``helpline serve`` and ``helpline up`` run this; other programs can embed it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import nats
from faststream.nats import NatsBroker
from nats.js.errors import BadRequestError

from helpline.adapters.nats.consumer import (
    BatchConsumer,
    BatchHandler,
    MergingExecutor,
    Metrics,
    Publisher,
    RetryPolicy,
    in_thread,
)
from helpline.adapters.nats.dead_letters import DeadLetters
from helpline.adapters.nats.embedded import servers
from helpline.adapters.nats.query import create_query_router, get_conversation
from helpline.adapters.nats.relay import OutboxRelay
from helpline.adapters.nats.topology import Topology
from helpline.adapters.nats.watchdog import Starter, Watchdog
from helpline.application.base import HelplineApplication
from helpline.application.routing import SUBSCRIPTIONS
from helpline.application.runner import Services
from helpline.application.whatsapp_edge import given_up
from helpline.catalog import (
    CatalogMessage,
    GetConversation,
    SendWhatsAppBusinessTemplateMessage,
    SendWhatsAppBusinessTextMessage,
)
from helpline.catalog.base import SERVICES

log = logging.getLogger("helpline.runtime")

#: How many messages a consumer takes at a time (``HELPLINE_BATCH_SIZE``); see the README's
#: performance section for the sweep behind it.
DEFAULT_BATCH_SIZE = 64


def default_retry_by_service() -> dict[str, RetryPolicy]:
    """Per-service redelivery policies that differ from the default."""
    # A send another delivery holds (or a crash left) waits for its status or its lease: it
    # is never dead-lettered for that (RetryLaterError), and comes back every 10 s at most.
    return {"ms-whatsapp": RetryPolicy(max_deliver=10, base_delay_s=0.5, max_delay_s=10.0)}


async def ensure_streams(url: str, topology: Topology) -> None:
    """Create (or update) the JetStream streams of ``topology``."""
    nc = await nats.connect(servers=servers(url))
    try:
        js = nc.jetstream()
        for config in topology.stream_configs():
            try:
                await js.add_stream(config)
            except BadRequestError:
                await js.update_stream(config)
    finally:
        await nc.close()


@dataclass
class ServiceRuntime:
    """The services of one process on one NATS connection, with their outbox relays."""

    services: Services
    names: tuple[str, ...]
    nats_url: str
    topology: Topology = field(default_factory=Topology)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    retry_by_service: dict[str, RetryPolicy] = field(default_factory=default_retry_by_service)
    metrics: Metrics = field(default_factory=Metrics)
    query_timeout_s: float = 3.0
    batch_size: int = DEFAULT_BATCH_SIZE
    ack_wait_s: float = 30.0
    handlers: dict[str, BatchHandler] = field(default_factory=dict)
    """Batch handlers that replace a service's application (e.g. ms-whatsapp's async Graph
    API sender), by service name."""
    relays: dict[str, OutboxRelay] = field(default_factory=dict)
    broker: NatsBroker | None = None
    publisher: Publisher | None = None
    consumers: list[BatchConsumer] = field(default_factory=list)
    _executors: list[MergingExecutor] = field(default_factory=list)
    stall_s: float = 120.0
    """A consumer or relay that makes no progress this long is restarted."""
    watch_interval_s: float = 5.0
    watchdog: Watchdog = field(init=False)

    def __post_init__(self) -> None:
        self.watchdog = Watchdog(self.stall_s, self.watch_interval_s,
                                 restarts=self.metrics.restarts)

    @property
    def restarts(self) -> dict[str, int]:
        """How often each consumer or relay was restarted, by name."""
        return self.watchdog.restarts

    async def start(self) -> None:
        """Connect, declare streams, subscribe and start the relays."""
        unknown = set(self.names) - set(SERVICES)
        if unknown:
            raise ValueError(f"unknown service(s): {', '.join(sorted(unknown))}")
        self.services.check()
        if "ms-conv-store" in self.names:
            migrated = await asyncio.to_thread(self.services.store.migrate)
            if migrated:
                log.info("gave %d messages of an older version their receipts", migrated)
        await ensure_streams(self.nats_url, self.topology)
        # Reconnect for ever: NATS restarting or failing over is an outage, not the end.
        self.broker = NatsBroker(servers(self.nats_url),
                                 logger=logging.getLogger("helpline.faststream"),
                                 graceful_timeout=8.0, max_reconnect_attempts=-1,
                                 reconnect_time_wait=1)
        if "ms-conv-store" in self.names:
            self.broker.include_router(create_query_router(self.services.store, self.topology))
        await self.broker.start()
        nc = self.broker.connection
        js = nc.jetstream()
        self.publisher = Publisher(js, self.topology, self.metrics)
        event_sourced = self.services.event_sourced
        for name in (n for n in self.names if n in event_sourced):
            app = self.services.application(name)
            assert isinstance(app, HelplineApplication)
            # What it stores is published by a relay (queries it causes are asked here).
            self.relays[name] = OutboxRelay(app, self.publisher, on_query=self._ask)
        for name in self.names:
            handler = self.handlers.get(name) or self._default_handler(name)
            for cls in SUBSCRIPTIONS[name]:
                consumer = BatchConsumer(
                    service=name, message_cls=cls, handler=handler, nc=nc, js=js,
                    topology=self.topology,
                    publisher=None if name in event_sourced else self.publisher,
                    retry=self.retry_by_service.get(name, self.retry), metrics=self.metrics,
                    batch_size=self.batch_size, ack_wait_s=self.ack_wait_s,
                    given_up=_send_given_up if cls in _SENDS else None)
                self.consumers.append(consumer)
                await self.watchdog.add(f"consume:{consumer.key}", _consuming(consumer),
                                        consumer)
        for n, relay in self.relays.items():
            await self.watchdog.add(f"relay:{n}", _relaying(relay), relay)

    def _default_handler(self, name: str) -> BatchHandler:
        app = self.services.application(name)
        if name not in self.services.event_sourced:
            return in_thread(app.handle_batch)
        relay = self.relays[name]
        executor = MergingExecutor(app.handle_batch, on_committed=relay.wake)
        self._executors.append(executor)
        return executor

    async def _ask(self, query: CatalogMessage) -> None:
        """ms-agents' Get Conversation: ask ms-conv-store, keep the document for the agent."""
        assert self.broker is not None and isinstance(query, GetConversation)
        doc = await get_conversation(self.broker, self.topology, query, self.query_timeout_s)
        await asyncio.to_thread(self.services.desk.handle, doc)
        self.wake_relays()

    def dead_letters(self) -> DeadLetters:
        """The deployment's dead letters (once started)."""
        if self.publisher is None:
            raise RuntimeError("not connected to NATS")
        return DeadLetters(self.publisher.js, self.topology)

    async def dead_letter_metrics(self) -> str:
        """``helpline_dead_letters`` per service and message, counted in the dead-letter
        stream (so the figure survives restarts), in the Prometheus text format."""
        counts = await self.dead_letters().counts()
        return "".join(f'helpline_dead_letters{{service="{service}",message="{message}"}} {n}\n'
                       for (service, message), n in sorted(counts.items()))

    async def publish(self, messages: Sequence[CatalogMessage]) -> None:
        """Publish into JetStream and wait for the acks (the webhook's durable publish)."""
        if self.publisher is None:
            raise RuntimeError("not connected to NATS")
        await self.publisher.publish(messages)

    def wake_relays(self) -> None:
        """Something outside a handler (the agent API) saved: publish now."""
        for relay in self.relays.values():
            relay.wake()

    @property
    def consuming(self) -> bool:
        """Whether every consumer and relay started is still running (``/healthz``)."""
        return self.watchdog.healthy()

    @property
    def connected(self) -> bool:
        """Whether the NATS connection is up."""
        try:
            return self.broker is not None and bool(self.broker.connection.is_connected)
        except Exception:
            return False

    async def stop(self) -> None:
        """Stop consuming (the batch in progress finishes; unacked messages are redelivered),
        then let the relays publish what was saved, then disconnect."""
        await self.watchdog.stop()
        for consumer in self.consumers:
            consumer.stop()
        for relay in self.relays.values():
            relay.stop()
        tasks = self.watchdog.tasks
        if tasks:
            await asyncio.wait(tasks, timeout=5.0)
        for task in tasks:
            task.cancel()
        for executor in self._executors:
            await executor.stop()
        for relay in self.relays.values():
            try:
                await asyncio.wait_for(relay.relay_once(), 2.0)
            except Exception:
                log.exception("final relay of %s failed; it resumes on restart", relay.app.name)
        if self.broker is not None:
            with contextlib.suppress(Exception):  # NATS may be gone already
                await self.broker.stop()
            self.broker = None


#: The send commands whose dead-lettering is reported as *…-send-failed*.
_SENDS = (SendWhatsAppBusinessTextMessage, SendWhatsAppBusinessTemplateMessage)


def _consuming(consumer: BatchConsumer) -> Starter:
    async def start() -> asyncio.Task[None]:
        subscription = await consumer.subscribe()
        return asyncio.create_task(consumer.run(subscription), name=f"consume:{consumer.key}")
    return start


def _relaying(relay: OutboxRelay) -> Starter:
    async def start() -> asyncio.Task[None]:
        return asyncio.create_task(relay.run(), name=f"relay:{relay.app.name}")
    return start


def _send_given_up(msg: CatalogMessage, error: BaseException) -> list[CatalogMessage]:
    assert isinstance(msg, _SENDS)
    return [given_up(msg, error, datetime.now(UTC))]


def parse_services(names: Iterable[str]) -> tuple[str, ...]:
    """Validate service names (``all`` means the five)."""
    chosen = tuple(names)
    if not chosen or chosen == ("all",):
        return SERVICES
    for name in chosen:
        if name not in SERVICES:
            raise ValueError(f"unknown service {name!r}; choose from {', '.join(SERVICES)}")
    return chosen
